// How a socket groups small writes into fewer system calls.
//
// On loopback, most of what a small `send` costs is the kernel's TCP path per call (here
// ~5 µs including the receiver's wake-up), not the bytes. A server that writes many
// small lines to the same socket — a reply of twenty numerics, a chat room under load —
// saves most of that by writing them together in one `writev`. Erlang offers the same
// trade as the `delay_send` socket option; Nagle's algorithm is the kernel's version,
// tied to acknowledgements (and so to the peer's delayed ACKs), which is why servers
// turn it off (TCP_NODELAY) and coalesce in user space instead.

/// When a socket's `send` is written to the kernel (`Socket.setSendCoalescing`).
public enum SendCoalescing: Sendable, Equatable {
  /// Every `send` is written at once (the default).
  case off
  /// Sends made by a process while its code runs are held, and written together (one
  /// `writev` per socket) as soon as that run of code ends — after at most one
  /// scheduler budget of messages, or at the process's next suspension. Adds no waiting
  /// of its own: a single send is written when the sender's current message is handled.
  case endOfSlice
  /// Nagle's rule with a clock: a send to a socket that has not been written for
  /// `window` is written at once; sends within `window` of the last write are held
  /// and written together when the window ends. A busy socket is written at most once
  /// per window; a quiet one sees no delay. Windows are kept to 1 µs…1 s.
  case window(Duration)
}

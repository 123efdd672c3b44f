// One connection's TLS session: an OpenSSL SSL object behind Otter's socket security
// seam (Actors/IO/SocketSecurity.swift). The socket hands it the bytes it read and the
// plaintext it is asked to send, under the socket's lock, on the thread doing the I/O;
// the session answers with plaintext and with bytes to write. So a handshake is driven
// by the scheduler's epoll like any read — no thread per connection, no blocking call —
// and the owner process is woken only when plaintext arrives.
//
// Memory BIOs rather than SSL on the descriptor: the socket keeps doing its own reads,
// writes, write queue, watermarks and coalescing, unchanged for plain sockets, and the
// session only transforms bytes. Its BIO holds no buffer of its own: each call points it
// at the bytes in hand (the scheduler's read buffer going in, a buffer the call frees
// going out). What a connection keeps is the SSL object and this object — with
// SSL_MODE_RELEASE_BUFFERS OpenSSL frees its record buffers between records, so an idle
// TLS connection costs its keys and state, a few kilobytes (chatbench's idle scenario
// measures it). The price: a copy of each record between the socket's buffers and
// OpenSSL's, and one allocation per send for the sealed bytes.
//
// Owner: the socket calls every override under its lock (one writer for `ssl`, `phase`,
// `pending`, `closeSent`); the outcome (counted once, by whoever decides it first: the
// handshake, the transport's end, the owner's timeout) is an atomic; what the owner
// reads of the negotiation is published under `negotiated`'s lock once, when the
// handshake completes.
import Actors
internal import COpenSSL
import Synchronization

/// A TLS session on one socket (give it to `Socket.secure(with:)`). Made by
/// `TLSContext.makeSession`.
///
/// It keeps its keys and record state in this process: a socket carrying it cannot be
/// handed to another OS process (`canLeaveProcess` is false).
///
/// `@unchecked Sendable`: the SSL object and the phase are touched only by the socket,
/// under its lock; what other threads read is an atomic (`outcome`) or behind a mutex
/// (`negotiated`), and the rest is immutable.
public final class TLSSession: SocketSecurity, @unchecked Sendable {
  /// What the handshake agreed, once it completed.
  public struct Negotiated: Sendable, Equatable {
    /// "TLSv1.3" or "TLSv1.2".
    public let protocolVersion: String
    /// The cipher suite's OpenSSL name ("TLS_AES_128_GCM_SHA256").
    public let cipher: String
    /// The SHA-256 fingerprint (lowercase hex) of the certificate the peer presented,
    /// if it presented one: a client certificate for a server session (what SASL
    /// EXTERNAL matches against an account), the server's for a client session.
    public let peerCertificateFingerprint: String?
  }

  /// Where the session is. Written under the socket's lock only.
  private enum Phase { case handshaking, established, closed }

  /// The SSL object; nil once the socket has closed (freed then, not when the socket is).
  private var ssl: OpaquePointer?
  private var phase = Phase.handshaking
  /// Plaintext sent before the handshake completed, sealed when it does.
  private var pending: [UInt8] = []
  /// Whether our close_notify has gone out.
  private var closeSent = false
  private let isServer: Bool
  private let counters: TLSCounters?
  /// 0 undecided, 1 completed, 2 failed: the handshake's outcome, recorded once.
  private let outcome = Atomic<UInt8>(0)
  private let negotiated = Mutex<Negotiated?>(nil)

  /// Plaintext kept before the handshake completes, at most (a server's early answer, a
  /// client's first lines); past it the session fails rather than buffer without end.
  public static let pendingLimit = 256 * 1024

  init(ssl: OpaquePointer, isServer: Bool, counters: TLSCounters?) {
    self.ssl = ssl
    self.isServer = isServer
    self.counters = counters
    super.init()
  }

  deinit {
    if let ssl { SSL_free(ssl) }
  }

  // MARK: - What others read

  /// What the handshake agreed; nil until it has completed.
  public var negotiatedParameters: Negotiated? { negotiated.withLock { $0 } }

  /// Whether the handshake has completed.
  public var isEstablished: Bool { outcome.load(ordering: .acquiring) == 1 }

  /// The SHA-256 fingerprint of the peer's certificate, if it presented one.
  public var peerCertificateFingerprint: String? { negotiatedParameters?.peerCertificateFingerprint }

  /// Whether the connection could be passed to another OS process: never, since the
  /// session's keys and sequence numbers live in this one.
  public var canLeaveProcess: Bool { false }

  /// Counts the handshake as timed out, if it has not completed or failed already: the
  /// owner, which keeps the time, calls it before closing the socket.
  public func recordTimeout() { decide(failed: .timeout) }

  // MARK: - SocketSecurity

  public override func start(wire: inout [UInt8]) -> SecurityStatus {
    guard !isServer else { return .ok }
    return step(input: nil, wire: &wire) { _ in }
  }

  public override func unseal(
    _ input: UnsafeRawBufferPointer, wire: inout [UInt8], plaintext: (UnsafeRawBufferPointer) -> Void
  ) -> SecurityStatus {
    step(input: input, wire: &wire, plaintext: plaintext)
  }

  public override func seal(_ plaintext: UnsafeRawBufferPointer, wire: inout [UInt8]) -> SecurityStatus {
    switch phase {
    case .handshaking:
      guard pending.count + plaintext.count <= Self.pendingLimit else {
        return .failed("TLS: over \(Self.pendingLimit) bytes to send before the handshake completed")
      }
      pending.append(contentsOf: plaintext)
      return .ok
    case .closed:
      return .failed("TLS: the session is over")
    case .established:
      guard let ssl else { return .failed("TLS: the session is over") }
      return withIO(ssl, input: nil, wire: &wire) { () -> SecurityStatus in
        write(ssl, plaintext) ? .ok : failure("TLS: cannot encrypt")
      }
    }
  }

  public override func finish(wire: inout [UInt8]) {
    guard phase == .established, !closeSent, let ssl else { return }
    closeSent = true
    withIO(ssl, input: nil, wire: &wire) {
      ERR_clear_error()
      _ = SSL_shutdown(ssl)
      ERR_clear_error()
    }
  }

  public override func ended(_ how: TransportEnd) {
    switch how {
    case .endOfFile: decide(failed: .closedEarly)
    case .reset: decide(failed: .reset)
    case .closed:
      decide(failed: .abandoned)
      phase = .closed
      pending = []
      if let ssl {
        SSL_free(ssl)
        self.ssl = nil
      }
    }
  }

  // MARK: - Steps

  /// Feeds `input` (nil: none, a client's start) and runs the session as far as it
  /// goes: the handshake, then the records that came.
  private func step(
    input: UnsafeRawBufferPointer?, wire: inout [UInt8], plaintext: (UnsafeRawBufferPointer) -> Void
  ) -> SecurityStatus {
    guard phase != .closed, let ssl else { return .ok }  // after close_notify or the close: ignored
    return withIO(ssl, input: input, wire: &wire) { () -> SecurityStatus in
      if phase == .handshaking {
        ERR_clear_error()
        let r = SSL_do_handshake(ssl)
        guard r == 1 else {
          let error = SSL_get_error(ssl, r)
          if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return .ok }
          return handshakeFailed(ssl, error)
        }
        established(ssl)
        if !pending.isEmpty {
          let early = pending
          pending = []
          let sealed = early.withUnsafeBytes { write(ssl, $0) }
          if !sealed { return failure("TLS: cannot encrypt") }
        }
      }
      return withUnsafeTemporaryAllocation(byteCount: 16384, alignment: 16) { buffer -> SecurityStatus in
        while true {
          ERR_clear_error()
          let n = SSL_read(ssl, buffer.baseAddress, Int32(buffer.count))
          if n > 0 {
            plaintext(UnsafeRawBufferPointer(rebasing: buffer[0..<Int(n)]))
            continue
          }
          switch SSL_get_error(ssl, n) {
          case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .ok
          case SSL_ERROR_ZERO_RETURN:
            phase = .closed
            return .peerClosed
          default:
            let (_, words) = TLSFailure.fromErrorQueue()
            ERR_clear_error()
            phase = .closed
            return .failed("TLS: \(words ?? "the session failed")")
          }
        }
      }
    }
  }

  /// Seals `plaintext` into the BIO (a record per 16 KiB). Lock held, IO attached.
  private func write(_ ssl: OpaquePointer, _ plaintext: UnsafeRawBufferPointer) -> Bool {
    guard plaintext.count > 0 else { return true }
    ERR_clear_error()
    // The BIO takes every byte, so one call seals the whole buffer.
    return SSL_write(ssl, plaintext.baseAddress, Int32(clamping: plaintext.count)) == Int32(clamping: plaintext.count)
  }

  private func established(_ ssl: OpaquePointer) {
    phase = .established
    let version = SSL_get_version(ssl).map { String(cString: $0) } ?? "?"
    let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? "?"
    let peer = SSL_get0_peer_certificate(ssl).map(TLSCertificateInfo.fingerprint)
    negotiated.withLock { $0 = Negotiated(protocolVersion: version, cipher: cipher, peerCertificateFingerprint: peer) }
    if outcome.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged {
      counters?.recordHandshake()
    }
  }

  private func handshakeFailed(_ ssl: OpaquePointer, _ error: Int32) -> SecurityStatus {
    let (kind, words) = error == SSL_ERROR_SSL ? TLSFailure.fromErrorQueue() : (.other, nil)
    ERR_clear_error()
    decide(failed: kind)
    phase = .closed
    let why = words ?? "error \(error)"
    switch kind {
    case .notTLS: return .failed("TLS handshake failed: \(why) (not a TLS client?)")
    case .protocolVersion: return .failed("TLS handshake failed: \(why) (TLS 1.2 or later is required)")
    case .noSharedCipher: return .failed("TLS handshake failed: \(why) (no cipher in common)")
    case .peerAlert: return .failed("TLS handshake failed: the peer sent \(why)")
    default: return .failed("TLS handshake failed: \(why)")
    }
  }

  private func failure(_ message: String) -> SecurityStatus {
    ERR_clear_error()
    phase = .closed
    return .failed(message)
  }

  /// Records a failed handshake of kind `kind`, unless its outcome is decided already.
  private func decide(failed kind: TLSFailure) {
    if outcome.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing).exchanged {
      counters?.recordFailure(kind)
    }
  }

  /// Runs `body` with the session's BIO reading `input` and writing into a buffer whose
  /// bytes are then appended to `wire`.
  @discardableResult
  private func withIO<T>(_ ssl: OpaquePointer, input: UnsafeRawBufferPointer?, wire: inout [UInt8], _ body: () -> T) -> T {
    var io = otter_tls_io()
    io.in = input?.baseAddress?.assumingMemoryBound(to: UInt8.self)
    io.in_len = input?.count ?? 0
    let result = withUnsafeMutablePointer(to: &io) { pointer -> T in
      otter_tls_attach(ssl, pointer)
      defer { otter_tls_attach(ssl, nil) }
      return body()
    }
    if let out = io.out {
      wire.append(contentsOf: UnsafeBufferPointer(start: out, count: io.out_len))
      free(out)
    }
    return result
  }
}

// A process's label (Erlang's `proc_lib:set_label`): what introspection and the observer
// call a process that has no registered name. Either a fixed text, or computed when read
// from an object the process points at — so a label can follow state published elsewhere
// (a client's nick, say) without the process storing a string for it or rewriting it on
// every change. Written only by the process itself (`Context.label`,
// `Context.setLabel(from:)`), under its lock; read by anyone.

/// Something that names a process when asked: `Context.setLabel(from:)` makes its
/// `processLabel` the process's label, read each time introspection looks.
///
/// Called from any thread (the observer's connection, a test), never under the process's
/// lock, so it may take locks of its own; keep it quick and allocation-light, as the
/// observer may read a few hundred labels a second.
public protocol ProcessLabelSource: AnyObject, Sendable {
  /// The label, as of now.
  var processLabel: String { get }
}

/// How a process is labelled. 17 bytes: laid out before a one-byte field (see
/// `ProcessCore`), it takes no more room than the `String?` it replaced.
@usableFromInline
enum ProcessLabel {
  case none
  case text(String)
  /// Computed from `source` when read. The source is let go when the process exits: it
  /// may well hold the process's pid (a client handle does), and a dead process must
  /// hold nothing that leads back to it.
  case computed(any ProcessLabelSource)

  init(_ text: String?) { self = text.map(ProcessLabel.text) ?? .none }

  /// The label's text: a fixed one, or the source asked now. Never call with the
  /// process's lock held.
  var resolved: String? {
    switch self {
    case .none: return nil
    case .text(let text): return text
    case .computed(let source): return source.processLabel
    }
  }
}

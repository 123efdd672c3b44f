// What chatd's node logs while chatd starts, held back until the start is decided. A
// start that succeeds writes it all, in order, before the start line; a start that fails
// drops it — the child's crash report and the supervisor's report say in the runtime's
// words what `StartupError` says in one line with the flag to change — unless the log
// level is debug or finer, for whoever wants the reports behind that line. Held lines
// are written by whatever thread logs during the start; `ChatServer.start` alone ends
// the hold.
import Actors
import Synchronization

final class StartupLogHold: Sendable {
  /// One line as the logger handed it over, with the handler that would have written it
  /// (a copy of the node's logger may carry metadata of its own).
  private struct Line: Sendable {
    let handler: any LogHandler
    let level: Logger.Level
    let message: Logger.Message
    let metadata: Logger.Metadata?
    let source: String
    let file: String
    let function: String
    let line: UInt
  }

  private enum Phase {
    case holding([Line])
    case passing
    case dropping
  }

  private let phase = Mutex<Phase>(.holding([]))

  /// `logger`, whose lines wait here until the hold ends.
  func holding(_ logger: Logger) -> Logger {
    Logger(label: logger.label, handler: Handler(inner: logger.handler, hold: self))
  }

  /// The start succeeded: the held lines are written, and every later one at once.
  func release() { end(.passing) }

  /// The start failed: the held lines and every later one are dropped, or, with
  /// `keeping`, written like `release`.
  func drop(keeping: Bool) { end(keeping ? .passing : .dropping) }

  private func end(_ next: Phase) {
    // Written under the lock, so that a line logged meanwhile by another thread waits
    // and comes after them.
    phase.withLock { phase in
      guard case .holding(let lines) = phase else { return }
      phase = next
      guard case .passing = next else { return }
      for l in lines {
        l.handler.log(
          level: l.level, message: l.message, metadata: l.metadata, source: l.source, file: l.file, function: l.function, line: l.line)
      }
    }
  }

  /// The node's handler: the chatd handler it wraps, behind the hold.
  private struct Handler: LogHandler {
    var inner: any LogHandler
    let hold: StartupLogHold

    func log(
      level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String,
      line: UInt
    ) {
      let write: Bool = hold.phase.withLock { phase in
        switch phase {
        case .passing: return true
        case .dropping: return false
        case .holding(var lines):
          // The array is moved out and back, so that appending does not copy it.
          phase = .passing
          lines.append(
            Line(
              handler: inner, level: level, message: message, metadata: metadata, source: source, file: file, function: function, line: line
            ))
          phase = .holding(lines)
          return false
        }
      }
      if write { inner.log(level: level, message: message, metadata: metadata, source: source, file: file, function: function, line: line) }
    }

    var metadata: Logger.Metadata {
      get { inner.metadata }
      set { inner.metadata = newValue }
    }

    var logLevel: Logger.Level {
      get { inner.logLevel }
      set { inner.logLevel = newValue }
    }
  }
}

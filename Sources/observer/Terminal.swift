// The terminal the live view draws on: raw mode, the alternate screen, a hidden cursor —
// and all of it undone on every way out (quit, Ctrl-C, SIGTERM/SIGHUP, a failed start).
// Signals arrive through a signalfd polled with the keyboard, so nothing runs in a
// signal handler: SIGWINCH becomes a resize, SIGINT/SIGTERM/SIGHUP a quit.
import COtterSys
import Glibc

/// Why the live view cannot run.
struct TerminalError: Error, CustomStringConvertible {
  let description: String
}

/// What woke the loop up.
enum TerminalEvent {
  case bytes([UInt8])
  case resized
  /// SIGINT, SIGTERM or SIGHUP.
  case terminate(Int32)
  /// Nothing within the timeout.
  case idle
}

/// The controlling terminal in raw mode. Single-threaded: one owner, the main loop.
final class Terminal {
  private let input: Int32 = STDIN_FILENO
  private let output: Int32 = STDOUT_FILENO
  private var saved = termios()
  private var active = false
  private let signals: Int32
  private static let watched: [Int32] = [SIGWINCH, SIGINT, SIGTERM, SIGHUP]

  init() throws {
    guard isatty(input) == 1, isatty(output) == 1 else {
      throw TerminalError(description: "the live view needs a terminal; use --once, --json or --dot for output to a pipe or file")
    }
    signals = Terminal.watched.withUnsafeBufferPointer { otter_signalfd_open($0.baseAddress, Int32($0.count)) }
    guard signals >= 0 else { throw TerminalError(description: "signalfd: \(String(cString: strerror(errno)))") }
    guard tcgetattr(input, &saved) == 0 else { throw TerminalError(description: "tcgetattr: \(String(cString: strerror(errno)))") }
  }

  deinit {
    leave()
    close(signals)
  }

  /// (columns, rows); 80×24 if the terminal does not say.
  var size: (width: Int, height: Int) {
    var columns: Int32 = 0
    var rows: Int32 = 0
    guard otter_terminal_size(output, &columns, &rows) == 1 else { return (80, 24) }
    return (Int(columns), Int(rows))
  }

  /// Raw mode (no echo, no line buffering, no signals from keys), alternate screen,
  /// cursor hidden.
  func enter() {
    var raw = saved
    cfmakeraw(&raw)
    // Keep output processing so that "\n" still returns the carriage.
    raw.c_oflag |= tcflag_t(OPOST)
    tcsetattr(input, TCSAFLUSH, &raw)
    active = true
    write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[H\u{1B}[2J")
  }

  /// Back to the terminal as it was. Safe to call twice.
  func leave() {
    guard active else { return }
    active = false
    write("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l")
    tcsetattr(input, TCSAFLUSH, &saved)
  }

  /// Ctrl-Z: restore the terminal, stop as the shell expects, take it back on `fg`.
  func suspend() {
    leave()
    // SIGTSTP is not blocked: its default action stops this process here.
    raise(SIGTSTP)
    enter()
  }

  /// Writes all of `text`.
  func write(_ text: String) {
    var bytes = Array(text.utf8)
    var done = 0
    while done < bytes.count {
      let n = bytes.withUnsafeMutableBytes { Glibc.write(output, $0.baseAddress! + done, $0.count - done) }
      if n > 0 {
        done += n
      } else if n < 0 && errno == EINTR {
        continue
      } else {
        return  // the terminal is gone; nothing to draw on
      }
    }
    bytes.removeAll()
  }

  /// Waits up to `milliseconds` (negative: for ever) for a key, a resize or a signal.
  func next(timeout milliseconds: Int32) -> TerminalEvent {
    var fds = [pollfd(fd: signals, events: Int16(POLLIN), revents: 0), pollfd(fd: input, events: Int16(POLLIN), revents: 0)]
    let n = poll(&fds, 2, milliseconds)
    if n <= 0 { return .idle }
    if fds[0].revents != 0 {
      var resized = false
      while true {
        let s = otter_signalfd_next(signals)
        if s <= 0 { break }
        if s == SIGWINCH { resized = true } else { return .terminate(s) }
      }
      if resized { return .resized }
    }
    if fds[1].revents & Int16(POLLIN) != 0 {
      var buffer = [UInt8](repeating: 0, count: 4096)
      let got = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
      if got > 0 { return .bytes(Array(buffer[..<got])) }
      if got == 0 { return .terminate(SIGHUP) }  // end of input: the terminal went away
    } else if fds[1].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
      return .terminate(SIGHUP)
    }
    return .idle
  }
}

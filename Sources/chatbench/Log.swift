// Progress lines on stderr, stamped with the seconds since start (as ircload's log):
// stdout carries only results.
import Actors
import Glibc

/// Writes progress lines to stderr.
final class Log: Sendable {
  private let start = MonotonicClock.microseconds()
  /// No progress lines at all (tests).
  let quiet: Bool

  init(quiet: Bool = false) { self.quiet = quiet }

  func line(_ text: String) {
    guard !quiet else { return }
    let seconds = Double(MonotonicClock.microseconds() - start) / 1e6
    var stamp = String(Int(seconds * 1000) % 1000)
    stamp = String(repeating: "0", count: 3 - stamp.count) + stamp
    let whole = String(Int(seconds))
    let head = "[" + String(repeating: " ", count: max(0, 4 - whole.count)) + whole + "." + stamp + "] "
    writeStderr(head + text + "\n")
  }
}

/// Writes `text` to stderr in one write (no buffering, so lines never interleave).
func writeStderr(_ text: String) {
  var bytes = Array(text.utf8)
  var offset = 0
  while offset < bytes.count {
    let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
    if n <= 0 { return }
    offset += n
  }
}

/// Writes `text` to stdout at once (results appear as they are measured).
func writeStdout(_ text: String) {
  var bytes = Array(text.utf8)
  var offset = 0
  while offset < bytes.count {
    let n = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress! + offset, $0.count - offset) }
    if n <= 0 { return }
    offset += n
  }
}

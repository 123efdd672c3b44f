// Where formatted log lines are written: stderr, or a file that can be reopened under
// the same path (logrotate renames the file, then asks the program to reopen it). Each
// line is one write(2), so lines written by several threads never interleave (the file
// is opened O_APPEND). The descriptor number never changes: a reopen opens the path
// again and dup2s the new file over the old descriptor, atomically for writers, which
// therefore need no lock. Nothing here is written after init but the file the
// descriptor refers to.
import Glibc

/// A destination for log lines, shared by the handlers that write to it.
public final class LogOutput: Sendable {
  /// Standard error (never closed).
  public static let standardError = LogOutput(descriptor: 2)

  /// The file's path; nil for standard error.
  public let path: String?
  /// Written to by every handler; replaced in place by `reopen`.
  private let descriptor: Int32
  /// The mode a file made by `init` or `reopen` gets (an existing file keeps its own).
  private let mode: mode_t

  private init(descriptor: Int32) {
    self.path = nil
    self.descriptor = descriptor
    self.mode = 0
  }

  /// Opens the file at `path` for appending, creating it with `mode` (0644 unless told;
  /// less if the umask says so) if it does not exist.
  public init(path: String, mode: mode_t = 0o644) throws(LogOutputError) {
    let fd = LogOutput.open(path, mode: mode)
    guard fd >= 0 else { throw LogOutputError(path: path, errno: errno) }
    self.path = path
    self.descriptor = fd
    self.mode = mode
  }

  deinit {
    if path != nil { close(descriptor) }
  }

  /// Opens the path again and writes there from now on — after logrotate has renamed the
  /// file (SIGHUP, in chatd). Standard error ignores this. If the path cannot be opened,
  /// lines keep going to the file as it was, and the error says why.
  public func reopen() throws(LogOutputError) {
    guard let path else { return }
    let fresh = LogOutput.open(path, mode: mode)
    guard fresh >= 0 else { throw LogOutputError(path: path, errno: errno) }
    defer { close(fresh) }
    if dup2(fresh, descriptor) < 0 { throw LogOutputError(path: path, errno: errno) }
  }

  /// Writes `line` (which ends with its newline) in one write(2). A line that cannot be
  /// written (disk full, a closed pipe) is dropped: logging never stops the program.
  public func write(_ line: [UInt8]) {
    line.withUnsafeBytes { buffer in
      guard var next = buffer.baseAddress else { return }
      var left = buffer.count
      var waits = 0
      while left > 0 {
        let n = Glibc.write(descriptor, next, left)
        if n > 0 {
          next += n
          left -= n
        } else if n < 0 && errno == EINTR {
          continue
        } else if n < 0 && errno == EAGAIN && waits < 10 {
          // A non-blocking stderr (a pipe someone else set so): wait a little for room.
          waits += 1
          var p = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
          _ = poll(&p, 1, 10)
        } else {
          return
        }
      }
    }
  }

  private static func open(_ path: String, mode: mode_t) -> Int32 {
    Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode)
  }
}

/// A log file that cannot be opened.
public struct LogOutputError: Error, Sendable, Equatable, CustomStringConvertible {
  public let path: String
  public let errno: Int32

  public var description: String { "cannot open the log file \(path): \(String(cString: strerror(errno)))" }
}

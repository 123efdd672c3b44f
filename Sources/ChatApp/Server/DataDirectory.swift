// The data directory, checked (and created) before anything starts, so that a path
// chatd cannot use is one clear line (what, where, which flag) instead of a Foundation
// error dump, or a history store failing later. Only the last component is created:
// a missing parent is more likely a typo than a wish for a new tree of directories.
import Glibc

enum DataDirectory {
  /// Makes sure `path` is a directory this user may write, creating it if missing.
  static func prepare(_ path: String) throws(StartupError) {
    let fix = "use --data-dir"
    var st = stat()
    if stat(path, &st) == 0 {
      guard (st.st_mode & S_IFMT) == S_IFDIR else {
        throw StartupError(.cannotCreate, "the data directory \(path) is not a directory (\(fix) with a directory)")
      }
      guard access(path, W_OK | X_OK) == 0 else {
        let e = errno
        if e == EROFS {
          throw StartupError(.ioError, "the data directory \(path) is on a read-only file system (\(fix))")
        }
        throw StartupError(
          e == EACCES || e == EPERM ? .permission : .ioError,
          "the data directory \(path) is not writable by this user, uid \(geteuid()): \(reason(e)) (fix its permissions, or \(fix))")
      }
      return
    }
    let cannot = "cannot create the data directory \(path)"
    let parent = Self.parent(of: path)
    var e = errno
    if e == ENOENT {
      if mkdir(path, 0o755) == 0 { return }
      e = errno
    }
    switch e {
    case ENOENT:
      throw StartupError(.cannotCreate, "\(cannot): \(parent) does not exist (create it first, or \(fix))")
    case ENOTDIR:
      throw StartupError(.cannotCreate, "\(cannot): a part of \(parent) is not a directory (\(fix))")
    case EACCES, EPERM:
      throw StartupError(.permission, "\(cannot): this user, uid \(geteuid()), may not create it in \(parent) (\(fix))")
    case EROFS:
      throw StartupError(.ioError, "\(cannot): \(parent) is on a read-only file system (\(fix))")
    case EEXIST:
      // Made by someone else meanwhile (another chatd, `chatd account` starting at the
      // same moment): fine if it is a directory. Else a file, or a dangling link.
      if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { return }
      throw StartupError(.cannotCreate, "\(cannot): something else appeared there (\(fix))")
    default:
      throw StartupError(.ioError, "\(cannot): \(reason(e)) (\(fix))")
    }
  }

  /// The directory `path` would be created in: "." for a bare name, "/" at the top.
  static func parent(of path: String) -> String {
    var p = Substring(path)
    while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
    guard let slash = p.lastIndex(of: "/") else { return "." }
    if slash == p.startIndex { return "/" }
    return String(p[..<slash])
  }

  private static func reason(_ e: Int32) -> String { String(cString: strerror(e)).lowercased() }
}

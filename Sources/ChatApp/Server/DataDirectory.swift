// The data directory, checked (and created) before anything starts, so that a path
// chatd cannot use is one clear line (what, where, which flag) instead of a Foundation
// error dump, or a history store failing later. Only the last component is created:
// a missing parent is more likely a typo than a wish for a new tree of directories.
//
// What chatd keeps there (every channel's history, the control socket) is no other
// user's business: the directory is made 0700 and the history's files 0600. A
// directory or file left wider by an older chatd (0755 and 0644 were the defaults) is
// tightened at start and the log says so — refusing to start would turn an upgrade
// into an outage for a change chatd can make itself; only one it may not change (owned
// by another user) is refused. Nothing here is state: each call looks at the disk.
import Glibc

enum DataDirectory {
  /// Makes sure `path` is a directory this user may write and no other user may enter,
  /// creating it (0700) if missing. Returns what was changed, for the log: an existing
  /// directory that others could enter is tightened to 0700.
  @discardableResult
  static func prepare(_ path: String) throws(StartupError) -> [String] {
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
      var notes: [String] = []
      if st.st_mode & 0o077 != 0 {
        let was = String(st.st_mode & 0o7777, radix: 8)
        // A directory meant for everyone (/tmp) or someone else's is not chatd's to close.
        if st.st_mode & (S_ISVTX | S_IWOTH) != 0 {
          throw StartupError(
            .permission, "the data directory \(path) is shared with other users (mode \(was)): give chatd a directory of its own (\(fix))")
        }
        guard st.st_uid == geteuid(), chmod(path, 0o700) == 0 else {
          throw StartupError(
            .permission,
            "the data directory \(path) may be read by other users (mode \(was)) and chatd cannot change that "
              + "(it belongs to uid \(st.st_uid), this user is uid \(geteuid())): chmod 700 \(path) as its owner, or \(fix)")
        }
        notes.append("the data directory \(path) was open to other users (mode \(was)); it is 700 now")
      }
      return notes
    }
    let cannot = "cannot create the data directory \(path)"
    let parent = Self.parent(of: path)
    var e = errno
    if e == ENOENT {
      if mkdir(path, 0o700) == 0 { return [] }
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
      if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { return [] }
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

  /// Makes the file at `path` readable by this user only: created empty with mode 0600
  /// if `create` and missing (SQLite takes an empty file as an empty database, and
  /// gives its -wal and -shm files the database's mode), tightened if wider. Returns
  /// what was changed, for the log.
  static func keepPrivate(_ path: String, create: Bool) -> [String] {
    var st = stat()
    guard stat(path, &st) == 0 else {
      if create {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd >= 0 { close(fd) }
      }
      return []
    }
    guard (st.st_mode & S_IFMT) == S_IFREG, st.st_mode & 0o077 != 0 else { return [] }
    let was = String(st.st_mode & 0o777, radix: 8)
    guard chmod(path, 0o600) == 0 else {
      return ["\(path) may be read by other users (mode \(was)) and chatd cannot change that: chmod 600 \(path) as its owner"]
    }
    return ["\(path) was readable by other users (mode \(was)); it is 600 now"]
  }

  /// `keepPrivate` for an SQLite database and the files SQLite keeps beside it.
  static func keepDatabasePrivate(_ path: String) -> [String] {
    keepPrivate(path, create: true) + ["-wal", "-shm", "-journal"].flatMap { keepPrivate(path + $0, create: false) }
  }
}

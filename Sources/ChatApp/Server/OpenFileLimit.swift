// The open-file limit chatd needs to start at all. Below a few dozen descriptors the
// runtime underneath cannot start (the schedulers' epoll and eventfds, Dispatch's own
// epoll, SQLite's files, the listeners) and fails wherever it runs out first, Dispatch
// by trapping; so the limit is checked before anything starts, and a limit too low is
// one clear line like every other startup error.
import Glibc

enum OpenFileLimit {
  /// The fewest descriptors chatd starts with (it serves few clients with so many).
  static let minimum = 64

  /// Throws if the hard open-file limit is under `minimum` (the node raises the soft
  /// limit to the hard one itself).
  static func check() throws(StartupError) {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_max < rlim_t(minimum) else { return }
    throw StartupError(
      .system,
      "the open-file limit is \(limit.rlim_max), chatd needs at least \(minimum) (raise it: ulimit -n, or LimitNOFILE= under systemd)")
  }
}

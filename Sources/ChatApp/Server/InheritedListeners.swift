// Listening sockets chatd's parent opened for it: systemd's socket-activation protocol
// (sd_listen_fds(3)), which chatd's own master follows too. The parent leaves the
// listeners open from descriptor 3 on and says so in the environment:
//
//   LISTEN_FDS=2              how many (descriptors 3 and 4)
//   LISTEN_FDNAMES=irc:web    their names, in order (without it: irc, then web)
//   LISTEN_PID=1234           the process they are meant for
//
// chatd serves IRC on the one named `irc` and the web client on `web`, instead of
// listening itself. Why a parent's listener rather than each worker's own: the queue of
// connections waiting to be accepted belongs to the socket, and every process holding
// the descriptor accepts from the same queue — a worker that stops (a reload, a crash)
// takes nothing with it, where one of several SO_REUSEPORT sockets takes the
// connections queued on it (they are reset). So chatd never closes an inherited
// descriptor: each listener process adopts a duplicate (its restart adopts a new one),
// and the original stays open until chatd exits.
//
// `--socket-activation`: `auto` (the default) takes the listeners when LISTEN_PID names
// this process, as systemd's own library does; `require` takes them even without
// LISTEN_PID (a supervisor that spawns with posix_spawn cannot know the pid beforehand)
// and fails the start if there are none; `off` never looks. What chatd takes it removes
// from its environment, so nothing it runs inherits them.
//
// Owner: read once at start (ChatServer.start); immutable after.
import Actors
import COtterSys
import Foundation
import Glibc

/// Whether chatd takes listening sockets from its parent (`--socket-activation`).
public enum SocketActivation: String, Sendable, CaseIterable {
  /// Take them when the environment says they are meant for this process.
  case auto
  /// Take them, and fail the start when there are none.
  case require
  /// Never: listen on the configured addresses.
  case off
}

/// The listening sockets chatd was handed, by purpose.
struct InheritedListeners: Equatable {
  /// The IRC listener's descriptor, kept open for the life of the process.
  var irc: Int32?
  /// The web listener's descriptor.
  var web: Int32?

  /// The first inherited descriptor (after stdin, stdout, stderr).
  static let firstDescriptor: Int32 = 3
  /// The names chatd takes, and the order they are taken in when no names are given.
  static let names = ["irc", "web"]

  /// What the environment hands this process (`pid`), checked as far as it can be
  /// without looking at the descriptors. Throws a usage error that names the variable
  /// and says what is wrong.
  static func parse(environment: [String: String], pid: Int32, mode: SocketActivation) throws(StartupError) -> InheritedListeners {
    func bad(_ what: String) -> StartupError { StartupError(.usage, "socket activation: \(what)") }
    guard mode != .off else { return InheritedListeners() }
    guard let countText = environment["LISTEN_FDS"] else {
      if mode == .require {
        throw bad("--socket-activation require, but no listening sockets were inherited (LISTEN_FDS is not set)")
      }
      return InheritedListeners()
    }
    if let owner = environment["LISTEN_PID"] {
      guard let owner = Int32(owner), owner > 0 else { throw bad("LISTEN_PID=\(owner) is not a process id") }
      if owner != pid {
        // Meant for another process (a parent that was itself socket-activated).
        if mode == .require {
          throw bad("LISTEN_PID=\(owner) names another process than this chatd (\(pid)): the listeners are not meant for it")
        }
        return InheritedListeners()
      }
    } else if mode == .auto {
      // systemd's rule: descriptors whose owner is not said are not taken (another
      // process may have left them); --socket-activation require takes them.
      return InheritedListeners()
    }
    guard let count = Int(countText), (1...names.count).contains(count) else {
      throw bad("LISTEN_FDS=\(countText): expected 1 or 2 (an irc listener and, if any, a web listener)")
    }
    let given: [String]
    if let text = environment["LISTEN_FDNAMES"] {
      given = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
      guard given.count == count else {
        throw bad("LISTEN_FDNAMES=\(text) names \(given.count) descriptors, LISTEN_FDS=\(count) says \(count)")
      }
    } else {
      given = Array(names.prefix(count))
    }
    var inherited = InheritedListeners()
    for (i, name) in given.enumerated() {
      let fd = firstDescriptor + Int32(i)
      switch name {
      case "irc" where inherited.irc == nil: inherited.irc = fd
      case "web" where inherited.web == nil: inherited.web = fd
      case "irc", "web": throw bad("LISTEN_FDNAMES names \(name) twice")
      default:
        throw bad("descriptor \(fd) is named \"\(name)\"; chatd takes listeners named irc and web (FileDescriptorName= in a .socket unit)")
      }
    }
    guard inherited.irc != nil else { throw bad("no listener named irc among the inherited ones (LISTEN_FDNAMES)") }
    return inherited
  }

  /// Takes what this process's environment hands it: checks each descriptor is a
  /// listening TCP socket, makes it close-on-exec, and removes the variables from the
  /// environment. At most once per process (the variables are gone afterwards).
  static func take(_ mode: SocketActivation) throws(StartupError) -> InheritedListeners {
    let inherited = try parse(environment: ProcessInfo.processInfo.environment, pid: getpid(), mode: mode)
    for (name, fd) in [("irc", inherited.irc), ("web", inherited.web)] {
      guard let fd else { continue }
      try check(fd, name: name)
    }
    if inherited != InheritedListeners() {
      for variable in ["LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PID"] { unsetenv(variable) }
    }
    return inherited
  }

  /// Throws unless `fd` is an open, listening TCP socket; makes it close-on-exec.
  private static func check(_ fd: Int32, name: String) throws(StartupError) {
    var domain: Int32 = 0
    var stream: Int32 = 0
    var listening: Int32 = 0
    let described = otter_socket_describe(fd, &domain, &stream, &listening)
    let what = "the inherited descriptor \(fd) (\(name))"
    guard described == 0 else {
      throw StartupError(.usage, "socket activation: \(what) cannot be used: \(String(cString: strerror(-described)))")
    }
    guard stream != 0, listening != 0, domain == AF_INET || domain == AF_INET6 else {
      throw StartupError(.usage, "socket activation: \(what) is not a listening TCP socket")
    }
    _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
  }

  /// "host", port of a listener's local address ("[::1]:6667" gives "::1", 6667).
  static func address(of fd: Int32) -> (host: String, port: Int)? {
    var buffer = [CChar](repeating: 0, count: 128)
    guard otter_local_address(fd, &buffer, 128) == 0 else { return nil }
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
    var host = String(text[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host, port)
  }
}

// Reading systemd's socket-activation variables (InheritedListeners.parse): which
// descriptors chatd takes for IRC and the web in each mode, and the one-line errors for
// what it cannot take. The descriptors themselves are checked by the binary's tests
// (ChatWebTests/SocketActivationTests.swift).
import XCTest

@testable import ChatApp

final class InheritedListenersTests: XCTestCase {
  func parse(_ environment: [String: String], pid: Int32 = 100, _ mode: SocketActivation = .auto) throws -> InheritedListeners {
    try InheritedListeners.parse(environment: environment, pid: pid, mode: mode)
  }

  func message(_ environment: [String: String], pid: Int32 = 100, _ mode: SocketActivation = .auto) -> String {
    do throws(StartupError) {
      _ = try InheritedListeners.parse(environment: environment, pid: pid, mode: mode)
      return "no error"
    } catch {
      XCTAssertEqual(error.status, .usage)
      return error.description
    }
  }

  func testWhatIsTaken() throws {
    // By name, in any order; unnamed: irc first, then web.
    XCTAssertEqual(
      try parse(["LISTEN_FDS": "2", "LISTEN_PID": "100", "LISTEN_FDNAMES": "web:irc"]), InheritedListeners(irc: 4, web: 3))
    XCTAssertEqual(try parse(["LISTEN_FDS": "2", "LISTEN_PID": "100"]), InheritedListeners(irc: 3, web: 4))
    XCTAssertEqual(try parse(["LISTEN_FDS": "1", "LISTEN_PID": "100"]), InheritedListeners(irc: 3))
    // require takes them without LISTEN_PID (a posix_spawn parent cannot know it).
    XCTAssertEqual(try parse(["LISTEN_FDS": "1", "LISTEN_FDNAMES": "irc"], .require), InheritedListeners(irc: 3))
  }

  func testWhatIsLeftAlone() throws {
    XCTAssertEqual(try parse([:]), InheritedListeners())
    // Meant for another process, or for nobody said: auto leaves them (systemd's rule).
    XCTAssertEqual(try parse(["LISTEN_FDS": "1", "LISTEN_PID": "99"]), InheritedListeners())
    XCTAssertEqual(try parse(["LISTEN_FDS": "1"]), InheritedListeners())
    // off never looks, whatever is there.
    XCTAssertEqual(try parse(["LISTEN_FDS": "x", "LISTEN_PID": "100"], .off), InheritedListeners())
  }

  func testWhatCannotBeTakenSaysWhy() {
    XCTAssertEqual(
      message([:], .require),
      "socket activation: --socket-activation require, but no listening sockets were inherited (LISTEN_FDS is not set)")
    XCTAssertEqual(
      message(["LISTEN_FDS": "1", "LISTEN_PID": "99"], .require),
      "socket activation: LISTEN_PID=99 names another process than this chatd (100): the listeners are not meant for it")
    XCTAssertEqual(message(["LISTEN_FDS": "1", "LISTEN_PID": "me"]), "socket activation: LISTEN_PID=me is not a process id")
    XCTAssertEqual(
      message(["LISTEN_FDS": "3", "LISTEN_PID": "100"]),
      "socket activation: LISTEN_FDS=3: expected 1 or 2 (an irc listener and, if any, a web listener)")
    XCTAssertEqual(
      message(["LISTEN_FDS": "2", "LISTEN_PID": "100", "LISTEN_FDNAMES": "irc"]),
      "socket activation: LISTEN_FDNAMES=irc names 1 descriptors, LISTEN_FDS=2 says 2")
    XCTAssertEqual(
      message(["LISTEN_FDS": "2", "LISTEN_PID": "100", "LISTEN_FDNAMES": "irc:irc"]), "socket activation: LISTEN_FDNAMES names irc twice")
    XCTAssertEqual(
      message(["LISTEN_FDS": "1", "LISTEN_PID": "100", "LISTEN_FDNAMES": "web"]),
      "socket activation: no listener named irc among the inherited ones (LISTEN_FDNAMES)")
  }
}

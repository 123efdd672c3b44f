import Actors
// IRC lines: parsing, tags and their escapes, serialising; the command line.
import XCTest

@testable import ChatApp

final class MessageFormatTests: XCTestCase {
  func testParseWithTagsSourceAndTrailing() throws {
    let m = try IRCMessage.parse(Array("@time=2026-01-01T00:00:00.000Z;+x=a\\sb\\:c;flag :nick!u@h PRIVMSG #c :hello there".utf8))
    XCTAssertEqual(m.command, "PRIVMSG")
    XCTAssertEqual(m.source, "nick!u@h")
    XCTAssertEqual(m.params, ["#c", "hello there"])
    XCTAssertEqual(m.tag("+x"), .some("a b;c"))
    XCTAssertEqual(m.tag("flag"), .some(nil))
    XCTAssertTrue(m.tag("missing") == nil, "no such tag")
  }

  func testSerialiseRoundTripsAndEscapesTags() throws {
    let m = IRCMessage(tags: [("+k", "a;b c\\d")], source: "s", "PRIVMSG", ["#c", "two words"])
    let bytes = m.serialized()
    XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "@+k=a\\:b\\sc\\\\d :s PRIVMSG #c :two words\r\n")
    XCTAssertEqual(try IRCMessage.parse(Array(bytes.dropLast(2))), m)
  }

  func testBadLines() {
    XCTAssertThrowsError(try IRCMessage.parse([])) { XCTAssertEqual($0 as? IRCMessage.ParseError, .empty) }
    XCTAssertThrowsError(try IRCMessage.parse(Array(":only-a-source".utf8)))
    XCTAssertThrowsError(try IRCMessage.parse(Array("PRIV$MSG x".utf8)))
  }

  func testCommandLineFlags() throws {
    guard
      case .run(let c) = try ChatCommandLine.parse([
        "--listen", "127.0.0.1:7000", "--data-dir", "/tmp/x", "--no-history", "--oper", "root:pw",
      ])
    else {
      return XCTFail("expected a run")
    }
    XCTAssertEqual(c.port, 7000)
    XCTAssertEqual(c.dataDirectory, "/tmp/x")
    XCTAssertFalse(c.history)
    XCTAssertEqual(c.operators["root"], "pw")
    XCTAssertEqual(try ChatCommandLine.parse(["--help"]), .help)
    XCTAssertThrowsError(try ChatCommandLine.parse(["--port", "99999"])) { XCTAssertTrue("\($0)".contains("--port")) }
    XCTAssertThrowsError(try ChatCommandLine.parse(["--frobnicate"])) { XCTAssertTrue("\($0)".contains("--frobnicate")) }
    XCTAssertThrowsError(try ChatCommandLine.parse(["--listen", "nonsense"]))
    guard case .run(let r) = try ChatCommandLine.parse(["--registration-timeout", "15"]) else { return XCTFail() }
    XCTAssertEqual(r.registrationTimeout, .seconds(15))
    XCTAssertThrowsError(try ChatCommandLine.parse(["--registration-timeout", "0"])) {
      XCTAssertTrue("\($0)".contains("--registration-timeout"))
    }
    XCTAssertEqual(ChatConfig().sendCoalescing, .endOfSlice)
    for (arg, expected) in [("off", SendCoalescing.off), ("0", .endOfSlice), ("25", .window(.milliseconds(25)))] {
      guard case .run(let w) = try ChatCommandLine.parse(["--send-window", arg]) else { return XCTFail(arg) }
      XCTAssertEqual(w.sendCoalescing, expected, arg)
    }
    for bad in ["-1", "1001", "soon"] {
      XCTAssertThrowsError(try ChatCommandLine.parse(["--send-window", bad])) { XCTAssertTrue("\($0)".contains("--send-window"), bad) }
    }
    // Every flag the parser knows is in the help.
    for flag in ["--listen", "--web", "--control-socket", "--data-dir", "--no-history", "--password", "--oper", "--sendq", "--send-window"]
    {
      XCTAssertTrue(ChatCommandLine.help.contains(flag), flag)
    }
  }
}

final class LineLengthTests: XCTestCase {
  func testOutgoingLinesAreCutTo512BytesAtACharacterBoundary() {
    // A relayed message grows by its sender's prefix: it is cut, tags aside.
    let text = String(repeating: "é", count: 300)  // 600 bytes
    let m = IRCMessage(tags: [("time", "2026-11-21T00:00:00.000Z")], source: "nick!user@host", "PRIVMSG", ["#c", text])
    let bytes = m.serialized(forceTrailing: true)
    let body = bytes[(bytes.firstIndex(of: 0x20)! + 1)...]
    XCTAssertLessThanOrEqual(body.count, 512)
    XCTAssertEqual(Array(body.suffix(2)), [0x0D, 0x0A])
    XCTAssertNotNil(String(validating: body, as: UTF8.self), "no character cut in half")
    XCTAssertTrue(body.count >= 510, "only what must go goes")
  }
}

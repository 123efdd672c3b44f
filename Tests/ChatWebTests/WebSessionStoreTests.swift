// The web login's sessions in the account store's SQLite engine, with the clock given:
// a session logs its account in until it expires, its expiry slides when it is used a day
// or more after it was last set, an expired one is gone, and opening a session clears the
// sessions that expired unused. Also the pieces a login request goes through: form
// bodies, origins, the forms' tokens.
import Foundation
import OtterTestSupport
import XCTest

@testable import ChatApp

final class WebSessionStoreTests: XCTestCase {
  func testSessionsExpireSlideAndAreCleared() async throws {
    let directory = temporaryDirectory("web-sessions")
    defer { removeDirectory(directory) }
    let engine = try SQLiteAccountEngine(path: directory + "/accounts.sqlite3")
    let pool = HashingPool(threads: 1)
    defer {
      pool.stop()
      engine.finishAndWait()
    }
    let book = AccountBook(engine: engine, pool: pool)
    func wait<T: Sendable>(_ body: (@escaping AccountBook.Done<T>) -> Void) async -> Result<T, AccountRefusal> {
      await withCheckedContinuation { continuation in body { continuation.resume(returning: $0) } }
    }
    func document(_ key: String) async -> String? {
      await withCheckedContinuation { c in
        engine.run(.read(.webSession, key)) { result in
          if case .document(let json) = result { c.resume(returning: json) } else { c.resume(returning: nil) }
        }
      }
    }
    let alice = try await wait { book.register(name: "alice", password: Secret("alice-password"), $0) }.get()
    let day = 24 * 3600
    let life = WebSessionRecord.lifetime
    let t0 = 1_800_000_000

    func account(_ key: String, at now: Int) async throws -> String? {
      try await wait { book.session(key, now: now, $0) }.get()?.name
    }
    func expiry(_ key: String) async -> Int? { WebSessionRecord.decode(await document(key) ?? "")?.expires }

    _ = try await wait { book.openSession("old", for: alice, now: t0, $0) }.get()
    _ = try await wait { book.openSession("used", for: alice, now: t0, $0) }.get()
    var name = try await account("used", at: t0 + 1)
    XCTAssertEqual(name, "alice")
    name = try await account("nonexistent", at: t0)
    XCTAssertNil(name)
    // Used within its first day: not rewritten. Later: it lives a lifetime from then
    // (the engine runs operations in order: the rewrite before the next read).
    var expires = await expiry("used")
    XCTAssertEqual(expires, t0 + life)
    name = try await account("used", at: t0 + 2 * day)
    XCTAssertEqual(name, "alice")
    expires = await expiry("used")
    XCTAssertEqual(expires, t0 + 2 * day + life)
    // Past its expiry a session logs nobody in, and is gone.
    name = try await account("old", at: t0 + life)
    XCTAssertNil(name)
    var stored = await document("old")
    XCTAssertNil(stored)
    // A session never used again is cleared when a later one opens.
    _ = try await wait { book.openSession("forgotten", for: alice, now: t0 + day, $0) }.get()
    _ = try await wait { book.openSession("new", for: alice, now: t0 + day + life, $0) }.get()
    stored = await document("forgotten")
    XCTAssertNil(stored)
    stored = await document("used")
    XCTAssertNotNil(stored, "slid: still live")
    // Closed: gone.
    _ = try await wait { book.closeSession("used", $0) }.get()
    name = try await account("used", at: t0 + 3 * day)
    XCTAssertNil(name)
  }

  func testFormBodies() throws {
    let form = try XCTUnwrap(FormBody(Array("account=al%C3%AFce&password=a+b%26c%3D&csrf=&x".utf8)))
    XCTAssertEqual(form["account"], "alïce")
    XCTAssertEqual(form["password"], "a b&c=")
    XCTAssertEqual(form["csrf"], "")
    XCTAssertEqual(form["x"], "")
    XCTAssertNil(form["missing"])
    XCTAssertEqual(FormBody(Array("a=%zz%4".utf8))?["a"], "%zz%4", "a stray % stays")
    XCTAssertNil(FormBody(Array("a=%FF".utf8)), "not UTF-8")
  }

  func testOriginsAndTokens() throws {
    XCTAssertEqual(WebOriginPolicy.normalize("HTTPS://Chat.Example:443/"), "https://chat.example")
    XCTAssertEqual(WebOriginPolicy.normalize("http://127.0.0.1:8080"), "http://127.0.0.1:8080")
    XCTAssertEqual(WebOriginPolicy.normalize("http://[::1]:80"), "http://[::1]")
    XCTAssertEqual(WebOriginPolicy.normalize("http://[::1]"), "http://[::1]")
    for bad in ["null", "chat.example", "ftp://x", "http://", "http://a/b", "http://a:0", "http://a:99999", "http://u@a", "http://:80"] {
      XCTAssertNil(WebOriginPolicy.normalize(bad), bad)
    }
    let key = Secret(bytes: Array(repeating: 7, count: 32))
    let cookie = String(repeating: "ab", count: 16)
    let token = FormToken.make(.login, cookie: cookie, key: key)
    XCTAssertTrue(FormToken.check(token, .login, cookie: cookie, key: key))
    XCTAssertFalse(FormToken.check(token, .session, cookie: cookie, key: key), "bound to its purpose")
    XCTAssertFalse(FormToken.check(token, .login, cookie: String(repeating: "cd", count: 16), key: key), "bound to its cookie")
    XCTAssertFalse(FormToken.check(token, .login, cookie: cookie, key: Secret(bytes: Array(repeating: 8, count: 32))), "and the key")
    XCTAssertFalse(FormToken.check(nil, .login, cookie: cookie, key: key))
    XCTAssertFalse(FormToken.check(token, .login, cookie: "not-hex", key: key))
  }
}

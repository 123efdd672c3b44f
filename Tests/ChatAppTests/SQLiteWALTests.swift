// Two connections that open a new database at the same moment — a server starting and a
// `chatd account` command run beside it, as irctest's controller does — both put it in
// WAL mode. SQLite answers one of them "database is locked" at once (it does not wait
// where waiting could deadlock); `SQLiteDatabase.enableWAL` waits and tries again.
import Foundation
import OtterTestSupport
import Synchronization
import XCTest

@testable import ChatApp

final class SQLiteWALTests: XCTestCase {
  func testTwoConnectionsOpeningANewDatabaseAtOnceBothGetWAL() throws {
    let dir = temporaryDirectory("sqlite-wal")
    defer { removeDirectory(dir) }
    var failures: [String] = []
    // Measured with two plain `PRAGMA journal_mode=WAL`s: one database in three failed.
    for round in 0..<40 {
      let path = dir + "/db\(round).sqlite3"
      let errors = Mutex<[String]>([])
      let start = DispatchSemaphore(value: 0)
      let group = DispatchGroup()
      for side in 0..<2 {
        group.enter()
        Thread {
          defer { group.leave() }
          start.wait()
          do {
            let db = try SQLiteDatabase(path: path)
            try db.enableWAL()
            try db.execute("CREATE TABLE IF NOT EXISTS t\(side) (x)")
            db.close()
          } catch {
            errors.withLock { $0.append("\(error)") }
          }
        }.start()
      }
      start.signal()
      start.signal()
      XCTAssertEqual(group.wait(timeout: .now() + 10), .success, "round \(round) finished")
      failures += errors.withLock { $0 }
    }
    XCTAssertEqual(failures, [], "every connection got its database in WAL mode")
  }
}

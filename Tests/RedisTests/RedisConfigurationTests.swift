// Redis URLs: what they set, and the errors that say what is wrong with them.
import XCTest

@testable import Redis

final class RedisConfigurationTests: XCTestCase {
  func testURLs() throws {
    var c = try RedisConfiguration(url: "redis://127.0.0.1:6380/2")
    XCTAssertEqual(c.endpoint, .tcp(host: "127.0.0.1", port: 6380))
    XCTAssertEqual(c.database, 2)
    XCTAssertNil(c.password)
    c = try RedisConfiguration(url: "redis://:p%40ss@localhost")
    XCTAssertEqual(c.endpoint, .tcp(host: "localhost", port: 6379))
    XCTAssertEqual(c.password, "p@ss")
    XCTAssertNil(c.username)
    c = try RedisConfiguration(url: "redis://app:pw@[::1]:7000")
    XCTAssertEqual(c.endpoint, .tcp(host: "::1", port: 7000))
    XCTAssertEqual(c.username, "app")
    XCTAssertEqual(c.endpoint.description, "[::1]:7000")
    c = try RedisConfiguration(url: "unix:///tmp/r.sock?db=4&password=x&name=me")
    XCTAssertEqual(c.endpoint, .unix(path: "/tmp/r.sock"))
    XCTAssertEqual(c.database, 4)
    XCTAssertEqual(c.password, "x")
    XCTAssertEqual(c.clientName, "me")
  }

  func testBadURLsSayWhatIsWrong() {
    let cases = [
      ("127.0.0.1:6379", "no scheme"), ("rediss://h:1", "TLS"), ("http://h", "unknown scheme"), ("redis://h:99999", "bad port"),
      ("redis://h/x", "database"), ("unix://relative", "absolute"), ("redis://[::1:6379", "unclosed"),
    ]
    for (url, words) in cases {
      XCTAssertThrowsError(try RedisConfiguration(url: url), url) { error in
        XCTAssertTrue("\(error)".contains(words), "\(url): \(error)")
      }
    }
  }
}

// Where the installed Redis programs are (redis-server, redis-cli from the Debian
// packages redis-server and redis-tools): found on PATH (and /usr/sbin, /usr/bin), or
// the test is skipped saying how to install them. Stateless.
import Foundation
import XCTest

/// The Redis programs the fixtures run.
public enum RedisTools {
  /// The path of `redis-server`; an `XCTSkip` if it is not installed.
  public static func server() throws -> String {
    guard let path = find("redis-server") else {
      throw XCTSkip("redis-server is not installed (scripts/setup.sh installs it)")
    }
    return path
  }

  /// The path of `redis-cli`; an `XCTSkip` if it is not installed.
  public static func cli() throws -> String {
    guard let path = find("redis-cli") else {
      throw XCTSkip("redis-cli is not installed (scripts/setup.sh installs it, package redis-tools)")
    }
    return path
  }

  /// `name` in a directory of PATH (or /usr/sbin, /usr/bin), if it is executable there.
  static func find(_ name: String) -> String? {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/usr/bin"
    for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
      return "\(dir)/\(name)"
    }
    return nil
  }
}

import Foundation
import OtterTestSupport
import XCTest

@testable import Actors
@testable import Control
@testable import ObserverUI

/// Pointer files: how `observer` finds a node it was not told about.
final class DiscoveryTests: XCTestCase {
  func testPointersComeAndGoWithTheEndpoint() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode(name: "chatd") { node in
      let endpoint = try await Control.start(on: node, EndpointOptions(path: "\(dir)/a.sock", discoveryDirectory: dir))
      let entries = Discovery.liveNodes(in: dir)
      XCTAssertEqual(entries.map(\.name), ["chatd"])
      XCTAssertEqual(entries.first?.socket, endpoint.path)
      XCTAssertEqual(entries.first?.osPid, Int(getpid()))
      var options = ObserverOptions()
      options.discoveryDirectory = dir
      XCTAssertEqual(try ObserverTarget.resolve(options), endpoint.path)

      // A second node: the chatd one is still preferred; a name picks either.
      let other = try Node(schedulers: 1, name: "worker")
      defer { other.shutdown(timeout: .milliseconds(500)) }
      let second = try await Control.start(on: other, EndpointOptions(path: "\(dir)/b.sock", discoveryDirectory: dir))
      XCTAssertEqual(Discovery.liveNodes(in: dir).map(\.name), ["chatd", "worker"])
      XCTAssertEqual(try ObserverTarget.resolve(options), endpoint.path)
      options.node = "worker"
      XCTAssertEqual(try ObserverTarget.resolve(options), second.path)
      XCTAssertEqual(Discovery.choose(Discovery.liveNodes(in: dir), preferred: "nobody"), .ambiguous(Discovery.liveNodes(in: dir)))

      await endpoint.stop(on: node)
      XCTAssertEqual(Discovery.liveNodes(in: dir).map(\.name), ["worker"])
      await second.stop(on: other)
      options.node = nil
      XCTAssertThrowsError(try ObserverTarget.resolve(options)) { error in
        XCTAssertTrue("\(error)".hasPrefix("no running node found in \(dir)"), "\(error)")
      }
    }
  }

  func testStalePointersAreRemovedAndOpenDirectoriesRefused() throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    // A pointer to a socket that is not there (its node died): removed on listing.
    let stale = try Discovery.announce(name: "ghost", socket: "\(dir)/ghost.sock", in: dir)
    XCTAssertTrue(FileManager.default.fileExists(atPath: stale))
    XCTAssertEqual(Discovery.liveNodes(in: dir), [])
    XCTAssertFalse(FileManager.default.fileExists(atPath: stale))
    // Garbage is removed too.
    XCTAssertTrue(FileManager.default.createFile(atPath: "\(dir)/junk.node", contents: Data("not json".utf8)))
    XCTAssertEqual(Discovery.liveNodes(in: dir), [])
    XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/junk.node"))

    // A directory others may write to could hold planted pointers: refused.
    let open = temporaryDirectory(mode: 0o777)
    defer { removeDirectory(open) }
    XCTAssertThrowsError(try Discovery.prepare(open)) { error in
      XCTAssertEqual("\(error)", "\(open) is open to other users (mode 777); it must be 0700")
    }
    XCTAssertThrowsError(try Discovery.announce(name: "x", socket: "/tmp/x.sock", in: open))
  }
}

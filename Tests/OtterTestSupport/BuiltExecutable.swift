// The package's own executables (chatd, observer) and modules, where `swift build
// --build-tests` leaves them: beside the test bundle. A test that needs one is skipped,
// saying how to build it, when it is missing.
import Foundation
import XCTest

/// The directory the test bundle was built into (`.build/<triple>/<configuration>`):
/// the package's executables and `Modules/` are there.
public var buildDirectory: URL {
  let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  var dir = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
  // The bundle's binary may sit inside OtterPackageTests.xctest/ on some layouts.
  for _ in 0..<3 where !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Modules").path) {
    dir.deleteLastPathComponent()
  }
  return dir
}

/// The executable `name` of this package next to this test bundle; the test is skipped
/// if it is missing.
public func builtExecutable(_ name: String) throws -> String {
  let path = buildDirectory.appendingPathComponent(name).path
  guard FileManager.default.isExecutableFile(atPath: path) else {
    throw XCTSkip("no \(name) executable at \(path); build it with swift build --build-tests")
  }
  return path
}

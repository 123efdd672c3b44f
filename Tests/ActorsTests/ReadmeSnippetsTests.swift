// Every Swift snippet in README.md and in the DocC articles (Sources/*/*.docc) compiles
// as shown: each is written to a file of its own and type-checked against the package's
// built modules, imports and all, the way a user pasting it into their own package would
// compile it.
import Foundation
import OtterTestSupport
import XCTest

final class ReadmeSnippetsTests: XCTestCase {
  /// The repository's root (this file is Tests/ActorsTests/ReadmeSnippetsTests.swift).
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// The ```swift blocks of the README and the DocC articles, with where each starts.
  static func snippets() throws -> [(line: String, code: String)] {
    var files = ["README.md"]
    let sources = root.appendingPathComponent("Sources")
    for module in try FileManager.default.contentsOfDirectory(atPath: sources.path).sorted() {
      let catalog = sources.appendingPathComponent(module).appendingPathComponent("\(module).docc")
      guard let articles = try? FileManager.default.contentsOfDirectory(atPath: catalog.path) else { continue }
      files += articles.filter { $0.hasSuffix(".md") }.sorted().map { "Sources/\(module)/\(module).docc/\($0)" }
    }
    return try files.flatMap { file in
      try snippets(in: String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)).map { ("\(file):\($0.line)", $0.code) }
    }
  }

  /// The ```swift blocks of one Markdown text, with the line each starts at.
  static func snippets(in readme: String) -> [(line: Int, code: String)] {
    var out: [(Int, String)] = []
    var current: [String]?
    var start = 0
    for (i, line) in readme.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      if current == nil, line == "```swift" {
        current = []
        start = i + 2
      } else if current != nil, line == "```" {
        out.append((start, current!.joined(separator: "\n") + "\n"))
        current = nil
      } else if current != nil {
        current!.append(String(line))
      }
    }
    return out
  }

  func testEverySwiftSnippetInTheReadmeCompiles() throws {
    // The test bundle sits in the build directory, beside the modules it was built with.
    let build = buildDirectory
    let modules = build.appendingPathComponent("Modules")
    guard FileManager.default.fileExists(atPath: modules.appendingPathComponent("Supervision.swiftmodule").path) else {
      throw XCTSkip("no built modules beside the test bundle at \(build.path)")
    }
    let snippets = try Self.snippets()
    XCTAssertGreaterThanOrEqual(snippets.count, 9, "the Swift snippets of the README and the articles")
    let dir = temporaryDirectory("readme-snippets")
    for (line, code) in snippets {
      // main.swift: top-level code, as in an executable target.
      let file = URL(fileURLWithPath: dir).appendingPathComponent("main.swift")
      try code.write(to: file, atomically: true, encoding: .utf8)
      let swiftc = Process()
      swiftc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      swiftc.arguments = [
        "swiftc", "-typecheck", "-swift-version", "6", "-I", modules.path,
        "-Xcc", "-fmodule-map-file=\(build.appendingPathComponent("COtterSys.build/module.modulemap").path)",
        "-Xcc", "-I", "-Xcc", Self.root.appendingPathComponent("Sources/COtterSys/include").path, file.path,
      ]
      let errors = Pipe()
      swiftc.standardError = errors
      swiftc.standardOutput = FileHandle.nullDevice
      try swiftc.run()
      let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      swiftc.waitUntilExit()
      XCTAssertEqual(swiftc.terminationStatus, 0, "\(line): the snippet does not compile:\n\(text)")
    }
  }

  /// The products the README tells a user to depend on are the package's library products.
  func testTheReadmesPackageLinesNameRealProducts() throws {
    let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
    let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
    let named = readme.components(separatedBy: ".product(name: \"").dropFirst().compactMap { $0.split(separator: "\"").first }
    XCTAssertGreaterThanOrEqual(named.count, 3)
    for product in named {
      XCTAssertTrue(
        manifest.contains(".library(name: \"\(product)\""), "README names a product \(product) that Package.swift does not have")
    }
    XCTAssertTrue(manifest.contains("name: \"Otter\""), "the package's name")
  }
}

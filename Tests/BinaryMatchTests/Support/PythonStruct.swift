// Test support: Python's `struct` module as an independent reference for byte layouts.
//
// Tests hand a Python snippet a list of (format, values) and get the packed bytes back, or
// hand it bytes and get the unpacked values. When python3 is not installed the test is
// skipped (XCTSkip), not failed.
import Foundation
import XCTest

enum PythonStruct {
  /// The python3 executable on PATH, if any.
  static let executable: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
      let candidate = "\(dir)/python3"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }()

  /// Runs `script` with python3; its standard output. Skips the test when python3 is missing.
  static func run(_ script: String) throws -> String {
    guard let python = executable else { throw XCTSkip("python3 is not installed") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", script]
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw XCTSkip("python3 failed: \(String(decoding: errors, as: UTF8.self))")
    }
    return String(decoding: data, as: UTF8.self)
  }

  /// `struct.pack(format, *values)` for each case, as bytes.
  static func pack(_ cases: [(format: String, values: [String])]) throws -> [[UInt8]] {
    let list = cases.map { "(\"\($0.format)\", [\($0.values.joined(separator: ", "))])" }.joined(separator: ",\n")
    let output = try run(
      """
      import struct
      for fmt, vals in [\(list)]:
          print(struct.pack(fmt, *vals).hex())
      """)
    return output.split(separator: "\n").map { hexBytes(String($0)) }
  }

  /// `struct.unpack(format, bytes)` for each case, each value printed with `repr`.
  static func unpack(_ cases: [(format: String, bytes: [UInt8])]) throws -> [[String]] {
    let list = cases.map { "(\"\($0.format)\", bytes.fromhex(\"\(hex($0.bytes))\"))" }.joined(separator: ",\n")
    let output = try run(
      """
      import struct
      for fmt, data in [\(list)]:
          print(" ".join(repr(v) for v in struct.unpack(fmt, data)))
      """)
    return output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { $0.split(separator: " ").map(String.init) }
  }
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func hexBytes(_ s: String) -> [UInt8] {
  var out: [UInt8] = []
  var chars = s.filter { !$0.isWhitespace }.makeIterator()
  while let a = chars.next(), let b = chars.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
  return out
}

/// A deterministic random number generator (SplitMix64), so failures can be reproduced.
struct SeededRandom: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

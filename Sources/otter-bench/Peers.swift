// Peers measured in the same run: Erlang/OTP (the anchors' bench.erl, compiled on the
// fly with erlc) — more to come (C echo server, IRC servers).
import Foundation

enum Erlang {
  /// `erl` on PATH, if any.
  static let erl: String? = which("erl")
  static let erlc: String? = which("erlc")

  /// The folder of our Erlang benchmark sources.
  static var sourceDirectory: URL { benchmarkSources("erlang") }

  nonisolated(unsafe) private static var compiledDirectory: URL?

  /// Compiles the .erl files once per run; nil if Erlang is not installed.
  static func compiled() throws -> URL? {
    guard let erlc else { return nil }
    if let d = compiledDirectory { return d }
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("otter-bench-erl-\(getpid())")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let sources = try FileManager.default.contentsOfDirectory(atPath: sourceDirectory.path)
      .filter { $0.hasSuffix(".erl") }.map { sourceDirectory.appendingPathComponent($0).path }
    let (status, output) = try run(erlc, ["-o", out.path] + sources)
    if status != 0 { throw PeerError.failed("erlc: \(output)") }
    compiledDirectory = out
    return out
  }

  /// Runs `bench:main([name | args])` in a fresh VM; returns the key=value pairs of its
  /// RESULT line.
  static func bench(_ module: String = "bench", _ args: [String], timeout: Double = 300) throws -> [String: Double]? {
    guard let erl, let dir = try compiled() else { return nil }
    let (status, output) = try run(erl, ["+P", "2097152", "-noshell", "-pa", dir.path, "-run", module, "main"] + args, timeout: timeout)
    guard status == 0, let line = output.split(separator: "\n").first(where: { $0.hasPrefix("RESULT") }) else {
      throw PeerError.failed("erl \(args.joined(separator: " ")): \(output.suffix(500))")
    }
    var result: [String: Double] = [:]
    for field in line.split(separator: " ") {
      let kv = field.split(separator: "=", maxSplits: 1)
      if kv.count == 2, let v = Double(kv[1]) { result[String(kv[0])] = v }
    }
    return result
  }
}

enum PeerError: Error, CustomStringConvertible {
  case failed(String)
  var description: String {
    switch self {
    case .failed(let s): return s
    }
  }
}

/// The full path of an executable on PATH.
func which(_ name: String) -> String? {
  for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
    let p = "\(dir)/\(name)"
    if FileManager.default.isExecutableFile(atPath: p) { return p }
  }
  return nil
}

/// Runs a program, returns its exit status and combined output. Kills it after `timeout`.
func run(_ path: String, _ args: [String], timeout: Double = 300) throws -> (Int32, String) {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: path)
  p.arguments = args
  let pipe = Pipe()
  p.standardOutput = pipe
  p.standardError = pipe
  try p.run()
  let deadline = Date().addingTimeInterval(timeout)
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  while p.isRunning {
    if Date() > deadline {
      p.terminate()
      break
    }
    usleep(1000)
  }
  p.waitUntilExit()
  return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A folder of peer sources under Benchmarks/ (`OTTER_BENCH_DIR` overrides the root).
func benchmarkSources(_ folder: String) -> URL {
  if let dir = ProcessInfo.processInfo.environment["OTTER_BENCH_DIR"] {
    return URL(fileURLWithPath: dir).appendingPathComponent(folder)
  }
  // <repo>/Sources/otter-bench/Peers.swift -> <repo>/Benchmarks/<folder>
  let fromSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Benchmarks/\(folder)")
  if FileManager.default.fileExists(atPath: fromSource.path) { return fromSource }
  return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Benchmarks/\(folder)")
}

// Self-signed certificates for TLS tests, made by the openssl tool (as an operator would
// make one) in a test's scratch directory, with the fingerprint the tool computes, so a
// test compares what the server says against an independent count. Nothing is kept
// between calls: each call writes its two files and returns their paths.
import Foundation
import Glibc

/// A certificate and its unencrypted key in PEM files, made by `openssl req -x509`.
public struct TestCertificate: Sendable, Equatable {
  /// The certificate (PEM).
  public let certificateFile: String
  /// Its private key (PEM, no passphrase).
  public let keyFile: String
  /// Its SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` gives it, lowercase
  /// hex without colons.
  public let fingerprint: String

  /// The openssl tool, if installed.
  public static var tool: String? {
    ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// Makes `<name>.crt` and `<name>.key` in `directory`: a self-signed certificate for
  /// `commonName`, valid two days, with an elliptic-curve (P-256) or RSA 2048 key.
  public static func make(
    in directory: String, name: String = "server", commonName: String = "localhost", rsa: Bool = false
  ) throws(TestError) -> TestCertificate {
    guard let tool else { throw TestError("no openssl tool (apt-get install openssl)") }
    let certificate = "\(directory)/\(name).crt"
    let key = "\(directory)/\(name).key"
    let keyType = rsa ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    let made = try run(
      tool, ["req", "-x509"] + keyType + ["-nodes", "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=\(commonName)"])
    guard made.status == 0 else { throw TestError("openssl req failed: \(made.output)") }
    return TestCertificate(certificateFile: certificate, keyFile: key, fingerprint: try fingerprint(of: certificate))
  }

  /// The SHA-256 fingerprint of the PEM certificate in `file`, by the openssl tool.
  public static func fingerprint(of file: String) throws(TestError) -> String {
    guard let tool else { throw TestError("no openssl tool") }
    let printed = try run(tool, ["x509", "-in", file, "-noout", "-fingerprint", "-sha256"])
    guard printed.status == 0, let equals = printed.output.firstIndex(of: "=") else {
      throw TestError("openssl x509 failed: \(printed.output)")
    }
    return printed.output[printed.output.index(after: equals)...].filter { $0 != ":" && !$0.isWhitespace }.lowercased()
  }

  /// Runs `tool` to its end (it is quick): its status and what it printed.
  public static func run(_ tool: String, _ arguments: [String], input: String? = nil) throws(TestError) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    let stdin = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : stdin
    do {
      try withNoSignalsBlocked { try process.run() }
    } catch {
      throw TestError("cannot run \(tool): \(error)")
    }
    if let input {
      try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
      try? stdin.fileHandleForWriting.close()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}

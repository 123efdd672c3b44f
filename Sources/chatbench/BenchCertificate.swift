// The certificate every server of a TLS run presents: one self-signed certificate and
// key, made once per chatbench run by the openssl tool in a directory of its own, so
// chatd, ngIRCd and InspIRCd do the same signature per handshake. An elliptic-curve
// key (P-256, certbot's default) unless RSA 2048 is asked for (`--tls-key-type rsa`):
// the key type is most of a full handshake's cost. The owner (the runner) removes the
// directory when the run ends.
import Foundation
import Glibc

/// A certificate and its key in PEM files.
struct BenchCertificate: Equatable {
  let certificateFile: String
  let keyFile: String
  let directory: String

  /// Makes one in a new directory under the temporary directory.
  static func make(rsa: Bool) throws(LaunchError) -> BenchCertificate {
    guard let openssl = ServerLauncher.installed("openssl") else {
      throw LaunchError("the openssl tool is not installed (apt-get install -y openssl): it makes the bench's certificate")
    }
    let directory = try ServerLauncher.makeDirectory("chatbench-tls-\(getpid())")
    let certificate = BenchCertificate(
      certificateFile: directory + "/bench.crt", keyFile: directory + "/bench.key", directory: directory)
    let key = rsa ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    let plan = LaunchPlan(
      executable: openssl,
      arguments: ["req", "-x509"] + key + [
        "-nodes", "-days", "7", "-subj", "/CN=bench.local", "-keyout", certificate.keyFile, "-out", certificate.certificateFile,
      ])
    let status = try ServerLauncher.runToEnd(plan, log: directory + "/openssl.log")
    guard status == 0, FileManager.default.fileExists(atPath: certificate.keyFile) else {
      let said = (try? String(contentsOfFile: directory + "/openssl.log", encoding: .utf8)) ?? ""
      try? FileManager.default.removeItem(atPath: directory)
      throw LaunchError("openssl req failed (status \(status)): \(said)")
    }
    return certificate
  }

  func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

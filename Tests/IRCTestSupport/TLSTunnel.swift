// IRC over TLS for tests, through the openssl tool: `openssl s_client` connects to
// chatd's TLS port and relays between the TLS session and its stdin/stdout, which are
// one end of a socket pair; the test reads and writes the other end as a plain
// connection. So the server is checked by an implementation of TLS that is not its own.
// The tunnel owns its OS process: it alone stops (by pid) and reaps it, when the
// connection it is attached to goes.
import Foundation
import Glibc
import OtterTestSupport

/// An `openssl s_client` process relaying a plain socket to a TLS server.
public final class TLSTunnel {
  private let process = Process()
  private let errors: String

  /// Whether the openssl tool is installed.
  public static var available: Bool { TestCertificate.tool != nil }

  /// Starts the tool towards 127.0.0.1:`port` (presenting `certificate` if given) and
  /// returns the plain end, which keeps the tunnel alive.
  public static func connect(port: Int, certificate: TestCertificate? = nil) throws(TestError) -> TestConnection {
    var pair: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else { throw TestError("socketpair: errno \(errno)") }
    let tunnel: TLSTunnel
    do {
      tunnel = try TLSTunnel(port: port, certificate: certificate, childEnd: pair[1])
    } catch {
      close(pair[0])
      close(pair[1])
      throw error
    }
    close(pair[1])
    let connection = TestConnection(adopting: pair[0])
    connection.companion = tunnel
    return connection
  }

  private init(port: Int, certificate: TestCertificate?, childEnd: Int32) throws(TestError) {
    guard let tool = TestCertificate.tool else { throw TestError("no openssl tool (apt-get install openssl)") }
    errors = NSTemporaryDirectory() + "tls-tunnel-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
    _ = FileManager.default.createFile(atPath: errors, contents: nil)
    // -quiet: nothing but the server's bytes on stdout (and stdin's end of file ignored:
    // the tunnel is stopped instead).
    var arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-quiet"]
    if let certificate { arguments += ["-cert", certificate.certificateFile, "-key", certificate.keyFile] }
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let end = FileHandle(fileDescriptor: childEnd, closeOnDealloc: false)
    process.standardInput = end
    process.standardOutput = end
    process.standardError = FileHandle(forWritingAtPath: errors)
    do {
      try withNoSignalsBlocked { try process.run() }
    } catch {
      throw TestError("cannot run openssl s_client: \(error)")
    }
  }

  /// What the tool wrote on stderr (its verification notes, its errors).
  public var diagnostics: String { (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "" }

  deinit {
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
    try? FileManager.default.removeItem(atPath: errors)
  }
}

extension IRCTestClient {
  /// A client of chatd's IRC over TLS port, through `openssl s_client` (presenting
  /// `certificate`, a client certificate, if given).
  public convenience init(tlsPort: Int, certificate: TestCertificate? = nil) throws(TestError) {
    self.init(connection: try TLSTunnel.connect(port: tlsPort, certificate: certificate))
  }
}

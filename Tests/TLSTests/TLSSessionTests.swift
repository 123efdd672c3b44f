// TLS sessions on real Otter sockets: a server and a client of this target talking to
// each other, and the openssl tool talking to a server, with certificates the tool made.
import Foundation
import OtterTestSupport
import TLS
import XCTest

@testable import Actors

/// What the server side of a test saw on one connection.
enum ServerSaw: Sendable, Equatable {
  case line(String)
  case closed
  case failed(String)
}

/// A TLS line-echo server on 127.0.0.1: each accepted connection is secured with a
/// session of `context`, its lines echoed back upper-cased and reported to `seen`,
/// with its end. The sessions are given to `sessions` for the test to inspect.
func startTLSEchoServer(
  _ node: Node, context: TLSContext, counters: TLSCounters, requestClientCertificate: Bool = false,
  seen: Recorder<ServerSaw>, sessions: Recorder<TLSSession>? = nil
) async throws -> Int {
  let (replyTo, request) = node.makeReply(Int.self)
  node.spawn(Never.self) { ctx in
    let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
    replyTo.reply(Int(listener.localAddress!.split(separator: ":").last!)!)
    while true {
      let connection = try await ctx.accept(listener)
      let session = context.makeSession(requestClientCertificate: requestClientCertificate, counters: counters)!
      try connection.secure(with: session)
      sessions?.add(session)
      let worker = ctx.spawn(Never.self) { ctx in
        let socket = try await ctx.receiveSocket()
        try socket.setFraming(.line(maxLength: 1 << 20))
        do {
          while let line = try await ctx.read(socket) {
            let text = String(decoding: line, as: UTF8.self)
            seen.add(.line(text.count > 100 ? "\(text.count) bytes" : text))
            socket.send(Array((text.uppercased() + "\n").utf8))
          }
          seen.add(.closed)
        } catch {
          seen.add(.failed("\(error)"))
        }
      }
      try ctx.transfer(connection, to: worker.pid)
    }
  }
  return try await node.receiveResponse(request)
}

final class TLSSessionTests: XCTestCase {
  var directory = ""

  override func setUp() {
    directory = temporaryDirectory("tls")
  }

  override func tearDown() {
    removeDirectory(directory)
  }

  func testLinesBothWaysOverTLS13() async throws {
    let certificate = try TestCertificate.make(in: directory)
    let server = try TLSContext.server(certificateFile: certificate.certificateFile, keyFile: certificate.keyFile)
    XCTAssertEqual(server.certificate?.fingerprint, certificate.fingerprint)
    XCTAssertEqual(server.certificate?.subject, "/CN=localhost")
    let counters = TLSCounters()
    let seen = Recorder<ServerSaw>()
    try await withNode { node in
      let port = try await startTLSEchoServer(node, context: server, counters: counters, seen: seen)
      let client = try TLSContext.client()
      let (replies, negotiated) = try await node.run { ctx -> ([String], TLSSession.Negotiated?) in
        let socket = try await ctx.connect(tcp: "127.0.0.1", port: port)
        let session = client.makeSession()!
        try socket.secure(with: session)
        try socket.setFraming(.line(maxLength: 1 << 20))
        // Sent before the handshake completes: kept by the session until it does.
        socket.send(Array("hello\nworld\n".utf8))
        // Several records' worth in one send.
        socket.send(Array(String(repeating: "x", count: 100_000).utf8) + [0x0A])
        var replies: [String] = []
        while replies.count < 3, let line = try await ctx.read(socket, timeout: .seconds(5)) {
          let text = String(decoding: line, as: UTF8.self)
          replies.append(text.count > 100 ? "\(text.count) bytes" : text)
        }
        socket.close()
        return (replies, session.negotiatedParameters)
      }
      XCTAssertEqual(replies, ["HELLO", "WORLD", "100000 bytes"])
      XCTAssertEqual(negotiated?.protocolVersion, "TLSv1.3")
      XCTAssertEqual(negotiated?.cipher, "TLS_AES_128_GCM_SHA256")
      // The client sees the server's certificate.
      XCTAssertEqual(negotiated?.peerCertificateFingerprint, certificate.fingerprint)
      // The client's close_notify reaches the server as an orderly end.
      try await eventually(timeout: .seconds(5)) { seen.all.last == .closed }
      XCTAssertEqual(seen.all, [.line("hello"), .line("world"), .line("100000 bytes"), .closed])
      XCTAssertEqual(counters.handshakes, 1)
      XCTAssertTrue(counters.failuresByKind.allSatisfy { $0.1 == 0 }, "\(counters.failuresByKind)")
    }
  }

  func testLinesSentInOneRunOfCodeGoOutInOneRecordAndBeforeTheClose() async throws {
    let certificate = try TestCertificate.make(in: directory)
    let server = try TLSContext.server(certificateFile: certificate.certificateFile, keyFile: certificate.keyFile)
    let client = try TLSContext.client()
    let wireBytes = Recorder<Int>()
    try await withNode { node in
      let (replyTo, request) = node.makeReply(Int.self)
      node.spawn(Never.self) { ctx in
        let listener = try ctx.listen(tcp: "127.0.0.1", port: 0)
        replyTo.reply(Int(listener.localAddress!.split(separator: ":").last!)!)
        let socket = try await ctx.accept(listener)
        try socket.secure(with: server.makeSession(counters: TLSCounters())!)
        socket.setSendCoalescing(.endOfSlice)
        try socket.setFraming(.line(maxLength: 1024))
        _ = try await ctx.read(socket, timeout: .seconds(5))  // the handshake is done
        let before = socket.bytesOut.load(ordering: .relaxed)
        for i in 0..<50 { socket.send(Array("line \(i + 10)\n".utf8)) }
        try await ctx.sleep(for: .milliseconds(100))  // the run of code has ended: written
        wireBytes.add(Int(socket.bytesOut.load(ordering: .relaxed) - before))
        // Sent and closed in the same run of code: every line, then close_notify.
        for i in 0..<20 { socket.send(Array("last \(i + 10)\n".utf8)) }
        socket.close()
      }
      let port = try await node.receiveResponse(request)
      let lines = try await node.run { ctx -> [String] in
        let socket = try await ctx.connect(tcp: "127.0.0.1", port: port)
        try socket.secure(with: client.makeSession()!)
        try socket.setFraming(.line(maxLength: 1024))
        socket.send(Array("go\n".utf8))
        var lines: [String] = []
        while let line = try await ctx.read(socket, timeout: .seconds(5)) { lines.append(String(decoding: line, as: UTF8.self)) }
        return lines
      }
      XCTAssertEqual(lines, (0..<50).map { "line \($0 + 10)" } + (0..<20).map { "last \($0 + 10)" })
      // 400 bytes of plaintext: one TLS 1.3 record adds 22 (header, content type, tag);
      // a record per line would have added 50 × 22.
      XCTAssertEqual(wireBytes.all.count, 1)
      XCTAssertLessThanOrEqual(wireBytes.all.first ?? .max, 400 + 22)
    }
  }

  func testClientCertificateFingerprintIsExposedToTheServer() async throws {
    let certificate = try TestCertificate.make(in: directory)
    let clientCertificate = try TestCertificate.make(in: directory, name: "alice", commonName: "alice")
    let server = try TLSContext.server(certificateFile: certificate.certificateFile, keyFile: certificate.keyFile)
    let seen = Recorder<ServerSaw>()
    let sessions = Recorder<TLSSession>()
    try await withNode { node in
      let port = try await startTLSEchoServer(
        node, context: server, counters: TLSCounters(), requestClientCertificate: true, seen: seen, sessions: sessions)
      for context in [
        try TLSContext.client(certificateFile: clientCertificate.certificateFile, keyFile: clientCertificate.keyFile),
        try TLSContext.client(),
      ] {
        _ = try await node.run { ctx -> Bool in
          let socket = try await ctx.connect(tcp: "127.0.0.1", port: port)
          try socket.secure(with: context.makeSession()!)
          try socket.setFraming(.line(maxLength: 512))
          socket.send(Array("hi\n".utf8))
          _ = try await ctx.read(socket, timeout: .seconds(5))
          socket.close()
          return true
        }
      }
      let both = sessions.all
      XCTAssertEqual(both.count, 2)
      // Asked for, optional, accepted though self-signed: its fingerprint is the tool's.
      XCTAssertEqual(both.first?.peerCertificateFingerprint, clientCertificate.fingerprint)
      XCTAssertEqual(both.first?.isEstablished, true)
      XCTAssertNil(both.last?.peerCertificateFingerprint)
      XCTAssertEqual(both.last?.isEstablished, true)
      XCTAssertFalse(both.first?.canLeaveProcess ?? true)
    }
  }

  func testWhatIsNotTLSIsRefusedAndCounted() async throws {
    let certificate = try TestCertificate.make(in: directory)
    let server = try TLSContext.server(certificateFile: certificate.certificateFile, keyFile: certificate.keyFile)
    let counters = TLSCounters()
    let seen = Recorder<ServerSaw>()
    try await withNode { node in
      let port = try await startTLSEchoServer(node, context: server, counters: counters, seen: seen)
      // Plain IRC, an HTTP request and random bytes where a ClientHello should be.
      var generator = SystemRandomNumberGenerator()
      // A whole handshake record of random bytes: its header says 300 bytes follow, so the
      // server has it all (random length bytes could announce more and leave it waiting).
      let garbage = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
      for bytes in [
        Array("NICK alice\r\nUSER a 0 * :a\r\n".utf8), Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
        [0x16, 0x03, 0x01, 0x01, 0x2C] + garbage,
      ] {
        let connection = try TestConnection(port: port)
        try connection.send(bytes)
        // The server closes (after an alert): end of file or a reset, never a hang.
        _ = try? connection.readToEnd()
        XCTAssertTrue(connection.closed)
      }
      try await eventually(timeout: .seconds(5)) { seen.all.count == 3 }
      for saw in seen.all {
        guard case .failed(let why) = saw else { return XCTFail("expected a failure, got \(saw)") }
        XCTAssertTrue(why.hasPrefix("TLS handshake failed: "), why)
      }
      XCTAssertEqual(counters.handshakes, 0)
      XCTAssertEqual(counters.failures(.notTLS), 3, "\(seen.all) \(counters.failuresByKind)")
    }
  }

  func testOldProtocolVersionsAreRefused() async throws {
    guard let tool = TestCertificate.tool else { throw XCTSkip("no openssl tool") }
    let certificate = try TestCertificate.make(in: directory)
    let server = try TLSContext.server(certificateFile: certificate.certificateFile, keyFile: certificate.keyFile)
    let counters = TLSCounters()
    try await withNode { node in
      let port = try await startTLSEchoServer(node, context: server, counters: counters, seen: Recorder())
      for version in ["-tls1", "-tls1_1"] {
        // The tool's own security level would refuse to offer these: lowered, so that
        // the server is the one saying no.
        let run = try TestCertificate.run(
          tool, ["s_client", "-connect", "127.0.0.1:\(port)", version, "-cipher", "DEFAULT@SECLEVEL=0"], input: "")
        XCTAssertNotEqual(run.status, 0, run.output)
        XCTAssertFalse(run.output.contains("New, TLSv1"), run.output)
      }
      // A TLS 1.2 client with the default ciphers is served.
      let modern = try TestCertificate.run(tool, ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_2"], input: "")
      XCTAssertTrue(modern.output.contains("Protocol  : TLSv1.2") || modern.output.contains("TLSv1.2"), modern.output)
      try await eventually(timeout: .seconds(5)) { counters.failures(.protocolVersion) == 2 && counters.handshakes == 1 }
    }
  }

  func testAResetMidStreamEndsTheConnection() async throws {
    let certificate = try TestCertificate.make(in: directory)
    let server = try TLSContext.server(certificateFile: certificate.certificateFile, keyFile: certificate.keyFile)
    let seen = Recorder<ServerSaw>()
    try await withNode { node in
      let port = try await startTLSEchoServer(node, context: server, counters: TLSCounters(), seen: seen)
      var client: HandDrivenTLSClient? = try HandDrivenTLSClient(port: port, context: TLSContext.client())
      try client?.send("one\n")
      XCTAssertEqual(try client?.readLine(), "ONE")
      // Closed with SO_LINGER 0: a reset, and no close_notify before it.
      var abort = linger(l_onoff: 1, l_linger: 0)
      setsockopt(client!.connection.fd, SOL_SOCKET, SO_LINGER, &abort, socklen_t(MemoryLayout<linger>.size))
      client = nil
      try await eventually(timeout: .seconds(5)) { seen.all.count == 2 }
      XCTAssertEqual(seen.all.first, .line("one"))
      XCTAssertEqual(seen.all.last, .failed("\(SocketError.reset)"))
    }
  }

  func testAnAlertMidStreamEndsTheConnection() async throws {
    let certificate = try TestCertificate.make(in: directory)
    let server = try TLSContext.server(certificateFile: certificate.certificateFile, keyFile: certificate.keyFile)
    let seen = Recorder<ServerSaw>()
    try await withNode { node in
      let port = try await startTLSEchoServer(node, context: server, counters: TLSCounters(), seen: seen)
      let client = try HandDrivenTLSClient(port: port, context: TLSContext.client())
      try client.send("one\n")
      XCTAssertEqual(try client.readLine(), "ONE")
      // A fatal alert record (TLS 1.2 framing, as TLS 1.3 sends alerts once encrypted
      // keys are in use the record is garbage to the server: either way it must end).
      try client.connection.send([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])
      _ = try? client.connection.readToEnd()
      try await eventually(timeout: .seconds(5)) { seen.all.count == 2 }
      guard case .failed(let why) = seen.all.last else { return XCTFail("\(seen.all)") }
      XCTAssertTrue(why.hasPrefix("TLS: "), why)
    }
  }

  func testBadFilesAreRefusedWithTheirNameAndTheFix() throws {
    let certificate = try TestCertificate.make(in: directory)
    let other = try TestCertificate.make(in: directory, name: "other")
    func refusal(_ cert: String, _ key: String) -> String {
      do {
        _ = try TLSContext.server(certificateFile: cert, keyFile: key)
        return "accepted"
      } catch {
        return error.description
      }
    }
    XCTAssertEqual(
      refusal("\(directory)/missing.crt", certificate.keyFile),
      "cannot read the TLS certificate file \(directory)/missing.crt: no such file")
    XCTAssertEqual(refusal(certificate.certificateFile, directory), "cannot read the TLS key file \(directory): it is a directory")
    // The certificate and key files swapped.
    XCTAssertTrue(
      refusal(certificate.keyFile, certificate.certificateFile).contains("holds no PEM certificate"),
      refusal(certificate.keyFile, certificate.certificateFile))
    XCTAssertTrue(
      refusal(certificate.certificateFile, certificate.certificateFile).contains("holds no PEM private key"),
      refusal(certificate.certificateFile, certificate.certificateFile))
    XCTAssertEqual(
      refusal(certificate.certificateFile, other.keyFile),
      "the TLS key in \(other.keyFile) does not belong to the certificate in \(certificate.certificateFile) (give the key the certificate was made for)"
    )
    // A key with a passphrase is refused, never prompted for.
    let encrypted = "\(directory)/encrypted.key"
    let wrote = try TestCertificate.run(
      TestCertificate.tool!, ["pkey", "-in", certificate.keyFile, "-out", encrypted, "-aes256", "-passout", "pass:secret"])
    XCTAssertEqual(wrote.status, 0, wrote.output)
    XCTAssertTrue(
      refusal(certificate.certificateFile, encrypted).contains("protected by a passphrase"), refusal(certificate.certificateFile, encrypted)
    )
    // One file holding both is fine.
    let both = "\(directory)/both.pem"
    try
      (String(contentsOfFile: certificate.certificateFile, encoding: .utf8) + String(contentsOfFile: certificate.keyFile, encoding: .utf8))
      .write(toFile: both, atomically: true, encoding: .utf8)
    XCTAssertEqual(refusal(both, both), "accepted")
  }
}

/// A blocking TLS client for tests: a session of this target driven by hand over a plain
/// test connection (what the socket does, done in line), so a test controls the TCP
/// connection under it (a reset, raw records).
final class HandDrivenTLSClient {
  let connection: TestConnection
  let session: TLSSession
  private var plaintext: [UInt8] = []

  init(port: Int, context: TLSContext) throws {
    connection = try TestConnection(port: port)
    session = context.makeSession()!
    var wire: [UInt8] = []
    _ = session.start(wire: &wire)
    try connection.send(wire)
  }

  func send(_ text: String) throws {
    var wire: [UInt8] = []
    let status = Array(text.utf8).withUnsafeBytes { session.seal($0, wire: &wire) }
    guard status == .ok else { throw TestError("seal: \(status)") }
    try connection.send(wire)
  }

  func readLine() throws -> String {
    while true {
      if let newline = plaintext.firstIndex(of: 0x0A) {
        defer { plaintext.removeSubrange(...newline) }
        return String(decoding: plaintext[..<newline], as: UTF8.self)
      }
      guard try connection.fill() else { throw TestError("closed") }
      let input = connection.buffer
      connection.buffer = []
      var wire: [UInt8] = []
      let status = input.withUnsafeBytes { session.unseal($0, wire: &wire) { plaintext += $0 } }
      if !wire.isEmpty { try connection.send(wire) }
      guard status == .ok else { throw TestError("unseal: \(status)") }
    }
  }
}

// chatd over TLS, with real clients: `openssl s_client` tunnels (an implementation of
// TLS that is not chatd's), a TLS client of the TLS target, raw TCP for what is not TLS.
// Registration and conversation, client certificates in WHOIS, handshakes that never
// finish cut within the handshake timeout, a certificate reloaded without dropping
// anyone, and the counters /metrics shows for all of it.
import Foundation
import IRCTestSupport
import OtterTestSupport
import TLS
import XCTest

@testable import Actors
@testable import ChatApp

/// A test configuration with IRC over TLS on a free port (and the plain port off)
/// presenting `certificate`.
func tlsConfig(_ certificate: TestCertificate, plainPort: Bool = false) -> ChatConfig {
  var config = testConfig()
  if !plainPort { config.port = nil }
  config.tlsPort = 0
  config.tlsCertificateFile = certificate.certificateFile
  config.tlsKeyFile = certificate.keyFile
  config.metricsPort = 0
  return config
}

/// The SHA-256 fingerprint of the certificate a TLS server on 127.0.0.1:`port` presents,
/// as `openssl s_client` receives it and `openssl x509` counts it.
func presentedFingerprint(port: Int, in directory: String) throws -> String {
  let tool = try XCTUnwrap(TestCertificate.tool)
  let shown = try TestCertificate.run(tool, ["s_client", "-connect", "127.0.0.1:\(port)"], input: "")
  guard let begin = shown.output.range(of: "-----BEGIN CERTIFICATE-----"),
    let end = shown.output.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<shown.output.endIndex)
  else { throw TestError("no certificate in s_client's output: \(shown.output)") }
  let file = "\(directory)/presented-\(UInt32.random(in: 0...UInt32.max)).pem"
  try (String(shown.output[begin.lowerBound..<end.upperBound]) + "\n").write(toFile: file, atomically: true, encoding: .utf8)
  return try TestCertificate.fingerprint(of: file)
}

final class TLSServerTests: XCTestCase {
  var directory = ""

  override func setUpWithError() throws {
    guard TLSTunnel.available else { throw XCTSkip("no openssl tool (apt-get install openssl)") }
    directory = temporaryDirectory("chatd-tls")
  }

  override func tearDown() {
    removeDirectory(directory)
  }

  func testClientsRegisterAndTalkOverTLSWithThePlainPortOff() async throws {
    let certificate = try TestCertificate.make(in: directory)
    try await withChatServer(tlsConfig(certificate)) { server in
      XCTAssertEqual(server.ircPort, 0, "no plain IRC listener")
      XCTAssertNotEqual(server.ircTLSPort, 0)
      let alice = try IRCTestClient(tlsPort: server.ircTLSPort)
      let bob = try IRCTestClient(tlsPort: server.ircTLSPort)
      try alice.register("alice")
      try bob.register("bob")
      try alice.join("#secure")
      try bob.join("#secure")
      alice.send("PRIVMSG #secure :over TLS")
      try bob.expect("PRIVMSG", containing: "over TLS")
      // WHOIS says the connection is secure; no certificate, so no fingerprint.
      bob.send("WHOIS alice")
      try bob.expect("671", containing: "is using a secure connection")
      try bob.expect("318")
      XCTAssertFalse(bob.backlog.contains { $0.command == "276" })
      let metrics = try scrape(try XCTUnwrap(server.metricsPort))
      XCTAssertEqual(metrics.value("chatd_tls_handshakes_total", ["listener": "irc"]), 2)
      XCTAssertEqual(metrics.value("chatd_tls_handshake_failures_total", ["listener": "irc", "reason": "not_tls"]), 0)
      XCTAssertEqual(metrics.value("chatd_connections", ["transport": "irc"]), 2)
    }
  }

  func testAClientCertificateFingerprintIsShownToItsHolderAndOpersOnly() async throws {
    let certificate = try TestCertificate.make(in: directory)
    let aliceCertificate = try TestCertificate.make(in: directory, name: "alice", commonName: "alice")
    var config = tlsConfig(certificate, plainPort: true)
    config.operators = ["root": "sesame"]
    try await withChatServer(config) { server in
      let alice = try IRCTestClient(tlsPort: server.ircTLSPort, certificate: aliceCertificate)
      try alice.register("alice")
      alice.send("WHOIS alice")
      try alice.expect("276", containing: "has client certificate fingerprint \(aliceCertificate.fingerprint)")
      // A plain client sees that alice is secure, not her fingerprint.
      let bob = try IRCTestClient(port: server.ircPort)
      try bob.register("bob")
      bob.send("WHOIS alice")
      try bob.expect("671")
      try bob.expect("318")
      XCTAssertFalse(bob.backlog.contains { $0.command == "276" })
      bob.send("WHOIS bob")
      try bob.expect("318")
      XCTAssertFalse(bob.backlog.contains { $0.command == "671" }, "a plain connection is not secure")
      // An operator does.
      bob.send("OPER root sesame")
      try bob.expect("381")
      bob.send("WHOIS alice")
      try bob.expect("276", containing: aliceCertificate.fingerprint)
    }
  }

  /// A handshake that stalls, one that comes a byte at a time, and one cut short: each
  /// connection is closed within the handshake timeout (plus the sweeper's tick), and
  /// counted. What is not TLS at all is closed at once.
  func testUnfinishedHandshakesAreCutWithinTheTimeout() async throws {
    let certificate = try TestCertificate.make(in: directory)
    var config = tlsConfig(certificate)
    config.tlsHandshakeTimeout = .seconds(1)
    // A real ClientHello, to send too slowly or in part.
    var hello: [UInt8] = []
    _ = try TLSContext.client().makeSession()!.start(wire: &hello)
    XCTAssertGreaterThan(hello.count, 100)
    try await withChatServer(config) { server in
      let port = server.ircTLSPort
      let started = ContinuousClock.now
      let stalled = try TestConnection(port: port, timeout: 0.1)
      let partial = try TestConnection(port: port, timeout: 0.1)
      try partial.send(Array(hello.prefix(hello.count / 2)))
      let slow = try TestConnection(port: port, timeout: 0.1)
      let garbage = try TestConnection(port: port, timeout: 0.1)
      try garbage.send("NICK alice\r\nUSER a 0 * :a\r\n")
      // One byte every 200 ms would take the ClientHello a minute.
      var sent = 0
      while !(stalled.closed && partial.closed && slow.closed && garbage.closed) {
        if ContinuousClock.now - started > .seconds(6) { break }
        if !slow.closed, sent < hello.count {
          try? slow.send([hello[sent]])
          sent += 1
        }
        for connection in [stalled, partial, slow, garbage] { _ = connection.receive(waiting: 0.05) }
        try await Task.sleep(for: .milliseconds(150))
      }
      // The handshake timeout is 1 s and the sweeper looks every 200 ms: 6 s leaves a
      // loaded machine room, and is far from the minute the slow hello would take.
      XCTAssertTrue(stalled.closed, "a stalled handshake is cut")
      XCTAssertTrue(partial.closed, "a handshake cut short is cut")
      XCTAssertTrue(slow.closed, "a slow-loris handshake is cut (after \(sent) of \(hello.count) bytes)")
      XCTAssertTrue(garbage.closed, "plain IRC on the TLS port is refused")
      XCTAssertLessThan(sent, hello.count)
      let metrics = try await eventuallyValue("the failures counted") { () -> PrometheusExposition? in
        let m = try scrape(try XCTUnwrap(server.metricsPort))
        return m.value("chatd_tls_handshake_failures_total", ["listener": "irc", "reason": "timeout"]) == 3 ? m : nil
      }
      XCTAssertEqual(metrics.value("chatd_tls_handshake_failures_total", ["listener": "irc", "reason": "not_tls"]), 1)
      XCTAssertEqual(metrics.value("chatd_tls_handshakes_total", ["listener": "irc"]), 0)
      // None of them is a client any more.
      try await eventually { server.services.clients.count == 0 }
    }
  }

  /// A new certificate, read again (what SIGHUP does): new connections get it, a client
  /// connected before keeps its session and goes on talking; files that cannot be used
  /// leave the certificate as it was.
  func testAReloadedCertificateServesNewConnectionsWhileOldOnesTalkOn() async throws {
    let first = try TestCertificate.make(in: directory, name: "first")
    let second = try TestCertificate.make(in: directory, name: "second")
    // The files chatd is told of: the first certificate now, the second after a copy.
    let certificateFile = "\(directory)/chatd.crt"
    let keyFile = "\(directory)/chatd.key"
    try FileManager.default.copyItem(atPath: first.certificateFile, toPath: certificateFile)
    try FileManager.default.copyItem(atPath: first.keyFile, toPath: keyFile)
    var config = tlsConfig(first)
    config.tlsCertificateFile = certificateFile
    config.tlsKeyFile = keyFile
    try await withChatServer(config) { server in
      let port = server.ircTLSPort
      XCTAssertEqual(try presentedFingerprint(port: port, in: directory), first.fingerprint)
      let old = try IRCTestClient(tlsPort: port)
      try old.register("old")
      try old.join("#reload")

      for (from, to) in [(second.certificateFile, certificateFile), (second.keyFile, keyFile)] {
        try FileManager.default.removeItem(atPath: to)
        try FileManager.default.copyItem(atPath: from, toPath: to)
      }
      XCTAssertTrue(server.reloadCertificates())
      XCTAssertEqual(try presentedFingerprint(port: port, in: directory), second.fingerprint)

      let new = try IRCTestClient(tlsPort: port)
      try new.register("new")
      try new.join("#reload")
      old.send("PRIVMSG #reload :still here")
      try new.expect("PRIVMSG", containing: "still here")
      new.send("PRIVMSG #reload :welcome back")
      try old.expect("PRIVMSG", containing: "welcome back")

      // A key that does not match: refused, the second certificate stays.
      try FileManager.default.removeItem(atPath: keyFile)
      try FileManager.default.copyItem(atPath: first.keyFile, toPath: keyFile)
      XCTAssertFalse(server.reloadCertificates())
      XCTAssertEqual(try presentedFingerprint(port: port, in: directory), second.fingerprint)
      old.send("PRIVMSG #reload :and still")
      try new.expect("PRIVMSG", containing: "and still")

      let metrics = try scrape(try XCTUnwrap(server.metricsPort))
      XCTAssertEqual(metrics.value("chatd_tls_reloads_total", ["result": "ok"]), 1)
      XCTAssertEqual(metrics.value("chatd_tls_reloads_total", ["result": "failed"]), 1)
    }
  }

  func testAnUnusableCertificateStopsTheStartWithItsName() async throws {
    let certificate = try TestCertificate.make(in: directory)
    var config = tlsConfig(certificate)
    config.tlsCertificateFile = "\(directory)/missing.crt"
    do {
      try await withChatServer(config) { _ in XCTFail("started without a certificate") }
    } catch let error as StartupError {
      XCTAssertEqual(error.status, .tlsCertificate)
      XCTAssertEqual(
        error.description,
        "cannot read the TLS certificate file \(directory)/missing.crt: no such file "
          + "(use --tls-cert and --tls-key with a PEM certificate chain and its key; see README \"TLS\")")
    }
    config = tlsConfig(certificate)
    config.tlsKeyFile = certificate.certificateFile
    do {
      try await withChatServer(config) { _ in XCTFail("started without a key") }
    } catch let error as StartupError {
      XCTAssertEqual(error.status, .tlsCertificate)
      XCTAssertTrue(
        error.description.hasPrefix("the TLS key file \(certificate.certificateFile) holds no PEM private key"), error.description)
    }
  }
}

// chatd's TLS as outside tools see it: sslscan lists what it offers (TLS 1.2 and 1.3
// only, no weak cipher), irssi registers and chats over TLS, and the built chatd, run
// as an operator runs it, reloads its certificate on SIGHUP without dropping a client
// and refuses to start with a certificate it cannot use. Each test skips, saying what
// to install, when its tool is missing (scripts/setup.sh installs them).
import Foundation
import IRCTestSupport
import OtterTestSupport
import RedisTestSupport
import XCTest

@testable import ChatApp

final class TLSPeersTests: XCTestCase {
  var directory = ""

  override func setUpWithError() throws {
    guard TLSTunnel.available else { throw XCTSkip("no openssl tool (apt-get install openssl)") }
    directory = temporaryDirectory("chatd-tls-peers")
  }

  override func tearDown() {
    removeDirectory(directory)
  }

  func tool(_ name: String) -> String? {
    ["/usr/bin/\(name)", "/usr/local/bin/\(name)", "/usr/sbin/\(name)"].first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// sslscan's verdict on chatd's TLS port: which protocols it accepts, and every
  /// cipher it accepts with its strength.
  func testSSLScanFindsOnlyModernProtocolsAndStrongCiphers() async throws {
    guard let sslscan = tool("sslscan") else { throw XCTSkip("needs sslscan: apt-get install sslscan (scripts/setup.sh does)") }
    let certificate = try TestCertificate.make(in: directory, rsa: true)
    try await withChatServer(tlsConfig(certificate)) { server in
      let scan = try runProgram(sslscan, ["--no-colour", "127.0.0.1:\(server.ircTLSPort)"], timeout: .seconds(120))
      XCTAssertEqual(scan.status, 0, scan.description)
      let lines = scan.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
      func protocolLine(_ name: String) -> String? { lines.first { $0.hasPrefix(name + " ") } }
      for old in ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"] {
        XCTAssertTrue(protocolLine(old)?.hasSuffix("disabled") ?? false, "\(old): \(protocolLine(old) ?? "not listed")\n\(scan.stdout)")
      }
      for modern in ["TLSv1.2", "TLSv1.3"] {
        XCTAssertTrue(protocolLine(modern)?.hasSuffix("enabled") ?? false, "\(modern): \(protocolLine(modern) ?? "not listed")")
      }
      XCTAssertTrue(scan.stdout.contains("Session renegotiation not supported"), scan.stdout)
      XCTAssertFalse(scan.stdout.contains("Compression enabled"), scan.stdout)
      // "Preferred TLSv1.3  128 bits  TLS_AES_128_GCM_SHA256  Curve 25519 DHE 253"
      let ciphers = lines.filter { $0.hasPrefix("Preferred ") || $0.hasPrefix("Accepted ") }
      XCTAssertFalse(ciphers.isEmpty, scan.stdout)
      for line in ciphers {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 5, let bits = Int(fields[2]) else { return XCTFail("unreadable: \(line)") }
        let name = String(fields[4])
        XCTAssertGreaterThanOrEqual(bits, 128, line)
        XCTAssertTrue(name.contains("GCM") || name.contains("CHACHA20"), "not an AEAD cipher: \(line)")
        XCTAssertTrue(fields[1] == "TLSv1.3" || name.hasPrefix("ECDHE-"), "no forward secrecy: \(line)")
        for weak in ["RC4", "3DES", "DES-", "NULL", "EXP", "MD5", "CBC", "anon"] {
          XCTAssertFalse(name.contains(weak), line)
        }
      }
      // The server's own order: the first TLS 1.2 cipher it prefers is an AES-GCM one.
      XCTAssertTrue(ciphers.contains { $0.hasPrefix("Preferred TLSv1.2") && $0.contains("ECDHE-RSA-AES128-GCM-SHA256") }, "\(ciphers)")
      let protocols = lines.filter { ($0.hasPrefix("SSLv") || $0.hasPrefix("TLSv1.")) && $0.hasSuffix("abled") }
      print("sslscan summary:\n" + (protocols + ciphers).joined(separator: "\n"))
    }
  }

  /// irssi, in a terminal of tmux's, connects with `-tls`, registers, joins and talks
  /// with a client of chatd's tests.
  func testIrssiChatsOverTLS() async throws {
    guard let irssi = tool("irssi"), let tmux = tool("tmux") else { throw XCTSkip("needs irssi and tmux: apt-get install irssi tmux") }
    let certificate = try TestCertificate.make(in: directory)
    try await withChatServer(tlsConfig(certificate)) { server in
      let port = server.ircTLSPort
      // A tmux server of this test's own (its socket named here), stopped at the end.
      let socketName = "chatd-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      // Spawned and reaped here rather than by Foundation's Process, which learns of a
      // child's end from a descriptor the child holds — and the tmux server that
      // new-session forks inherits it and lives on. Output goes to a file, for the same
      // reason.
      let outputFile = directory + "/tmux.out"
      func tmuxRun(_ arguments: [String]) throws -> String {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([tmux, "-L", socketName] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = withNoSignalsBlocked { posix_spawn(&pid, tmux, &actions, nil, argv, environ) }
        guard spawned == 0 else { throw TestError("cannot run tmux: errno \(spawned)") }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(10)
        while waitpid(pid, &status, WNOHANG) == 0 {
          guard Date() < deadline else {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            throw TestError("tmux \(arguments) did not finish")
          }
          usleep(10_000)
        }
        let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        guard status == 0 else { throw TestError("tmux \(arguments): status \(status), \(output)") }
        return output
      }
      let home = directory + "/irssi"
      try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
      _ = try tmuxRun(["new-session", "-d", "-s", "irc", "-x", "160", "-y", "40", "\(irssi) --home=\(home) -n irssiuser"])
      defer { _ = try? tmuxRun(["kill-server"]) }
      func say(_ line: String) throws {
        _ = try tmuxRun(["send-keys", "-t", "irc", "-l", line])
        _ = try tmuxRun(["send-keys", "-t", "irc", "Enter"])
      }
      func screenShows(_ text: String) async throws {
        try await eventually("irssi's screen to show \(text)", timeout: .seconds(15)) {
          try tmuxRun(["capture-pane", "-p", "-t", "irc"]).contains(text)
        }
      }
      try await Task.sleep(for: .seconds(1))
      try say("/connect -tls -notls_verify 127.0.0.1 \(port)")
      try await screenShows("Welcome to the OtterNet")
      try say("/join #tls")
      try await screenShows("has joined #tls")

      let bob = try IRCTestClient(tlsPort: port)
      try bob.register("bob")
      try bob.join("#tls")
      try say("hello from irssi over TLS")
      try bob.expect("PRIVMSG", containing: "hello from irssi over TLS")
      bob.send("PRIVMSG #tls :hi irssi, bob here")
      try await screenShows("hi irssi, bob here")
      bob.send("WHOIS irssiuser")
      try bob.expect("671", containing: "is using a secure connection")
      try say("/quit leaving")
      try bob.expect("QUIT", containing: "leaving")
    }
  }

  /// The built chatd with IRC over TLS only: SIGHUP after the files were replaced makes
  /// new connections get the new certificate, while a client connected before talks on.
  func testTheBuiltChatdReloadsItsCertificateOnSIGHUP() async throws {
    let first = try TestCertificate.make(in: directory, name: "first")
    let second = try TestCertificate.make(in: directory, name: "second")
    let certificateFile = "\(directory)/chatd.crt"
    let keyFile = "\(directory)/chatd.key"
    try FileManager.default.copyItem(atPath: first.certificateFile, toPath: certificateFile)
    try FileManager.default.copyItem(atPath: first.keyFile, toPath: keyFile)
    let chatd = try LogsEndToEndTests.Chatd.start {
      [
        "--port", "off", "--tls", "127.0.0.1:0", "--tls-cert", certificateFile, "--tls-key", keyFile, "--log-format", "json",
        "--log-file", $0 + "/chatd.log",
      ]
    }
    defer { chatd.stop() }
    let log = chatd.directory + "/chatd.log"
    func lines() throws -> [[String: Any]] {
      let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      return try text.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }
    let address = try await eventuallyValue("the start line with the TLS port") { () -> String? in
      try lines().compactMap { ($0["metadata"] as? [String: Any])?["irc_tls"] as? String }.first
    }
    let port = try XCTUnwrap(Int(address.split(separator: ":").last ?? ""))
    XCTAssertEqual(try presentedFingerprint(port: port, in: directory), first.fingerprint)
    let old = try IRCTestClient(tlsPort: port)
    try old.register("old")
    try old.join("#hup")

    for (from, to) in [(second.certificateFile, certificateFile), (second.keyFile, keyFile)] {
      try FileManager.default.removeItem(atPath: to)
      try FileManager.default.copyItem(atPath: from, toPath: to)
    }
    kill(chatd.process.processIdentifier, SIGHUP)
    try await eventually("the reload logged") {
      try lines().contains { ($0["message"] as? String)?.hasPrefix("TLS certificate reloaded: /CN=localhost") == true }
    }
    XCTAssertTrue(chatd.process.isRunning, "SIGHUP reloads, it does not stop chatd")
    XCTAssertEqual(try presentedFingerprint(port: port, in: directory), second.fingerprint)
    let new = try IRCTestClient(tlsPort: port)
    try new.register("new")
    try new.join("#hup")
    old.send("PRIVMSG #hup :connected before the reload")
    try new.expect("PRIVMSG", containing: "connected before the reload")
    // The key is never in the log; its path is. The log is chatd's user's alone.
    XCTAssertEqual(mode(log), 0o600)
    let text = try String(contentsOfFile: log, encoding: .utf8)
    XCTAssertTrue(text.contains(keyFile))
    XCTAssertFalse(text.contains("PRIVATE KEY"))
    chatd.process.terminate()
    let status = try await chatd.exitStatus()
    XCTAssertEqual(status, 0)
  }

  func testTheBuiltChatdRefusesACertificateItCannotUse() async throws {
    let certificate = try TestCertificate.make(in: directory)
    let executable = try builtExecutable("chatd")
    let base = ["--port", "0", "--web-port", "0", "--metrics-listen", "off", "--data-dir", directory + "/data", "--tls", "127.0.0.1:0"]
    let missing = try runProgram(executable, base + ["--tls-cert", directory + "/none.crt", "--tls-key", certificate.keyFile])
    XCTAssertEqual(missing.status, ChatExitStatus.tlsCertificate.rawValue, missing.description)
    XCTAssertEqual(
      missing.stderr,
      "chatd: cannot read the TLS certificate file \(directory)/none.crt: no such file "
        + "(use --tls-cert and --tls-key with a PEM certificate chain and its key; see README \"TLS\")\n")
    let noCertificate = try runProgram(executable, base)
    XCTAssertEqual(noCertificate.status, ChatExitStatus.usage.rawValue, noCertificate.description)
    XCTAssertTrue(noCertificate.stderr.contains("--tls needs --tls-cert FILE"), noCertificate.description)
  }
}

// chatd's configuration file (`--config FILE`) and `--check-config`: a good file gives
// its settings, every kind of bad line is named by file and line, the command line
// overrides the file, the file accepts exactly the flags the command line does, and the
// printed settings read back as the same settings; then the built binary, as an
// operator runs it, with a bad file, with --check-config and started from a file.
import Foundation
import OtterTestSupport
import XCTest

@testable import Actors
@testable import ChatApp

final class ConfigFileTests: XCTestCase {
  /// `text` written to chatd.conf in a new directory; its path.
  func configFile(_ text: String, in directory: String) -> String {
    let path = directory + "/chatd.conf"
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
  }

  /// The settings `text` gives, read as the file "chatd.conf".
  func settings(_ text: String) throws(UsageError) -> ChatConfig { try ChatConfigFile.parse(text, file: "chatd.conf") }

  /// The one-line error `text` gives.
  func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
    do throws(UsageError) {
      _ = try settings(text)
      XCTFail("no error for:\n\(text)", file: file, line: line)
      return ""
    } catch {
      return error.description
    }
  }

  func testAGoodFileGivesItsSettings() throws {
    let config = try settings(
      """
      # chatd on the LAN
      listen = [::1]:7000

        web-port=0
      metrics-listen = off\r
      data-dir = /srv/chat data
      no-history = true
      history-replay = 50
      server-name = irc.example.org
      password = a#b=c d
      oper = alice:secret
      oper = bob:hunter2
      no-flood-limit = false
      sndbuf = 65536
      send-window = 25
      ping-interval = 30
      log-level = warning
      verbose = false
      shutdown-timeout = 9
      """)
    XCTAssertEqual(config.host, "::1")
    XCTAssertEqual(config.port, 7000)
    XCTAssertEqual(config.webPort, 0)
    XCTAssertNil(config.metricsPort)
    XCTAssertEqual(config.dataDirectory, "/srv/chat data")
    XCTAssertFalse(config.history)
    XCTAssertEqual(config.historyReplay, 50)
    XCTAssertEqual(config.serverName, "irc.example.org")
    // Only whole lines are comments; a value runs to the end of its line.
    XCTAssertEqual(config.password, "a#b=c d")
    XCTAssertEqual(config.operators, ["alice": "secret", "bob": "hunter2"])
    // A flag without a value written false is the line left out.
    XCTAssertTrue(config.floodProtection)
    XCTAssertEqual(config.logLevel, .warning)
    XCTAssertEqual(config.kernelSendBuffer, 65536)
    XCTAssertEqual(config.sendCoalescing, .window(.milliseconds(25)))
    XCTAssertEqual(config.pingInterval, .seconds(30))
    XCTAssertEqual(config.shutdownTimeout, .seconds(9))
    // What the file does not name keeps its default.
    XCTAssertEqual(config.networkName, ChatConfig().networkName)
    XCTAssertEqual(try settings(""), ChatConfig())
    XCTAssertEqual(try settings("# nothing but a comment\n\n"), ChatConfig())
  }

  func testEveryKindOfBadLineIsNamedByFileAndLine() {
    let good = "# settings\nport = 7000\n\n"  // three lines before the bad one
    let cases: [(String, String)] = [
      ("prot = 6667", #"chatd.conf:4: unknown setting "prot" (did you mean "port"?)"#),
      ("log_level = debug", #"chatd.conf:4: unknown setting "log_level" (did you mean "log-level"?)"#),
      ("colour = blue", #"chatd.conf:4: unknown setting "colour""#),
      ("port 6667", #"chatd.conf:4: expected "setting = value", got "port 6667""#),
      ("= 6667", #"chatd.conf:4: expected "setting = value", got "= 6667" (no setting before the =)"#),
      ("--port = 6667", #"chatd.conf:4: write the setting without dashes: "port", not "--port""#),
      ("port = 70000", #"chatd.conf:4: --port: expected a whole number in 0...65535, got "70000""#),
      (
        "listen = example.org:6667",
        #"chatd.conf:4: --listen: expected an IP address (such as 127.0.0.1, ::1 or 0.0.0.0), got "example.org""#
      ),
      ("oper = alice", "chatd.conf:4: --oper: expected NAME:PASSWORD"),
      ("log-level = loud", #"chatd.conf:4: --log-level: expected one of trace, debug, info, notice, warning, error, critical, got "loud""#),
      ("no-history = yes", #"chatd.conf:4: --no-history: expected true or false (it takes no other value), got "yes""#),
      ("no-history =", #"chatd.conf:4: --no-history: expected true or false (it takes no other value), got """#),
      ("config = other.conf", "chatd.conf:4: a config file cannot name another (--config belongs on the command line)"),
      ("check-config = true", #"chatd.conf:4: "check-config" is a command-line flag, not a setting"#),
      ("help = true", #"chatd.conf:4: "help" is a command-line flag, not a setting"#),
      ("version = true", #"chatd.conf:4: "version" is a command-line flag, not a setting"#),
    ]
    for (line, expected) in cases {
      XCTAssertEqual(error(good + line + "\nport = 7001\n"), expected, line)
    }
  }

  func testTheCommandLineOverridesTheFileWhereverConfigStands() throws {
    let dir = temporaryDirectory("chatd-conf")
    defer { removeDirectory(dir) }
    let path = configFile("port = 7000\nserver-name = from.file\noper = alice:one\nlog-level = debug\n", in: dir)
    for arguments in [["--config", path, "--port", "7001"], ["--port", "7001", "--config", path], ["--port=7001", "--config=\(path)"]] {
      guard case .run(let config) = try ChatCommandLine.parse(arguments + ["--oper", "bob:two"]) else {
        return XCTFail("expected a run for \(arguments)")
      }
      XCTAssertEqual(config.port, 7001, "\(arguments)")
      XCTAssertEqual(config.serverName, "from.file", "\(arguments)")
      XCTAssertEqual(config.logLevel, .debug, "\(arguments)")
      // Repeatable flags add to the file's, as they add to each other.
      XCTAssertEqual(config.operators, ["alice": "one", "bob": "two"], "\(arguments)")
    }
    guard case .check(let checked) = try ChatCommandLine.parse(["--check-config", "--config", path]) else {
      return XCTFail("expected a check")
    }
    XCTAssertEqual(checked.port, 7000)
    XCTAssertEqual(try ChatCommandLine.parse(["--config", path, "--help"]), .help)

    XCTAssertThrowsError(try ChatCommandLine.parse(["--config", dir + "/missing.conf"])) {
      XCTAssertEqual("\($0)", "--config: cannot read \(dir)/missing.conf: No such file or directory")
    }
    XCTAssertThrowsError(try ChatCommandLine.parse(["--config", dir])) {
      XCTAssertEqual("\($0)", "--config: cannot read \(dir): it is a directory")
    }
    XCTAssertThrowsError(try ChatCommandLine.parse(["--config", path, "--config", path])) {
      XCTAssertEqual("\($0)", "--config: given twice (\(path), \(path)); name one file")
    }
    XCTAssertThrowsError(try ChatCommandLine.parse(["--config"])) { XCTAssertEqual("\($0)", "--config needs a value") }
    // The file's errors name the file as it was given.
    _ = configFile("port = 7000\nprot = 7001\n", in: dir)
    XCTAssertThrowsError(try ChatCommandLine.parse(["--config", path])) {
      XCTAssertEqual("\($0)", "\(path):2: unknown setting \"prot\" (did you mean \"port\"?)")
    }
  }

  /// The file has no list of its own: every flag `chatd --help` documents is a setting,
  /// but for the few that act on the command itself.
  func testEveryDocumentedFlagIsASetting() throws {
    let flags = ChatCommandLine.documentedFlags
    XCTAssertTrue(flags.contains("--port") && flags.contains("--help") && flags.contains("--check-config"), "\(flags)")
    for flag in flags {
      let key = String(flag.dropFirst(2))
      // A value no flag takes: the flag's own error or a setting, never an unknown one.
      do throws(UsageError) {
        _ = try settings("\(key) = true")
      } catch {
        XCTAssertFalse(error.description.contains("unknown setting"), "\(flag): \(error)")
      }
    }
    XCTAssertEqual(
      Set(ChatConfigFile.commandLineOnly.map { "--" + $0 }).subtracting(flags), [], "command-line-only flags --help does not document")
  }

  func testTheCheckedSettingsReadBackAsTheSameSettings() throws {
    let changed = try settings(
      """
      listen = 0.0.0.0:7000
      web = [::1]:8081
      metrics-listen = 127.0.0.1:9999
      control-socket = /run/chatd.sock
      data-dir = /var/lib/chatd
      no-history = true
      history-replay = 7
      restore-window = 60
      server-name = irc.example.org
      network-name = ExampleNet
      nick-length = 20
      no-flood-limit = true
      flood-burst = 30
      flood-rate = 9
      sendq = 65536
      sndbuf = 8192
      send-window = off
      ping-interval = 11
      ping-timeout = 12
      registration-timeout = 13
      log-level = trace
      log-format = json
      log-file = /var/log/chatd.log
      shutdown-timeout = 14
      password = secret
      oper = alice:secret
      account-registration = before-connect
      min-password-length = 12
      nick-grace = 5
      node = node-a
      cluster = redis://10.0.0.5:6379
      cluster-listen = 0.0.0.0:7000
      cluster-advertise = 10.0.0.6
      cluster-secret = secret-of-the-network
      cluster-name = staging
      workers = 3
      """)
    let text = ChatConfigFile.text(of: changed)
    XCTAssertFalse(text.contains("= secret") || text.contains(":secret") || text.contains("secret-of-the-network"), text)
    XCTAssertTrue(text.contains("# password: set (not shown)\n# oper: alice, with a password (not shown)\n"), text)
    XCTAssertTrue(text.contains("\ncluster = redis://10.0.0.5:6379\nnode = node-a\ncluster-listen = 0.0.0.0:7000\n"), text)
    XCTAssertTrue(text.contains("\n# cluster-secret: set (not shown)\ncluster-name = staging\n"), text)
    var expected = changed
    expected.password = nil
    expected.operators = [:]
    expected.clusterSecret = nil
    let reread = try settings(text)
    XCTAssertEqual(reread, expected, text)
    XCTAssertEqual(reread.kernelSendBuffer, 8192)
    XCTAssertEqual(reread.sendCoalescing, .off)
    XCTAssertEqual(
      ChatConfigFile.text(of: reread),
      text.replacingOccurrences(of: "# password: set (not shown)", with: "# password: none")
        .replacingOccurrences(of: "set (not shown)", with: "none (one kept in the Redis)")
        .replacingOccurrences(of: "# oper: alice, with a password (not shown)\n", with: ""))
    // The defaults, too, read back as themselves.
    let defaults = ChatConfigFile.text(of: ChatConfig())
    XCTAssertEqual(ChatConfigFile.text(of: try settings(defaults)), defaults)
    XCTAssertTrue(defaults.contains("\nlisten = 127.0.0.1:6667\n"), defaults)
    XCTAssertTrue(defaults.contains("\n# control-socket: not set (\(ChatConfig().controlSocketPath), under data-dir)\n"), defaults)
  }

  /// The network settings are weighed together once the file and the command line are
  /// both read: in whatever order they come, wherever they come from.
  func testNetworkSettingsAreCheckedTogetherAfterFileAndFlags() throws {
    let dir = temporaryDirectory("chatd-conf")
    defer { removeDirectory(dir) }
    // A node's server name is its own, unless the file or a flag names one.
    let named = try settings("node = a\ncluster = redis://127.0.0.1:6379\n")
    XCTAssertEqual(named.serverName, "a.chatd.local")
    XCTAssertEqual(
      try settings("server-name = irc.example.org\ncluster = redis://127.0.0.1:6379\nnode = a\n").serverName, "irc.example.org")
    let path = configFile("server-name = irc.example.org\n", in: dir)
    guard case .run(let flags) = try ChatCommandLine.parse(["--config", path, "--cluster", "redis://127.0.0.1:6379", "--node", "b"]) else {
      return XCTFail("expected a run")
    }
    XCTAssertEqual(flags.serverName, "irc.example.org")
    _ = configFile("cluster = redis://127.0.0.1:6379\n", in: dir)
    guard case .run(let mixed) = try ChatCommandLine.parse(["--node=b", "--config", path]) else { return XCTFail("expected a run") }
    XCTAssertEqual(mixed.serverName, "b.chatd.local")
    XCTAssertEqual(mixed.cluster, "redis://127.0.0.1:6379")

    // A network setting without a network, from the file or a flag in either form.
    XCTAssertEqual(error("node = a\n"), "chatd.conf: --node needs --cluster redis://HOST:PORT (a node joins a network through its Redis)")
    _ = configFile("cluster-name = staging\n", in: dir)
    for arguments in [["--config", path], ["--cluster-name=staging"]] {
      XCTAssertThrowsError(try ChatCommandLine.parse(arguments), "\(arguments)") {
        XCTAssertEqual("\($0)", "--cluster-name needs --cluster redis://HOST:PORT (a node joins a network through its Redis)")
      }
    }
    XCTAssertEqual(
      error("cluster = redis://127.0.0.1:6379\ncluster-secret = short\n"), "chatd.conf:2: --cluster-secret: at least 8 characters")
  }

  /// A setting added to `ChatConfig` must be printed by `--check-config` (or be one no
  /// flag sets): this list fails the test until it is decided.
  func testEverySettingIsPrintedOrHasNoFlag() {
    let printed: Set<String> = [
      "host", "port", "webHost", "webPort", "metricsHost", "metricsPort", "dataDirectory", "controlSocket", "history",
      "serverName", "networkName", "motd", "password", "operators", "nickLength", "pingInterval", "pingTimeout",
      "registrationTimeout", "floodProtection", "floodBurst", "floodRate", "sendQueueLimit", "kernelSendBuffer",
      "sendCoalescing", "historyReplay", "channelRestoreWindow", "logLevel", "logFormat", "logFile", "shutdownTimeout",
      "cluster", "nodeName", "clusterListenHost", "clusterListenPort", "clusterAdvertisedHost", "clusterSecret", "clusterName",
      "clusterLease", "socketActivation", "workers", "handOffSocket", "accountRegistration", "minimumPasswordLength", "nickGrace",
      "alwaysOn",
      "tlsHost", "tlsPort", "webTLSHost", "webTLSPort", "tlsCertificateFile", "tlsKeyFile", "tlsHandshakeTimeout",
      "webOrigins", "webGuests",
    ]
    let noFlag: Set<String> = [
      "channelLength", "topicLength", "awayLength", "kickLength", "userLength", "channelsPerClient", "monitorLimit",
      "listModesLimit", "targetsLimit", "floodDisconnect", "historyMemory", "chathistoryLimit", "historyBackend", "memoryTrimInterval",
      // From the environment (NOTIFY_SOCKET), as systemd hands it.
      "notifySocket",
    ]
    let fields = Set(Mirror(reflecting: ChatConfig()).children.compactMap(\.label))
    XCTAssertEqual(
      fields.subtracting(printed).subtracting(noFlag), [],
      "ChatConfig settings neither printed by ChatConfigFile.text(of:) nor listed here as having no flag")
  }

  /// docs/chatd.conf.example shows every setting, and is a good file both as it stands
  /// (all commented: the defaults) and with every setting's line uncommented.
  func testTheExampleFileShowsEverySettingAndReads() throws {
    let dir = temporaryDirectory("chatd-conf")
    defer { removeDirectory(dir) }
    let example = try String(
      contentsOfFile: #filePath.components(separatedBy: "/Tests/")[0] + "/docs/chatd.conf.example", encoding: .utf8)
    let lines = example.split(separator: "\n", omittingEmptySubsequences: false)
    let settingLine = /^# ([a-z][a-z-]*) = (.*)$/
    let shown = Set(lines.compactMap { try? settingLine.wholeMatch(in: $0).map { String($0.1) } })
    XCTAssertEqual(Set(ChatConfigFile.settingNames).subtracting(shown), [], "settings docs/chatd.conf.example does not show")
    XCTAssertEqual(shown.subtracting(ChatConfigFile.settingNames), [], "docs/chatd.conf.example shows what is no setting")
    XCTAssertEqual(try settings(example), ChatConfig())

    _ = FileManager.default.createFile(atPath: dir + "/motd", contents: Data("hello\n".utf8))
    let uncommented = lines.map { line -> String in
      guard let match = try? settingLine.wholeMatch(in: line) else { return String(line) }
      return match.1 == "motd" ? "motd = \(dir)/motd" : String(line.dropFirst(2))
    }
    let config = try settings(uncommented.joined(separator: "\n"))
    XCTAssertEqual(config.operators, ["alice": "change-me", "bob": "change-me-too"])
    XCTAssertEqual(config.motd, ["hello"])
    XCTAssertFalse(config.history)
  }

  /// The TLS settings: listeners that can be turned off, a certificate they need, and
  /// the lot read back from --check-config's output.
  func testTLSSettingsAreCheckedTogetherAndReadBack() throws {
    let config = try settings(
      """
      port = off
      tls = 0.0.0.0:6697
      web-tls = [::1]:8443
      tls-cert = /etc/chatd/chain.pem
      tls-key = /etc/chatd/key.pem
      tls-handshake-timeout = 5
      """)
    XCTAssertNil(config.port)
    XCTAssertEqual(config.tlsHost, "0.0.0.0")
    XCTAssertEqual(config.tlsPort, 6697)
    XCTAssertEqual(config.webTLSHost, "::1")
    XCTAssertEqual(config.webTLSPort, 8443)
    XCTAssertEqual(config.tlsCertificateFile, "/etc/chatd/chain.pem")
    XCTAssertEqual(config.tlsKeyFile, "/etc/chatd/key.pem")
    XCTAssertEqual(config.tlsHandshakeTimeout, .seconds(5))
    let text = ChatConfigFile.text(of: config)
    XCTAssertTrue(
      text.contains(
        "\nlisten = off\n"), text)
    XCTAssertTrue(
      text.contains(
        "\ntls = 0.0.0.0:6697\nweb-tls = [::1]:8443\ntls-cert = /etc/chatd/chain.pem\ntls-key = /etc/chatd/key.pem\ntls-handshake-timeout = 5\n"
      ),
      text)
    XCTAssertEqual(try settings(text), config)
    XCTAssertEqual(try settings("listen = off\ntls = 127.0.0.1:6697\ntls-cert = c.pem").port, nil)

    XCTAssertEqual(
      error("tls = 127.0.0.1:6697\n"),
      "chatd.conf: --tls needs --tls-cert FILE, the PEM certificate to present (and --tls-key FILE unless that file holds the key)")
    XCTAssertEqual(
      error("web-tls = 127.0.0.1:8443\ntls-key = k.pem\n"),
      "chatd.conf: --web-tls needs --tls-cert FILE, the PEM certificate to present (and --tls-key FILE unless that file holds the key)")
    XCTAssertEqual(
      error("tls-cert = c.pem\n"), "chatd.conf: --tls-cert: no TLS listener uses it (add --tls HOST:PORT or --web-tls HOST:PORT)")
    XCTAssertEqual(
      error("port = off\nweb-port = 0\n"), "chatd.conf: nothing to listen on: --port off with no --tls, --web or --web-tls listener")
    XCTAssertEqual(error("port = of\n"), "chatd.conf:1: --port: expected a whole number in 0...65535, got \"of\"")
    XCTAssertEqual(error("tls = 6697\n"), "chatd.conf:1: --tls: expected HOST:PORT or off, got \"6697\"")
    XCTAssertEqual(
      error("tls-handshake-timeout = 0\n"), "chatd.conf:1: --tls-handshake-timeout: expected a whole number in 1...300, got \"0\"")
    // The key defaults to the certificate's file.
    XCTAssertNil(try settings("tls = 127.0.0.1:6697\ntls-cert = both.pem").tlsKeyFile)
  }

  func testSuggestionsAreCloseOnesOnly() {
    XCTAssertEqual(ChatConfigFile.suggestion(for: "prot"), "port")
    XCTAssertEqual(ChatConfigFile.suggestion(for: "Port"), "port")
    XCTAssertEqual(ChatConfigFile.suggestion(for: "nohistory"), "no-history")
    XCTAssertEqual(ChatConfigFile.suggestion(for: "server-nmae"), "server-name")
    XCTAssertNil(ChatConfigFile.suggestion(for: "colour"))
    XCTAssertNil(ChatConfigFile.suggestion(for: "help"), "a command-line flag is not suggested as a setting")
    XCTAssertEqual(ChatConfigFile.editDistance("prot", "port"), 1)
    XCTAssertEqual(ChatConfigFile.editDistance("", "port"), 4)
  }

  // MARK: - The built binary

  /// Runs the built chatd with `arguments` until it exits (killed if it has not within
  /// 30 s: one that starts instead of refusing fails the test, and stops): its status,
  /// stdout, stderr. It runs in a directory of its own, so nothing lands in the checkout.
  func runChatd(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
    let dir = temporaryDirectory("chatd-conf-run")
    defer { removeDirectory(dir) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try builtExecutable("chatd"))
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: dir)
    defer {
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      process.waitUntilExit()
    }
    _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
    _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: dir + "/out")
    process.standardError = FileHandle(forWritingAtPath: dir + "/err")
    try process.run()
    try await eventually("chatd \(arguments) to exit", timeout: .seconds(30)) { !process.isRunning }
    let read = { (name: String) in (try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? "" }
    return (process.terminationStatus, read("out"), read("err"))
  }

  func testTheBinaryGivenABadFileSaysWhereInOneLine() async throws {
    let dir = temporaryDirectory("chatd-conf")
    defer { removeDirectory(dir) }
    let path = configFile("# chatd\nport = 0\nweb-port = 0\nprot = 6667\n", in: dir)
    let bad = try await runChatd(["--config", path])
    XCTAssertEqual(bad.status, ChatExitStatus.usage.rawValue)
    XCTAssertEqual(bad.stderr, "chatd: \(path):4: unknown setting \"prot\" (did you mean \"port\"?)\n")
    XCTAssertEqual(bad.stdout, "")
    let checked = try await runChatd(["--config", path, "--check-config"])
    XCTAssertEqual(checked.status, ChatExitStatus.usage.rawValue)
    XCTAssertEqual(checked.stderr, bad.stderr)
  }

  func testTheBinaryChecksAndPrintsTheSettings() async throws {
    let dir = temporaryDirectory("chatd-conf")
    defer { removeDirectory(dir) }
    let path = configFile("port = 7000\nserver-name = from.file\n", in: dir)
    let checked = try await runChatd(["--config", path, "--server-name", "from.flag", "--check-config"])
    XCTAssertEqual(checked.status, 0, checked.stderr)
    XCTAssertEqual(checked.stderr, "")
    XCTAssertTrue(checked.stdout.contains("\nlisten = 127.0.0.1:7000\n"), checked.stdout)
    XCTAssertTrue(checked.stdout.contains("\nserver-name = from.flag\n"), checked.stdout)
    // What it printed is a config file giving the same settings (but for the note on
    // where the control socket goes, which names chatd's working directory).
    func settingLines(_ text: String) -> [Substring] { text.split(separator: "\n").filter { !$0.hasPrefix("# control-socket") } }
    let reprinted = ChatConfigFile.text(of: try ChatConfigFile.parse(checked.stdout, file: "printed"))
    XCTAssertEqual(settingLines(reprinted), settingLines(checked.stdout))
  }

  func testTheBinaryRunsWithTheFilesSettings() async throws {
    let dir = temporaryDirectory("chatd-conf")
    defer { removeDirectory(dir) }
    let port = freePort()
    let path = configFile(
      """
      # everything from the file: chatd is given nothing else
      listen = 127.0.0.1:\(port)
      web-port = 0
      metrics-listen = off
      data-dir = \(dir)/data
      control-socket = \(dir)/control.sock
      """, in: dir)
    try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: false)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try builtExecutable("chatd"))
    process.arguments = ["--config", path]
    process.currentDirectoryURL = URL(fileURLWithPath: dir)
    _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: dir + "/out")
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer {
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      process.waitUntilExit()
    }
    let output = { (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "" }
    try await eventually("chatd to say where it listens: \(output())", timeout: .seconds(30)) { output().contains("control socket") }
    XCTAssertTrue(output().contains("IRC on 127.0.0.1:\(port),"), output())
    XCTAssertTrue(output().contains("data in \(dir)/data"), output())
    XCTAssertTrue(output().contains("control socket \(dir)/control.sock"), output())
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/control.sock"))
    process.terminate()
    try await eventually("chatd to stop", timeout: .seconds(20)) { !process.isRunning }
    XCTAssertEqual(process.terminationStatus, 0)
  }
}

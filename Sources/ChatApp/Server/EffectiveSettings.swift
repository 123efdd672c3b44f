// What `chatd --check-config` prints: the settings chatd would run with, written as a
// config file (one `setting = value` a line, in `chatd --help`'s order), so an operator
// sees what the defaults, the file and the flags came to, and may keep the output as a
// file. Secrets (passwords, the cluster's secret) are not printed: the output lands in terminals and logs. A
// setting with no value to write (no log file, the kernel's own send buffer) is a
// comment saying so. Nothing here is state.
import Actors

extension ChatConfigFile {
  /// `config` as a config file that gives the same settings (but for the secrets and the
  /// message of the day, which are comments).
  public static func text(of config: ChatConfig) -> String {
    var lines = ["# \(ChatApp.version): the settings chatd would run with (its defaults, then --config, then flags)"]
    func set(_ key: String, _ value: String) { lines.append("\(key) = \(value)") }
    func note(_ key: String, _ text: String) { lines.append("# \(key): \(text)") }
    func address(_ host: String, _ port: Int) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    func seconds(_ d: Duration) -> String { String(d.components.seconds) }

    set("listen", config.port.map { address(config.host, $0) } ?? "off")
    set("web", address(config.webHost, config.webPort))
    if config.webOrigins.isEmpty { note("web-origin", "not set (the page's own origin only)") }
    for origin in config.webOrigins { set("web-origin", origin) }
    set("web-guests", config.webGuests ? "on" : "off")
    set("metrics-listen", config.metricsPort.map { address(config.metricsHost, $0) } ?? "off")
    if let socket = config.controlSocket {
      set("control-socket", socket)
    } else {
      note("control-socket", "not set (\(config.controlSocketPath), under data-dir)")
    }
    set("socket-activation", config.socketActivation.rawValue)

    // The files' paths only: what they hold stays in them.
    set("tls", config.tlsPort.map { address(config.tlsHost, $0) } ?? "off")
    set("web-tls", config.webTLSPort.map { address(config.webTLSHost, $0) } ?? "off")
    if let file = config.tlsCertificateFile { set("tls-cert", file) } else { note("tls-cert", "not set") }
    if let file = config.tlsKeyFile { set("tls-key", file) } else { note("tls-key", "not set (the tls-cert file)") }
    set("tls-handshake-timeout", seconds(config.tlsHandshakeTimeout))

    set("data-dir", config.dataDirectory)
    set("no-history", String(!config.history))
    set("history-replay", String(config.historyReplay))
    set("restore-window", seconds(config.channelRestoreWindow))

    set("server-name", config.serverName)
    set("network-name", config.networkName)
    note("motd", config.motd == ChatConfig().motd ? "the built-in message" : "\(config.motd.count) lines read from a file")
    note("password", config.password == nil ? "none" : "set (not shown)")
    for name in config.operators.keys.sorted() { note("oper", "\(name), with a password (not shown)") }
    set("account-registration", config.accountRegistration.rawValue)
    set("min-password-length", String(config.minimumPasswordLength))
    set("nick-grace", seconds(config.nickGrace))
    set("always-on", config.alwaysOn.rawValue)

    set("nick-length", String(config.nickLength))
    set("no-flood-limit", String(!config.floodProtection))
    set("flood-burst", String(config.floodBurst))
    set("flood-rate", config.floodRate == config.floodRate.rounded() ? String(Int(config.floodRate)) : String(config.floodRate))
    set("sendq", String(config.sendQueueLimit))
    if let bytes = config.kernelSendBuffer {
      set("sndbuf", String(bytes))
    } else {
      note("sndbuf", "not set (the kernel's autotuning)")
    }
    switch config.sendCoalescing {
    case .off: set("send-window", "off")
    case .endOfSlice: set("send-window", "0")
    case .window(let d): set("send-window", String(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000))
    }
    set("ping-interval", seconds(config.pingInterval))
    set("ping-timeout", seconds(config.pingTimeout))
    set("registration-timeout", seconds(config.registrationTimeout))

    // The other network settings need a cluster: without one they are notes, so that
    // the output still reads back.
    if let url = config.cluster {
      set("cluster", url)
      if let node = config.nodeName { set("node", node) } else { note("node", "not set (the server name)") }
      set("cluster-listen", address(config.clusterListenHost, config.clusterListenPort))
      if let host = config.clusterAdvertisedHost {
        set("cluster-advertise", host)
      } else {
        note("cluster-advertise", "not set (the cluster-listen address)")
      }
      note("cluster-secret", config.clusterSecret == nil ? "none (one kept in the Redis)" : "set (not shown)")
      set("cluster-name", config.clusterName)
      set("cluster-lease", String(config.clusterLease.components.seconds))
      if let socket = config.handOffSocket {
        set("handoff-socket", socket)
      } else {
        note("handoff-socket", "not set (\(config.handOffSocketPath), under data-dir)")
      }
    } else {
      note("cluster", "not set (this chatd runs alone)")
    }
    if let workers = config.workers {
      set("workers", String(workers))
    } else {
      note("workers", "not set (this chatd serves its clients itself)")
    }

    set("log-level", config.logLevel.rawValue)
    set("log-format", config.logFormat.rawValue)
    if let file = config.logFile {
      set("log-file", file)
    } else {
      note("log-file", "not set (stderr)")
    }

    set("shutdown-timeout", seconds(config.shutdownTimeout))
    return lines.joined(separator: "\n") + "\n"
  }
}

// chatd's logging, as its flags set it: the level (`--log-level`, `--verbose` for
// debug), the format (`--log-format human|json`) and the destination (stderr, or
// `--log-file PATH`, reopened on SIGHUP for logrotate). The logger lives on chatd's node
// (`node.logger`), where the runtime's crash, supervisor and progress reports go too;
// what chatd itself logs: start (version, listeners, control socket, data directory),
// connections and quits at debug, each line a client sends at trace — never a line per
// chat message at the default level.
import Actors
import Glibc

/// How chatd writes its log lines.
public enum LogFormat: String, Sendable, CaseIterable {
  /// `2025-06-01T10:00:00.123Z error chatd: message key=value ...`
  case human
  /// One JSON object per line: time, level, label, message, metadata.
  case json
}

extension ChatConfig {
  /// The log's destination: the log file (opened for appending; made 0600 if new, as
  /// it names who connected from where), or stderr.
  func openLogOutput() throws(LogOutputError) -> LogOutput {
    guard let logFile else { return .standardError }
    return try LogOutput(path: logFile, mode: 0o600)
  }

  /// A logger labelled `label` writing to `output` at the configured level and format.
  func makeLogger(label: String, output: LogOutput) -> Logger {
    switch logFormat {
    case .human: return Logger(label: label, handler: HumanLogHandler(label: label, output: output, level: logLevel))
    case .json: return Logger(label: label, handler: JSONLogHandler(label: label, output: output, level: logLevel))
    }
  }
}

extension ChatServer {
  /// What SIGHUP does: open the log file again under its path (after logrotate renamed
  /// it), and say so in the new file.
  static func reopenLog(_ output: LogOutput, _ logger: Logger) {
    do {
      try output.reopen()
      logger.notice("log file reopened", metadata: ["path": .string(output.path ?? "")])
    } catch {
      logger.error("\(error); still writing to the file as it was", metadata: ["path": .string(output.path ?? "")])
    }
  }

  /// The start line: version and where chatd listens and keeps its data.
  func logStart() {
    var metadata: Logger.Metadata = [
      "version": .string(ChatApp.version), "irc": .string(config.port == nil ? "off" : "\(config.host):\(ircPort)"),
      "web": .string(webPort != 0 ? "http://\(config.webHost):\(webPort)/" : "off"),
      "metrics": .string(metricsPort.map { "http://\(config.metricsHost):\($0)/metrics" } ?? "off"),
      "control_socket": .string(config.controlSocketPath), "data_dir": .string(config.dataDirectory),
      "history": .string(historyPath ?? "off"), "os_pid": .stringConvertible(Int(getpid())),
    ]
    if let file = config.logFile { metadata["log_file"] = .string(file) }
    if config.tlsPort != nil { metadata["irc_tls"] = .string("\(config.tlsHost):\(ircTLSPort)") }
    if config.webTLSPort != nil { metadata["web_tls"] = .string("https://\(config.webTLSHost):\(webTLSPort)/") }
    let irc = [
      config.port.map { _ in "IRC on \(config.host):\(ircPort)" },
      config.tlsPort.map { _ in "IRC over TLS on \(config.tlsHost):\(ircTLSPort)" },
    ]
    let listening = irc.compactMap { $0 }
    node.logger.notice(
      "chatd \(ChatApp.version) started: \(listening.isEmpty ? "no IRC listener" : listening.joined(separator: ", "))", metadata: metadata)
    if let tls = services.tls {
      let certificate = tls.certificate
      node.logger.notice(
        "TLS certificate \(certificate?.subject ?? "?"), valid until \(certificate?.notAfterText ?? "?")", metadata: tls.metadata)
      for warning in tls.warnings { node.logger.warning("\(warning)") }
    }
  }
}

// chatd: the Otter chat daemon. `swift run chatd` serves IRC on 127.0.0.1:6667 with its
// data under ./chatd-data; `chatd --help` lists every flag and exit status.
import ChatApp
import Foundation

/// One line on stderr, written at once (stderr is unbuffered; stdout may not be).
func complain(_ line: String) {
  FileHandle.standardError.write(Data("chatd: \(line)\n".utf8))
}

/// `chatd emit`: posts one message, says what went wrong if it did not go through.
func emit(_ request: EmitRequest) async -> Int32 {
  do {
    let emitter = try await ChatEmitter.connect(cluster: request.cluster, clusterName: request.clusterName, secret: request.secret)
    do {
      try await emitter.emit(request.channel, request.text, as: request.name, timeout: request.timeout)
      await emitter.close()
      return 0
    } catch {
      await emitter.close()
      complain("emit: \(error)")
      switch error {
      case .noSuchChannel, .refused, .invalid: return 65
      case .network: return ChatExitStatus.network.rawValue
      }
    }
  } catch {
    complain("emit: \(error)")
    return ChatExitStatus.network.rawValue
  }
}

let config: ChatConfig
do {
  switch try ChatCommandLine.parse(Array(CommandLine.arguments.dropFirst())) {
  case .help:
    print(ChatCommandLine.help)
    exit(0)
  case .version:
    print("chatd \(ChatApp.version)")
    exit(0)
  case .check(let c):
    print(ChatConfigFile.text(of: c), terminator: "")
    exit(0)
  case .run(var c):
    // systemd (or chatd's master) names where to say chatd is ready.
    c.notifySocket = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"]
    config = c
  case .emitHelp:
    print(ChatCommandLine.emitHelp)
    exit(0)
  case .emit(let request):
    exit(await emit(request))
  case .reloadHelp:
    print(ChatCommandLine.reloadHelp)
    exit(0)
  case .reload(let request):
    exit(ChatReload.run(request, print: { print($0) }, complain: complain))
  case .handOffHelp:
    print(ChatCommandLine.handOffHelp)
    exit(0)
  case .handOff(let request):
    exit(HandOffCommand.run(request))
  case .accountHelp:
    print(ChatCommandLine.accountHelp)
    exit(0)
  case .account(let command):
    exit(await AccountAdministration.run(command) { readLine(strippingNewline: true) })
  }
} catch {
  complain("\(error)")
  exit(ChatExitStatus.usage.rawValue)
}

if config.workers != nil {
  let master: ChatMaster
  do {
    master = try await ChatMaster.start(config, arguments: Array(CommandLine.arguments.dropFirst()))
  } catch {
    complain(error.description)
    exit(error.status.rawValue)
  }
  FileHandle.standardOutput.write(
    Data(
      ("chatd \(ChatApp.version): master of \(master.workers) workers, IRC on \(config.host):\(master.ircPort)"
        + (master.webPort != 0 ? ", web on http://\(config.webHost):\(master.webPort)/" : "")
        + ", network \(master.cluster), data in \(config.dataDirectory)\n"
        + "chatd: control socket \(config.controlSocketPath) (observer attaches to it; chatd reload asks it)\n").utf8))
  exit(await master.run())
}

let server: ChatServer
do {
  server = try await ChatServer.start(config)
} catch {
  complain(error.description)
  exit(error.status.rawValue)
}
FileHandle.standardOutput.write(
  Data(
    ("chatd \(ChatApp.version): "
      + [
        server.config.port.map { _ in "IRC on \(server.config.host):\(server.ircPort)" },
        config.tlsPort.map { _ in "IRC over TLS on \(config.tlsHost):\(server.ircTLSPort)" },
      ].compactMap { $0 }.joined(separator: ", ")
      + (server.webPort != 0 ? ", web on http://\(server.config.webHost):\(server.webPort)/" : "")
      + (config.webTLSPort != nil ? ", web on https://\(config.webTLSHost):\(server.webTLSPort)/" : "")
      + (server.metricsPort.map { ", metrics on http://\(config.metricsHost):\($0)/metrics" } ?? "")
      + ", data in \(config.dataDirectory)"
      + " (open-file limit \(server.node.fileDescriptorLimit))\n"
      + "chatd: control socket \(config.controlSocketPath) (observer attaches to it)\n").utf8))
let status = await server.run()
if status == ChatExitStatus.shutdownTimedOut.rawValue {
  complain("the shutdown took longer than \(config.shutdownTimeout) (--shutdown-timeout); what was left was stopped without waiting")
}
exit(status)

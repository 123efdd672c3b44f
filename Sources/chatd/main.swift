// chatd: the Otter chat daemon. `swift run chatd` serves IRC on 127.0.0.1:6667 with its
// data under ./chatd-data; `chatd --help` lists every flag.
import ChatApp
import Foundation

let config: ChatConfig
do {
  switch try ChatCommandLine.parse(Array(CommandLine.arguments.dropFirst())) {
  case .help:
    print(ChatCommandLine.help)
    exit(0)
  case .version:
    print("chatd \(ChatApp.version)")
    exit(0)
  case .run(let c):
    config = c
  }
} catch {
  FileHandle.standardError.write(Data("chatd: \(error)\n".utf8))
  exit(2)
}

let server: ChatServer
do {
  server = try await ChatServer.start(config)
} catch {
  FileHandle.standardError.write(Data("chatd: cannot start: \(error)\n".utf8))
  exit(1)
}
FileHandle.standardOutput.write(
  Data(
    ("chatd \(ChatApp.version): IRC on \(config.host):\(server.ircPort)"
      + (server.webPort != 0 ? ", web on http://\(config.webHost):\(server.webPort)/" : "")
      + (server.metricsPort.map { ", metrics on http://\(config.metricsHost):\($0)/metrics" } ?? "")
      + ", data in \(config.dataDirectory)"
      + " (open-file limit \(server.node.fileDescriptorLimit))\n"
      + "chatd: control socket \(config.controlSocketPath) (observer attaches to it)\n").utf8))
exit(await server.run())

// `chatbench --serve NAME`: start one managed server (or network) exactly as a run would,
// tell the caller where it is, and keep it until stdin closes — so a script can point
// another load tool (ircload), or another chatbench, at the very same setup.
import Glibc

enum Serve {
  static func run(_ kind: ManagedKind, options: Options, log: Log) -> Never {
    let target: ManagedTarget
    do {
      if kind.isNetwork {
        target = try NetworkLauncher.start(kind, web: false, chatdPath: options.chatdPath, chatdArguments: options.chatdArguments, log: log)
      } else {
        let server = try ServerLauncher.start(kind, chatdPath: options.chatdPath, chatdArguments: options.chatdArguments, log: log)
        target = ManagedTarget(kind: kind, servers: [server])
      }
    } catch {
      writeStderr("chatbench: \(kind.rawValue): \(error)\n")
      exit(1)
    }
    if kind.isNetwork {
      // The flags that point a run at it: --servers-addrs ... --server-pids ...
      let addresses = target.servers.map { "127.0.0.1:\($0.port)" }.joined(separator: ",")
      writeStdout("ADDRS \(addresses) PIDS \(target.processes.map { String($0.pid) }.joined(separator: ","))\n")
    } else {
      writeStdout("PORT \(target.servers[0].port) PID \(target.servers[0].pid)\n")
    }
    Watchdog.arm(seconds: options.maxTime, for: "--serve \(kind.rawValue)")
    var byte: UInt8 = 0
    while read(0, &byte, 1) > 0 {}
    Watchdog.disarm()
    let ended = target.exited
    target.stop()
    for p in ended { writeStderr("chatbench: \(p.name) had exited before stdin closed\n") }
    exit(ended.isEmpty ? 0 : 1)
  }
}

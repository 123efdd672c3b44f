// `chatbench --serve NAME`: start one managed server exactly as a run would, tell the
// caller where it is, and keep it until stdin closes — so a script can point another
// load tool (ircload) at the very same server setup.
import Glibc

enum Serve {
  static func run(_ kind: ManagedKind, options: Options, log: Log) -> Never {
    let server: ManagedServer
    do {
      server = try ServerLauncher.start(kind, chatdPath: options.chatdPath, chatdArguments: options.chatdArguments, log: log)
    } catch {
      writeStderr("chatbench: \(kind.rawValue): \(error)\n")
      exit(1)
    }
    writeStdout("PORT \(server.port) PID \(server.pid)\n")
    Watchdog.arm(seconds: options.maxTime, for: "--serve \(kind.rawValue)")
    var byte: UInt8 = 0
    while read(0, &byte, 1) > 0 {}
    Watchdog.disarm()
    let alive = server.isRunning
    server.stop()
    if !alive { writeStderr("chatbench: \(kind.rawValue) had exited before stdin closed\n") }
    exit(alive ? 0 : 1)
  }
}

// chatbench: an IRC load benchmark built on Otter. It drives any IRC server
// the way ircload.c does (same scenarios, same messages, same figures), each simulated
// client an Otter process owning its socket.
//
//   chatbench                               # S1–S4 on chatd, ngircd, inspircd (those present)
//   chatbench S3 --servers ngircd --json    # one scenario, one managed server
//   chatbench S2 --server 127.0.0.1:6667 --server-pid 1234
//   chatbench S2 --servers chatd,chatd-net,inspircd-net,ngircd-net   # networks of two servers
//   chatbench S2 --servers-addrs 127.0.0.1:6667,127.0.0.1:6668 --server-pids 1234,1235
//   chatbench chaos                         # kill chatd's processes under load, then check
//   chatbench --help
import Foundation

// `chatbench chaos ...`: a chatd under load while its processes are killed.
if CommandLine.arguments.dropFirst().first == "chaos" {
  let chaos: ChaosOptions
  do {
    chaos = try ChaosOptions.parse(Array(CommandLine.arguments.dropFirst(2)))
  } catch {
    writeStderr("chatbench chaos: \(error) (try chatbench chaos --help)\n")
    exit(2)
  }
  if chaos.showHelp {
    writeStdout(Help.chaos + "\n")
    exit(0)
  }
  Watchdog.start()
  exit(await ChaosRun.main(chaos, log: Log()))
}

let options: Options
do {
  options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
  writeStderr("chatbench: \(error) (try --help)\n")
  exit(2)
}
if options.showHelp {
  writeStdout(Help.text + "\n")
  exit(0)
}
if options.listServers {
  for kind in ManagedKind.allCases {
    let why = ServerLauncher.availability(kind, chatdPath: options.chatdPath)
    writeStdout("\(kind.rawValue): \(why ?? "available")\n")
  }
  exit(0)
}
if let pid = options.serverPids.first(where: { !ProcWatch(pid: $0).isValid }) {
  writeStderr("chatbench: --server-pid(s) \(pid): no such process (try --help)\n")
  exit(2)
}

Watchdog.start()
// libdispatch creates its epoll and eventfd descriptors lazily, the first time a worker
// thread registers — which can be when the main task resumes after an S4 run has used
// every descriptor this process may open; then libdispatch traps (SIGILL in
// _dispatch_epoll_init). A timer makes it create them now, while descriptors are free.
DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(1)) {}
let log = Log()
if let kind = options.serve { Serve.run(kind, options: options, log: log) }
exit(await Runner(options: options, log: log).run())

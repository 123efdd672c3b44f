// observer: attach to a running Otter node and watch its supervision tree and processes
// (the live view), or print them once (--once, --json, --dot). `observer --help` lists
// the options and keys; the work is in ObserverUI (screens, keys, options) and Control
// (the client), this is the command.
import Actors
import Control
import Distribution
import Glibc
import ObserverUI
import Redis

func fail(_ message: String, status: ObserverExit) -> Never {
  var text = "observer: \(message)\n"
  text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
  exit(status.rawValue)
}

func emit(_ text: String) {
  var bytes = Array(text.utf8)
  var done = 0
  while done < bytes.count {
    let n = bytes.withUnsafeMutableBytes { write(STDOUT_FILENO, $0.baseAddress! + done, $0.count - done) }
    if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else { exit(ObserverExit.failure.rawValue) }
  }
  bytes.removeAll()
}

let options: ObserverOptions
do {
  options = try ObserverOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
  fail("\(error)\nusage: observer [--socket PATH] [--once | --json | --dot | --memory | --list] (observer --help for more)", status: .usage)
}

/// A cluster's live members, read from its Redis (`--cluster`).
func clusterMembers(_ url: String, cluster: String) async -> [MemberInfo] {
  do {
    let node = try Node(schedulers: 1, name: "observer")
    defer { node.shutdown(timeout: .milliseconds(200)) }
    var config = try RedisConfiguration(url: url)
    config.connectTimeout = options.timeout
    let redis = try await RedisClient.start(config, poolSize: 1, on: node)
    defer { Task { await redis.stop(node) } }
    return try await ClusterDirectory.members(cluster: cluster, redis: redis.on(node))
  } catch {
    fail("cannot read cluster \(cluster) from \(url): \(error)", status: .unavailable)
  }
}

var clusterSocket: String?
if let url = options.clusterRedis, options.mode != .help, options.mode != .version {
  let members = await clusterMembers(url, cluster: options.clusterName)
  if options.mode == .list {
    var text = ""
    for m in members {
      text += "\(m.name)  incarnation \(m.incarnation)  \(m.address)"
      if let control = m.metadata["control"] { text += "  control \(control)" }
      if let pid = m.metadata["os_pid"] { text += "  os pid \(pid)" }
      text += "\n"
    }
    emit(members.isEmpty ? "no live members in cluster \(options.clusterName)\n" : text)
    exit(ObserverExit.ok.rawValue)
  }
  guard case .name(let wanted) = options.node else {
    fail("with --cluster, say which member with --node NAME (observer --cluster \(url) --list lists them)", status: .usage)
  }
  guard let member = members.first(where: { $0.name == wanted }) else {
    fail(
      "no live member \(wanted) in cluster \(options.clusterName) (members: \(members.map(\.name).joined(separator: ", ")))",
      status: .unavailable)
  }
  guard let control = member.metadata["control"] else {
    fail("member \(wanted) publishes no control socket (start its node with a control endpoint)", status: .unavailable)
  }
  clusterSocket = control
}

switch options.mode {
case .help:
  emit(ObserverOptions.usage + "\n" + Screen.helpText + "\n")
  exit(ObserverExit.ok.rawValue)
case .version:
  emit("observer (Otter), control protocol \(ControlProtocol.version)\n")
  exit(ObserverExit.ok.rawValue)
case .list:
  emit(ObserverTarget.list(options))
  exit(ObserverExit.ok.rawValue)
default:
  break
}

let path: String
if let clusterSocket {
  path = clusterSocket
} else {
  do {
    path = try ObserverTarget.resolve(options)
  } catch {
    fail(error.description, status: error.exit)
  }
}

if options.mode != .interactive {
  do {
    let client = try ControlClient(path: path, timeout: options.timeout)
    emit(try OneShot.output(options, client: client))
    exit(ObserverExit.ok.rawValue)
  } catch {
    fail(error.description, status: error.observerExit)
  }
}

// The live view. Check the node answers before taking over the terminal, so that a
// wrong path is an ordinary error message.
do {
  _ = try ControlClient(path: path, timeout: options.timeout).hello()
} catch {
  fail(error.description, status: error.observerExit)
}
let terminal: Terminal
do {
  terminal = try Terminal()
} catch {
  fail("\(error)", status: .usage)
}
var view = LiveView(options: options, path: path, terminal: terminal)
let status = view.run()
terminal.leave()
exit(status)

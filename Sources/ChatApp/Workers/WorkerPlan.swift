// How the master runs a worker: a chatd process, a node of the master's network, made
// from the master's own command line (less `--workers`) and what makes it one worker
// among the others — its node name, its data directory, the network's Redis — with the
// master's listening sockets inherited (systemd's LISTEN_FDS, named `irc` and `web`).
// Values only: the master's supervisor starts what this describes.
import Foundation
import Supervision

struct WorkerPlan: Sendable {
  /// This program (`/proc/self/exe`): a reload starts what is installed there now.
  let executable: String
  /// The master's arguments, `--workers` removed.
  let arguments: [String]
  /// The master's data directory: each worker keeps its own under `workers/`.
  let dataDirectory: String
  /// The network the workers join.
  let cluster: String
  /// Worker node names are this and the slot's number (and, after a reload, the
  /// generation's): `chatd1`, `chatd1-g2`, …
  let baseName: String
  let listeners: [InheritedListener]
  /// How long a worker may take to say it serves (READY=1).
  let readyTimeout: Duration
  /// How long a worker is given to stop before it is killed.
  let shutdownTimeout: Duration

  func nodeName(slot: Int, generation: Int) -> String {
    generation <= 1 ? "\(baseName)\(slot)" : "\(baseName)\(slot)-g\(generation)"
  }

  func directory(of node: String) -> String { "\(dataDirectory)/workers/\(node)" }

  /// The worker's control socket: where the master asks it to hand its sessions over.
  func controlSocket(of node: String) -> String { directory(of: node) + "/control.sock" }

  /// Where the worker takes over sessions handed to it (chatd's default place).
  func handOffSocket(of node: String) -> String { directory(of: node) + "/handoff.sock" }

  /// The supervisor's id for the worker of `slot`, `generation`.
  func childID(slot: Int, generation: Int) -> String { "worker \(nodeName(slot: slot, generation: generation))" }

  /// The OS process of a worker. Later flags override earlier ones, so what the master
  /// sets comes last.
  func process(slot: Int, generation: Int) -> OSProcessSpec {
    let node = nodeName(slot: slot, generation: generation)
    var process = OSProcessSpec(
      executable,
      arguments: arguments + [
        "--cluster", cluster, "--node", node, "--data-dir", directory(of: node),
        "--control-socket", controlSocket(of: node), "--metrics-listen", "off", "--cluster-listen", "127.0.0.1:0",
        // A config file that says `workers = N` makes the master, not its workers.
        "--workers=0", "--socket-activation", "require",
      ])
    process.listeners = listeners
    process.readiness = .notify(timeout: readyTimeout)
    process.shutdownTimeout = shutdownTimeout
    // A worker writes its log where the master does.
    process.stdout = .inherit
    process.stderr = .inherit
    return process
  }

  /// The child spec of a worker. A crashed worker is back fast (a crash costs its
  /// clients a reconnect): the first restart after 50 ms, then pm2's growth (× 1.5, 15 s at most).
  func child(slot: Int, generation: Int) -> ChildSpec {
    ChildSpec.osProcess(
      id: childID(slot: slot, generation: generation), process(slot: slot, generation: generation),
      backoff: Backoff(initial: .milliseconds(50), maximum: .seconds(15), jitter: 0, resetAfter: .seconds(5), multiplier: 1.5))
  }

  /// Removes a worker's directory once it has stopped (a reload makes a new one each
  /// time: without this they would pile up).
  func removeDirectory(of node: String) {
    let path = directory(of: node)
    guard path.hasPrefix(dataDirectory + "/workers/") else { return }
    try? FileManager.default.removeItem(atPath: path)
  }

  /// The master's arguments without `--workers` and its count (`--workers 4`,
  /// `--workers=4`, or `--workers` alone).
  static func workerArguments(_ arguments: [String]) -> [String] {
    var out: [String] = []
    var i = 0
    while i < arguments.count {
      let a = arguments[i]
      if a == "--workers" {
        if i + 1 < arguments.count, Int(arguments[i + 1]) != nil { i += 1 }
      } else if !a.hasPrefix("--workers=") {
        out.append(a)
      }
      i += 1
    }
    return out
  }
}

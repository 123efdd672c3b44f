// The relay's hands. What the other nodes send for this node's users — a channel line
// once per node for all its members here, a private line, a kill — is written to those
// users by workers, one per scheduler and bound to it (`SpawnOptions.scheduler`): the
// relay is one process, and writing every copy itself it used one core for half of a
// network's deliveries (two nodes, members everywhere) while the node's other cores
// slept. Each user is served by one worker (its client number modulo the workers), and
// the relay hands work out in the order it reads it: a user's lines arrive in the
// order they were sent, and a kill comes after the lines before it.
//
// Owner: each worker holds nothing; the users' endpoints and the quit ledger are the
// connections' and the rooms' (it writes to them, as a room does).
import Actors
import GenServer

/// What a relay worker is given.
enum RelayWork: Sendable {
  /// A broadcast line for these users of this node; `quitOf`: the QUIT of that user,
  /// written once per recipient (the quit ledger), netsplit or not.
  case deliver(WireLine, to: [UInt64], quitOf: UInt64?)
  /// Serialised lines for one user.
  case lines([UInt8], to: UInt64)
  /// Disconnect one user.
  case kill(UInt64, reason: String)
  /// Tell one user's connection of its hand-off (after its lines before).
  case handOff(UInt64, HandOffEvent)
}

/// The relay's workers: one per scheduler, spawned by the relay and linked to it (one
/// that fails takes the relay down, and its restart starts them all again).
struct RelayWorkers {
  private let workers: [Address<RelayWork>]

  /// Spawns the workers from the relay's process.
  init<M>(services: ChatServices, _ ctx: Context<M>) {
    let count = max(1, ctx.node.schedulerCount)
    workers = (0..<count).map { i in
      ctx.spawnLink(RelayWork.self, state: (), options: SpawnOptions(label: "chatd relay worker \(i)", scheduler: i)) {
        _, message, _ in
        if case .message(let work) = message { Self.perform(work, services) }
        return .continue
      }
    }
  }

  /// Hands `work` to the worker (or workers) of its users.
  func hand(_ work: RelayWork) {
    switch work {
    case .deliver(let line, let numbers, let quitOf):
      guard workers.count > 1 else { return workers[0].send(work) }
      var parts = [[UInt64]](repeating: [], count: workers.count)
      for n in numbers { parts[worker(of: n)].append(n) }
      for (i, part) in parts.enumerated() where !part.isEmpty { workers[i].send(.deliver(line, to: part, quitOf: quitOf)) }
    case .lines(_, let number), .kill(let number, _), .handOff(let number, _):
      workers[worker(of: number)].send(work)
    }
  }

  private func worker(of number: UInt64) -> Int { Int(number % UInt64(workers.count)) }

  /// Writes `work` to its users: run by a worker.
  static func perform(_ work: RelayWork, _ services: ChatServices) {
    switch work {
    case .deliver(let wire, let numbers, let quitOf):
      let line = wire.line
      for client in services.clients.find(numbers) {
        if let q = quitOf, !services.departures.claim(quitter: q, recipient: client.id) { continue }
        line.send(to: client)
      }
    case .lines(let bytes, let number):
      services.clients.find(number)?.send(bytes)
    case .kill(let number, let reason):
      services.clients.find(number)?.pid.address(as: ServerMessage<Connection>.self)?.send(.info(.disconnect(reason)))
    case .handOff(let number, let event):
      services.clients.find(number)?.pid.address(as: ServerMessage<Connection>.self)?.send(.info(.handOff(event)))
    }
  }
}

// The relay's hands. What the other nodes send for this node's users — a channel line
// once per node for all its members here, a private line, a kill — is written to those
// users by workers, one per scheduler and bound to it (`SpawnOptions.scheduler`): the
// relay is one process, and writing every copy itself it used one core for half of a
// network's deliveries (two nodes, members everywhere) while the node's other cores
// slept. Each user is served by one worker (its client number modulo the workers), and
// the relay hands work out in the order it reads it: a user's lines arrive in the
// order they were sent, and a kill comes after the lines before it.
//
// A room's line comes with the same list of recipients each time (until its members
// change): a worker keeps, per list, the clients it found and a delivery list of their
// sockets (Delivery/DeliveryList.swift), so a line costs what a room's own broadcast
// does — not a lookup and a retain per recipient. What it keeps is dropped as soon as
// any client of this node has left (it may be one of them), and all of it when it holds
// too many lists.
//
// Owner: each worker owns its cache of lists; the users' endpoints and the quit ledger
// are the connections' and the rooms' (it writes to them, as a room does).
import Actors
import GenServer

/// What a relay worker is given.
enum RelayWork: Sendable {
  /// A broadcast line for these users of this node; `quitOf`: the QUIT of that user,
  /// written once per recipient (the quit ledger), netsplit or not.
  /// `except`: one of them not to write to (a sender without echo-message).
  case deliver(WireLine, to: [UInt64], except: UInt64?, quitOf: UInt64?)
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
      ctx.spawnLink(
        RelayWork.self, state: RecipientCache(), options: SpawnOptions(label: "chatd relay worker \(i)", scheduler: i)
      ) { cache, message, _ in
        if case .message(let work) = message { Self.perform(work, cache, services) }
        return .continue
      }
    }
  }

  /// Hands `work` to the worker (or workers) of its users.
  func hand(_ work: RelayWork) {
    switch work {
    case .deliver(let line, let numbers, let except, let quitOf):
      guard workers.count > 1 else { return workers[0].send(work) }
      var parts = [[UInt64]](repeating: [], count: workers.count)
      for n in numbers { parts[worker(of: n)].append(n) }
      for (i, part) in parts.enumerated() where !part.isEmpty {
        workers[i].send(.deliver(line, to: part, except: except, quitOf: quitOf))
      }
    case .lines(_, let number), .kill(let number, _), .handOff(let number, _):
      workers[worker(of: number)].send(work)
    }
  }

  private func worker(of number: UInt64) -> Int { Int(number % UInt64(workers.count)) }

  /// Writes `work` to its users: run by a worker.
  static func perform(_ work: RelayWork, _ cache: RecipientCache, _ services: ChatServices) {
    switch work {
    case .deliver(let wire, let numbers, let except, nil) where numbers.count >= RecipientCache.smallest:
      let entry = cache.entry(for: numbers, services)
      _ = entry.list.send(wire.line, clients: entry.clients, except: except, services)
    case .deliver(let wire, let numbers, let except, let quitOf):
      let line = wire.line
      for client in services.clients.find(numbers) where client.id != except {
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

/// A relay worker's lists of recipients, by the numbers a line came with.
final class RecipientCache {
  /// Fewer recipients than this are looked up line by line (a private message, a small
  /// room): a list would cost more to keep than it saves.
  static let smallest = 4
  /// The most lists kept: past it, all are dropped and made again as lines come.
  static let limit = 1024

  /// The clients of one list, found once, and their sockets laid out for sending.
  final class Entry {
    /// Held so that the delivery list's sockets stay alive.
    let clients: [ClientHandle]
    let list = DeliveryList()
    init(_ clients: [ClientHandle]) { self.clients = clients }
  }

  /// A list of numbers, hashed from a few of them (equal lists are compared in full).
  private struct Key: Hashable {
    let numbers: [UInt64]
    func hash(into hasher: inout Hasher) {
      hasher.combine(numbers.count)
      hasher.combine(numbers.first)
      hasher.combine(numbers.last)
      hasher.combine(numbers[numbers.count / 2])
    }
  }

  private var entries: [Key: Entry] = [:]
  /// `ClientDirectory.removals` when the entries were made.
  private var removals: UInt64 = 0

  /// The entry for `numbers`: kept, or made now from the clients still here.
  func entry(for numbers: [UInt64], _ services: ChatServices) -> Entry {
    let now = services.clients.removals.load(ordering: .acquiring)
    if now != removals || entries.count >= Self.limit {
      entries.removeAll()
      removals = now
    }
    let key = Key(numbers: numbers)
    if let e = entries[key] { return e }
    let e = Entry(services.clients.find(numbers))
    entries[key] = e
    return e
  }
}

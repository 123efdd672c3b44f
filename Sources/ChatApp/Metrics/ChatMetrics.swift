// chatd's own counters, for the metrics endpoint: messages accepted and the copies
// delivered, and the history's progress towards the disk. Counters only grow; a scraper
// turns them into rates (messages and deliveries per second).
//
// Writers (each counter is added to by one kind of process only, with one relaxed atomic
// add per message, not per copy):
//   - channel messages and deliveries: the channel's `Room`, once per message it accepts,
//     adding the number of copies it handed to members' endpoints;
//   - private messages and deliveries: the sender's `Connection`, once per message to a
//     nick;
//   - history `handed`: the history store's process, once per append it hands to its
//     writer thread; `written` and `failed`: that writer thread, once per batch.
// Connections per transport are counted by the client directory (Server/Directory.swift),
// each connection for itself.
import Synchronization

/// chatd's counters, one set per server (`ChatServices.metrics`).
final class ChatMetrics: Sendable {
  /// Messages (PRIVMSG, NOTICE, TAGMSG) a room accepted for its channel.
  let channelMessages = Atomic<Int>(0)
  /// Copies of those handed to clients (members, and the sender's echo-message copy).
  let channelDeliveries = Atomic<Int>(0)
  /// Messages to a nick that found it.
  let privateMessages = Atomic<Int>(0)
  /// Copies of those handed to clients (the target, and the sender's echo-message copy).
  let privateDeliveries = Atomic<Int>(0)
  /// The history store's appends (shared by every incarnation of the store).
  let history = HistoryCounters()

  /// A room accepted a message and handed `copies` copies of it out.
  func channelMessage(copies: Int) {
    channelMessages.wrappingAdd(1, ordering: .relaxed)
    channelDeliveries.wrappingAdd(copies, ordering: .relaxed)
  }

  /// A connection sent a message to a nick, `copies` copies in all.
  func privateMessage(copies: Int) {
    privateMessages.wrappingAdd(1, ordering: .relaxed)
    privateDeliveries.wrappingAdd(copies, ordering: .relaxed)
  }
}

/// What the history store has handed to its writer thread, and what came of it: the
/// difference is what waits for the disk. Outlives a restarted store, as its writer may
/// still be finishing the batch it held.
final class HistoryCounters: Sendable {
  /// Appends handed to a writer thread (written by the store's process).
  let handed = Atomic<Int>(0)
  /// Appends committed to the database (written by the writer thread).
  let written = Atomic<Int>(0)
  /// Appends whose transaction failed and were dropped (written by the writer thread).
  let failed = Atomic<Int>(0)

  /// Appends handed to a writer and not committed or dropped yet.
  var pending: Int {
    // Three relaxed reads may see the counters at slightly different moments.
    let done = written.load(ordering: .relaxed) + failed.load(ordering: .relaxed)
    return max(0, handed.load(ordering: .relaxed) - done)
  }
}

/// How a client is connected.
enum ChatTransport: String, Sendable, CaseIterable {
  case irc
  case webSocket = "websocket"
}

/// A count per transport.
final class TransportCounts: Sendable {
  private let irc = Atomic<Int>(0)
  private let webSocket = Atomic<Int>(0)

  func add(_ n: Int, _ transport: ChatTransport) {
    switch transport {
    case .irc: irc.wrappingAdd(n, ordering: .relaxed)
    case .webSocket: webSocket.wrappingAdd(n, ordering: .relaxed)
    }
  }

  subscript(_ transport: ChatTransport) -> Int {
    switch transport {
    case .irc: irc.load(ordering: .relaxed)
    case .webSocket: webSocket.load(ordering: .relaxed)
    }
  }
}

extension ClientHandle {
  /// How the client is connected: a WebSocket, or a plain socket (in-memory test
  /// endpoints count as plain).
  var transport: ChatTransport { endpoint is WebSocket.Output ? .webSocket : .irc }
}

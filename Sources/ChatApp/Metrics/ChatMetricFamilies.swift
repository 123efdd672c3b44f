// chatd's metric families, added to the node's own (`NodeMetrics`) on the metrics
// endpoint: connections per transport, registered clients, channels, messages and
// deliveries, and the history's queue; in a network, messages between nodes by kind,
// replicas of remote users and copies of channels. Read from counters and tables others
// write (ChatMetrics.swift, NetworkCounters.swift, the client directory, the channel
// table, the remote users); nothing here writes.
import Actors
import Control
import GenServer

extension ChatServices {
  /// The chat families, as they stand now.
  func metricFamilies() -> [MetricFamily] {
    let m = metrics
    func perTransport(_ counts: TransportCounts) -> [MetricSample] {
      ChatTransport.allCases.map { MetricSample(counts[$0], labels: [("transport", $0.rawValue)]) }
    }
    func perTarget(channel: Int, user: Int) -> [MetricSample] {
      [MetricSample(channel, labels: [("target", "channel")]), MetricSample(user, labels: [("target", "user")])]
    }
    return [
      MetricFamily(
        "chatd_connections", .gauge, help: "Clients connected now (registered or not), by transport.",
        samples: perTransport(clients.connected)),
      MetricFamily(
        "chatd_connections_opened_total", .counter, help: "Client connections started since chatd started, by transport.",
        samples: perTransport(clients.opened)),
      MetricFamily(
        "chatd_clients_registered", .gauge, help: "Clients that completed registration (NICK and USER).",
        value: clients.registered.load(ordering: .relaxed)),
      MetricFamily("chatd_channels", .gauge, help: "Channels that exist (each has a room).", value: channels.count),
      MetricFamily(
        "chatd_messages_total", .counter,
        help: "PRIVMSG, NOTICE and TAGMSG accepted: by a channel's room (target channel) or delivered to a nick (target user).",
        samples: perTarget(
          channel: m.channelMessages.load(ordering: .relaxed), user: m.privateMessages.load(ordering: .relaxed))),
      MetricFamily(
        "chatd_deliveries_total", .counter,
        help: "Copies of those messages handed to clients (channel members, the nick, echo-message copies).",
        samples: perTarget(
          channel: m.channelDeliveries.load(ordering: .relaxed), user: m.privateDeliveries.load(ordering: .relaxed))),
      MetricFamily(
        "chatd_history_queue_length", .gauge,
        help:
          "Messages waiting for the history database: in the history store's mailbox, and handed to its writer thread but not committed yet.",
        value: historyMailboxLength + m.history.pending),
      MetricFamily(
        "chatd_history_written_total", .counter, help: "Channel messages committed to the history database.",
        value: m.history.written.load(ordering: .relaxed)),
      MetricFamily(
        "chatd_channel_memberships", .gauge,
        help: "Entries (a client in a channel) of the channel table's index, users of other nodes included.",
        value: channels.membershipCount),
    ] + (network.map(networkFamilies) ?? []) + (tls?.metricFamilies ?? [])
  }

  /// A network node's families: messages between nodes by kind, replicas and copies.
  private func networkFamilies(_ network: ChatNetwork) -> [MetricFamily] {
    let c = network.counters
    func perKind(_ read: (NetworkCounters.Kind) -> Int) -> [MetricSample] {
      NetworkCounters.Kind.allCases.map { MetricSample(read($0), labels: [("kind", $0.rawValue)]) }
    }
    return [
      MetricFamily(
        "chatd_network_messages_sent_total", .counter,
        help: "Messages sent to other nodes' relays, once per message however many users it is for, by kind "
          + "(lines: lines for users; users: user records; mirror: changes to channel copies; other: KILL, WALLOPS).",
        samples: perKind(c.sent(of:))),
      MetricFamily(
        "chatd_network_messages_received_total", .counter,
        help: "Messages from other nodes taken by this node's relay, by kind (as chatd_network_messages_sent_total).",
        samples: perKind(c.received(of:))),
      MetricFamily(
        "chatd_network_remote_users", .gauge, help: "Replicas this node keeps of users of other nodes.",
        value: network.users.replicaCount),
      MetricFamily(
        "chatd_network_channel_copies", .gauge, help: "Copies this node keeps of channels homed on other nodes.",
        value: channels.copyCount),
    ]
  }

  /// Messages in the history store's mailbox (0 when it is not running).
  private var historyMailboxLength: Int {
    guard let pid = node.whereis(ChatServices.historyName) else { return 0 }
    return node.processSummary(pid)?.counters.messageQueueLength ?? 0
  }
}

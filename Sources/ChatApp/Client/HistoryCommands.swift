// CHATHISTORY (IRCv3 draft/chathistory): a client asks for a channel's stored messages,
// and gets them in a `chathistory` batch — or, for TARGETS, the channels it has history
// in, in a `draft/chathistory-targets` batch. The command is checked by
// Client/ChatHistoryCommand.swift; the messages come from the history store, whichever
// archive serves it (SQLite, or a network's Redis), through a call: the connection's
// process waits for the answer, no scheduler thread does.
//
// Who may read what (the specification leaves it to the server): a channel's members,
// and nobody else — as Ergo and UnrealIRCd do (irctest checks that a channel one has not
// joined answers INVALID_TARGET). IRC shows a channel's conversation to those in it:
// even a channel that is not secret (+s) or invite-only (+i) may have keys, bans and
// members who talk there because outsiders do not read along, and an outsider who
// wants the history can join (passing the channel's modes) and ask. A target that does
// not exist and one the client may not read get the same INVALID_TARGET, so nothing is
// told about channels the client is not in.
//
// Channels only: chatd keeps no history of private messages (they are written to the
// recipient's socket and kept nowhere), so a nick as target is INVALID_TARGET too, and
// TARGETS lists channels.
import Actors
import GenServer

extension Connection {
  func chathistory(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard !p.isEmpty else {
      needMoreParams("CHATHISTORY", state)
      return
    }
    switch ChatHistoryCommand.parse(p, maxLimit: config.chathistoryLimit) {
    case .failure(let failure):
      client.send(failure.message(from: server))
    case .success(.messages(let subcommand, let target, let query)):
      try await sendHistory(subcommand, target, query, client, ctx)
    case .success(.targets(let from, let to, let limit)):
      try await sendTargets(p[0], from: from, to: to, limit: limit, client, ctx)
    }
  }

  /// A channel's messages, in a `chathistory` batch.
  private func sendHistory(
    _ subcommand: String, _ target: String, _ query: HistoryQuery, _ client: ClientHandle, _ ctx: ServerContext<Self>
  )
    async throws
  {
    let key = Names.fold(target)
    guard Names.isChannel(target), let record = services.channels.record(key), record.members[client.id] != nil else {
      client.send(failure("INVALID_TARGET", [subcommand, target], "Messages could not be retrieved").message(from: server))
      return
    }
    let entries: [HistoryEntry]
    switch try await askHistory(.query(channel: key, query), ctx) {
    case .entries(let e)?: entries = e
    case .unavailable(let why)?:
      client.send(failure("MESSAGE_ERROR", [subcommand, target], "Messages could not be retrieved: \(why)").message(from: server))
      return
    default:
      client.send(
        failure("MESSAGE_ERROR", [subcommand, target], "Messages could not be retrieved: the history store did not answer").message(
          from: server))
      return
    }
    let name = record.settings.name
    sendStoredMessages(entries, of: name, batch: ["chathistory", name], batchPrefix: "h", client)
  }

  /// A channel's stored messages (`name`: the channel as it is spelled), oldest first, in
  /// a batch of type and parameters `batch` for a client with `batch`. Without
  /// server-time the time goes in the text, as in the replay on JOIN.
  func sendStoredMessages(_ entries: [HistoryEntry], of name: String, batch type: [String], batchPrefix: String, _ client: ClientHandle) {
    let caps = client.capabilities
    let batch = caps.contains(.batch) ? batchPrefix + MessageID.next() : nil
    if let batch { client.send(IRCMessage(source: server, "BATCH", ["+" + batch] + type)) }
    for e in entries where ReplayText.isReplayable(e.text) {
      let text = caps.contains(.serverTime) ? e.text : ReplayText.stamped(e.text, at: e.time)
      var m = IRCMessage(source: e.source, e.command, [name, text])
      if let batch { m.tags.append(("batch", batch)) }
      if caps.contains(.serverTime) { m.tags.append(("time", WallClock.iso8601(millis: e.time))) }
      if caps.contains(.messageTags) { m.tags.append(("msgid", e.msgid)) }
      client.send(m)
    }
    if let batch { client.send(IRCMessage(source: server, "BATCH", ["-" + batch])) }
  }

  /// The client's channels whose newest message is between two times, in a
  /// `draft/chathistory-targets` batch, oldest first.
  private func sendTargets(_ subcommand: String, from: Int64, to: Int64, limit: Int, _ client: ClientHandle, _ ctx: ServerContext<Self>)
    async throws
  {
    let channels = services.channels.memberships(of: client.id)
    var times: [String: Int64] = [:]
    if !channels.isEmpty {
      switch try await askHistory(.lastMessageTimes(channels: channels.map(\.key)), ctx) {
      case .times(let t)?: times = t
      case .unavailable(let why)?:
        client.send(failure("MESSAGE_ERROR", [subcommand, "*"], "Messages could not be retrieved: \(why)").message(from: server))
        return
      default:
        client.send(
          failure("MESSAGE_ERROR", [subcommand, "*"], "Messages could not be retrieved: the history store did not answer").message(
            from: server))
        return
      }
    }
    // Strictly between the two times, counted from the first given, as BETWEEN counts.
    let (low, high) = (min(from, to), max(from, to))
    var found = channels.compactMap { c in times[c.key].map { (name: c.settings.name, time: $0) } }
      .filter { $0.time > low && $0.time < high }
      .sorted { $0.time != $1.time ? $0.time < $1.time : $0.name < $1.name }
    found = Array(from <= to ? found.prefix(limit) : found.suffix(limit))
    let batch = client.has(.batch) ? "t" + MessageID.next() : nil
    if let batch { client.send(IRCMessage(source: server, "BATCH", ["+" + batch, "draft/chathistory-targets"])) }
    for target in found {
      var m = IRCMessage(source: server, "CHATHISTORY", ["TARGETS", target.name, WallClock.iso8601(millis: target.time)])
      if let batch { m.tags.append(("batch", batch)) }
      client.send(m)
    }
    if let batch { client.send(IRCMessage(source: server, "BATCH", ["-" + batch])) }
  }

  /// Asks the history store, waiting in this process (up to 10 s); nil if no store
  /// runs or it did not answer.
  func askHistory(_ request: HistoryStore.Request, _ ctx: ServerContext<Self>) async throws -> HistoryStore.Reply? {
    guard let pid = ctx.node.whereis(ChatServices.historyName), let address = pid.address(as: ServerMessage<HistoryStore>.self)
    else { return nil }
    do {
      return try await ctx.call(GenServerRef(address), request, timeout: .seconds(10))
    } catch is CallError {
      return nil  // stopped or restarting meanwhile, or too slow: the client is told
    }
  }

  private func failure(_ code: String, _ context: [String], _ description: String) -> ChatHistoryCommand.Failure {
    ChatHistoryCommand.failure(code, context, description)
  }
}

// SEARCH (soju's `soju.im/search`): a client searches one channel's stored messages and
// gets the matches in a `soju.im/search` batch of PRIVMSG/NOTICE lines with server-time
// and msgid, oldest first. The attributes are checked by History/SearchQuery.swift; the
// history store's archive answers — SQLite's FTS5 index alone (History/MessageIndex.swift),
// a bounded scan of the channel's stream in a network (History/RedisSearch.swift).
//
// Who may search what: as for CHATHISTORY, a channel's members — and the server's
// operators (OPER), who answer for what is said on it — and nobody else; a channel that
// does not exist answers the same as one the client may not read, so nothing is told
// about channels it is not in. Private messages are kept
// nowhere, so a nick is not a target. `in=` is required (chatd searches one channel at
// a time). Without the capability the command is unknown, as the extension asks.
import Actors
import GenServer

extension Connection {
  func search(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard client.has(.search) else {
      client.numeric(server, .errUnknownCommand, "SEARCH", "Unknown command (CAP REQ soju.im/search first)")
      return
    }
    func fail(_ code: String, _ context: [String], _ text: String) {
      client.send(FailReply(command: "SEARCH", code: code, context: context, description: text).message(from: server))
    }
    guard let attributes = p.first, !attributes.isEmpty else {
      return fail("NEED_MORE_PARAMS", [], "Missing parameters: SEARCH in=<channel>;text=<words>[;from=;after=;before=;limit=]")
    }
    let query: SearchQuery
    switch SearchQuery.parse(attributes, maxLimit: config.chathistoryLimit) {
    case .failure(let failure): return client.send(failure.message(from: server))
    case .success(let q): query = q
    }
    let key = Names.fold(query.target)
    guard Names.isChannel(query.target), let record = services.channels.record(key),
      record.members[client.id] != nil || client.settings.oper
    else {
      return fail("INVALID_PARAMS", ["in=" + query.target], "You can only search the channels you are in")
    }
    let entries: [HistoryEntry]
    switch try await askHistory(.search(channel: key, query), ctx) {
    case .entries(let e)?: entries = e
    case .unavailable(let why)?: return fail("INTERNAL_ERROR", [query.target], "The search could not be run: \(why)")
    default: return fail("INTERNAL_ERROR", [query.target], "The search could not be run: the history store did not answer")
    }
    sendStoredMessages(entries, of: record.settings.name, batch: ["soju.im/search"], batchPrefix: "s", client)
  }
}

// MARKREAD (IRCv3 `draft/read-marker`): the connections of one account tell each other
// how far its user has read in each channel or private conversation. The markers are the
// account store's (Accounts/ReadMarkers.swift: per account and target, forward only,
// bounded); this file checks the command, asks the store, and tells every connection of
// the account that asked for the capability — on this node and, through their replicas,
// on every other node of a network — when a marker moves.
//
// A client not logged in has no markers: its MARKREAD gets `FAIL MARKREAD
// ACCOUNT_REQUIRED`, and a JOIN shows it `MARKREAD <channel> *`. A timestamp later than
// now is taken as now (the specification's clamp), so a wrong clock cannot mark unread
// messages to come as read.
import Actors
import GenServer

extension Connection {
  func markRead(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async {
    let client = state.client
    func fail(_ code: String, _ context: [String], _ text: String) {
      client.send(IRCMessage(source: server, "FAIL", ["MARKREAD", code] + context + [text]))
    }
    guard let target = p.first, !target.isEmpty else {
      return fail("NEED_MORE_PARAMS", [], "Missing parameters: MARKREAD <target> [timestamp=YYYY-MM-DDThh:mm:ss.sssZ]")
    }
    guard
      Names.isChannel(target)
        ? Names.isValidChannel(target, maxLength: config.channelLength) : Names.isValidNick(target, maxLength: config.nickLength)
    else {
      return fail("INVALID_PARAMS", [target], "Invalid target: a channel or a nick")
    }
    guard let account = client.account else {
      return fail("ACCOUNT_REQUIRED", [target], "Log in to an account (SASL, or /msg NickServ IDENTIFY) to keep read markers")
    }
    let key = Names.fold(target)
    guard p.count > 1 else {
      switch await callAccounts(.readMarker(account: account, target: key), ctx) {
      case .readMarker(let millis, _):
        client.send(Self.markReadLine(server, target, millis))
      default:
        fail("INTERNAL_ERROR", [target], "The read timestamp could not be read: the account store did not answer")
      }
      return
    }
    let given = p[1]
    guard given.hasPrefix("timestamp="), let millis = WallClock.parseISO8601(String(given.dropFirst("timestamp=".count))) else {
      return fail("INVALID_PARAMS", [given], "Invalid timestamp: timestamp=YYYY-MM-DDThh:mm:ss.sssZ")
    }
    switch await callAccounts(.markRead(account: account, target: key, millis: min(millis, WallClock.millis())), ctx) {
    case .readMarker(let stored, let moved):
      let line = Self.markReadLine(server, target, stored)
      // The sender hears the marker as it stands even without the capability (it asked).
      client.send(line)
      if moved {
        let folded = Names.fold(account)
        for other in services.everyone
        where other !== client && other.has(.readMarker) && other.account.map(Names.fold) == folded {
          other.send(line)
        }
      }
    default:
      fail("INTERNAL_ERROR", [target], "The read timestamp could not be set: the account store did not answer")
    }
  }

  /// The marker a client with `draft/read-marker` sees after its JOIN of `channel`:
  /// `timestamp=...` or `*`; nil for a client without the capability.
  func readMarkerOnJoin(_ channel: String, _ client: ClientHandle, _ ctx: ServerContext<Self>) async -> String? {
    guard client.has(.readMarker) else { return nil }
    guard let account = client.account else { return "*" }
    if case .readMarker(let millis?, _) = await callAccounts(
      .readMarker(account: account, target: Names.fold(channel)), ctx, timeout: .seconds(2))
    {
      return "timestamp=" + WallClock.iso8601(millis: millis)
    }
    return "*"
  }

  /// `:server MARKREAD <target> timestamp=...|*`.
  static func markReadLine(_ server: String, _ target: String, _ millis: Int64?) -> IRCMessage {
    IRCMessage(source: server, "MARKREAD", [target, millis.map { "timestamp=" + WallClock.iso8601(millis: $0) } ?? "*"])
  }
}

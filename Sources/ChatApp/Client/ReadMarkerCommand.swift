// MARKREAD (IRCv3 `draft/read-marker`): the connections of one account tell each other
// how far its user has read in each channel or private conversation. The markers are the
// account store's (Accounts/ReadMarkers.swift: per account and target, forward only,
// bounded); this file checks the command, asks the store, and tells every connection of
// the account that asked for the capability — on this node and, through their replicas,
// on every other node of a network — when a marker moves.
//
// A client not logged in keeps markers for its connection only (the connection's state,
// `guestMarkerLimit` targets at most, the oldest marker dropped first): the same
// answers, forward only, gone when it disconnects — nothing to share them with. A
// timestamp later than now is taken as now (the specification's clamp), so a wrong clock
// cannot mark unread messages to come as read.
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
    let key = Names.fold(target)
    // The timestamp to set (clamped to now), if one is given.
    var setting: Int64?
    if p.count > 1 {
      guard p[1].hasPrefix("timestamp="), let millis = WallClock.parseISO8601(String(p[1].dropFirst("timestamp=".count))) else {
        return fail("INVALID_PARAMS", [p[1]], "Invalid timestamp: timestamp=YYYY-MM-DDThh:mm:ss.sssZ")
      }
      setting = min(millis, WallClock.millis())
    }
    guard let account = client.account else {
      return markReadAsGuest(target, key, setting, &state)
    }
    guard let setting else {
      switch await callAccounts(.readMarker(account: account, target: key), ctx) {
      case .readMarker(let millis, _):
        client.send(Self.markReadLine(server, target, millis))
      default:
        fail("INTERNAL_ERROR", [target], "The read timestamp could not be read: the account store did not answer")
      }
      return
    }
    switch await callAccounts(.markRead(account: account, target: key, millis: setting), ctx) {
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

  /// Targets a guest's connection keeps markers for.
  static let guestMarkerLimit = 100

  /// MARKREAD of a client not logged in: its connection's markers (`setting`: the
  /// timestamp to set, checked and clamped; nil to ask).
  private func markReadAsGuest(_ target: String, _ key: String, _ setting: Int64?, _ state: inout State) {
    let client = state.client
    guard let setting else {
      return client.send(Self.markReadLine(server, target, state.rare?.guestReadMarkers[key]))
    }
    let markers = state.rareBox
    let stored = max(markers.guestReadMarkers[key] ?? .min, setting)
    if markers.guestReadMarkers[key] == nil, markers.guestReadMarkers.count >= Self.guestMarkerLimit,
      let oldest = markers.guestReadMarkers.min(by: { $0.value < $1.value })?.key
    {
      markers.guestReadMarkers[oldest] = nil
    }
    markers.guestReadMarkers[key] = stored
    client.send(Self.markReadLine(server, target, stored))
  }

  /// The marker a client with `draft/read-marker` sees after its JOIN of `channel`:
  /// `timestamp=...` or `*`; nil for a client without the capability.
  func readMarkerOnJoin(_ channel: String, _ state: State, _ ctx: ServerContext<Self>) async -> String? {
    let client = state.client
    guard client.has(.readMarker) else { return nil }
    guard let account = client.account else {
      return state.rare?.guestReadMarkers[Names.fold(channel)].map { "timestamp=" + WallClock.iso8601(millis: $0) } ?? "*"
    }
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

// An account's read markers (IRCv3 `draft/read-marker`): for each target (a channel or
// a nick, folded) the time of the last message the account's user has read, one JSON
// document per account in the account store's engine (SQLite alone, Redis in a
// network), beside the account's own document and dropped with it.
//
// Writer: the account store (Accounts/AccountStore.swift), on behalf of the account's
// connections; a marker only moves forward, and an account keeps at most
// `ReadMarkers.limit` of them (past it the oldest goes), so a client marking ever new
// targets cannot grow the document without bound. Two nodes moving one account's
// markers at the same instant could lose one of the two moves (the document is
// rewritten whole); the next MARKREAD of that target sets it again.
import Foundation

/// An account's read markers: folded target → Unix milliseconds.
struct ReadMarkers: Sendable, Equatable {
  /// The most targets an account keeps a marker for.
  static let limit = 1000

  var markers: [String: Int64] = [:]

  /// Moves the marker of `target` (folded) to `millis` if that is later; past `limit`
  /// targets, the oldest marker goes. The marker as it now stands.
  mutating func advance(_ target: String, to millis: Int64) -> Int64 {
    if let stored = markers[target], stored >= millis { return stored }
    markers[target] = millis
    if markers.count > Self.limit, let oldest = markers.min(by: { $0.value < $1.value }) {
      markers.removeValue(forKey: oldest.key)
    }
    return markers[target] ?? millis
  }

  static func decode(_ json: String) -> ReadMarkers? {
    guard let markers = try? JSONDecoder().decode([String: Int64].self, from: Data(json.utf8)) else { return nil }
    return ReadMarkers(markers: markers)
  }

  var json: String { (try? String(decoding: JSONEncoder().encode(markers), as: UTF8.self)) ?? "{}" }
}

extension AccountBook {
  /// The marker of `target` (folded) for the account `account`: Unix milliseconds, or
  /// nil if none is kept.
  func readMarker(account: String, target: String, _ done: @escaping Done<Int64?>) {
    engine.run(.read(.readMarkers, Names.fold(account))) { result in
      switch result {
      case .document(let json?): done(.success(ReadMarkers.decode(json)?.markers[target]))
      case .document(nil): done(.success(nil))
      default: done(.failure(.unavailable))
      }
    }
  }

  /// Moves the marker of `target` (folded) forward to `millis` (never back): the
  /// marker as it then stands, and whether it moved.
  func markRead(account: String, target: String, millis: Int64, _ done: @escaping Done<(Int64, moved: Bool)>) {
    let engine = self.engine
    let key = Names.fold(account)
    @Sendable func attempt(_ left: Int) {
      engine.run(.read(.readMarkers, key)) { result in
        guard case .document(let json) = result else { return done(.failure(.unavailable)) }
        var markers = json.flatMap(ReadMarkers.decode) ?? ReadMarkers()
        let before = markers.markers[target]
        let now = markers.advance(target, to: millis)
        if before == now { return done(.success((now, moved: false))) }
        let write: EngineOperation = json == nil ? .create(.readMarkers, key, markers.json) : .replace(.readMarkers, key, markers.json)
        engine.run(write) { written in
          switch written {
          case .written(true): done(.success((now, moved: true)))
          // Another node made or dropped the document meanwhile: read it again.
          case .written(false) where left > 0: attempt(left - 1)
          default: done(.failure(.unavailable))
          }
        }
      }
    }
    attempt(2)
  }
}

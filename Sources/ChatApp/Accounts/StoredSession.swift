// An always-on account's session as it stood when it last detached or when chatd last
// stopped — its nick, user, real name, host, away message and channels — so that a
// chatd alone brings it back, detached, in its channels after a restart
// (Client/SessionRestore.swift), and a connection of the account on another node of a
// network finds its channels (Client/AlwaysOn.swift). One JSON document per account in
// the account store (SQLite alone, the network's Redis).
//
// Writer: the session's connection, through the account store (`saveAlwaysOnSession` when it
// detaches or chatd stops, `dropAlwaysOnSession` when the account stops being always-on or
// logs out); read once, at start, by the restorer. Dropped with the account.
import Foundation

/// What a restored always-on session starts from.
struct StoredSession: Sendable, JSONStored, Equatable {
  var account: String
  var nick: String
  var user: String
  var realname: String
  var host: String
  var away: String?
  /// Channel names as joined (case kept).
  var channels: [String]

}

extension AccountBook {
  /// Keeps `session` as its account's (replacing what was kept).
  func saveAlwaysOnSession(_ session: StoredSession) {
    let engine = self.engine
    let key = Names.fold(session.account)
    engine.run(.create(.alwaysOnSession, key, session.json)) { created in
      if case .written(false) = created { engine.run(.replace(.alwaysOnSession, key, session.json)) { _ in } }
    }
  }

  /// Forgets the session of `account`.
  func dropAlwaysOnSession(_ account: String) {
    engine.run(.delete([(.alwaysOnSession, Names.fold(account))])) { _ in }
  }

  /// The session kept for `account`, if any.
  func alwaysOnSession(_ account: String, _ done: @escaping Done<[StoredSession]>) {
    engine.run(.read(.alwaysOnSession, Names.fold(account))) { result in
      guard case .document(let json) = result else { return done(.failure(.unavailable)) }
      done(.success(json.flatMap(StoredSession.decode).map { [$0] } ?? []))
    }
  }

  /// Every session kept.
  func alwaysOnSessions(_ done: @escaping Done<[StoredSession]>) {
    engine.run(.list(.alwaysOnSession)) { result in
      guard case .documents(let all) = result else { return done(.failure(.unavailable)) }
      done(.success(all.values.compactMap(StoredSession.decode)))
    }
  }
}

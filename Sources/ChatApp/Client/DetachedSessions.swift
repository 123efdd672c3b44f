// The always-on sessions of this node that have no connection: account (folded) → the
// session's client. An application-owned table like the client directory, so that a
// connection logging in to an account finds its detached session without asking
// anyone. Writers: each session for itself — it adds itself when its socket closes
// (Client/AlwaysOn.swift) and its exit hook removes it however it ends
// (`ChatServices.clientLeft`) — and the one connection that takes it over, which
// removes it (`take`: whoever takes it first has it, so two connections of one account
// registering at once cannot both attach to it). At most one entry per account.
import Actors

/// Detached always-on sessions, by account.
final class DetachedSessions: Sendable {
  private let sessions = Locked<[String: ClientHandle]>([:])

  /// `client`, logged in to `account`, has no connection now.
  func add(_ client: ClientHandle, account: String) {
    sessions.withLock { $0[Names.fold(account)] = client }
  }

  /// Takes the detached session of `account` out of the table, if there is one.
  func take(_ account: String) -> ClientHandle? {
    sessions.withLock { $0.removeValue(forKey: Names.fold(account)) }
  }

  /// `client` has ended: its entry, if it has one, goes.
  func remove(_ client: ClientHandle) {
    guard let account = client.account.map(Names.fold) else { return }
    sessions.withLock { if $0[account] === client { $0.removeValue(forKey: account) } }
  }

  /// Whether `account` has a detached session here.
  func holds(account: String) -> Bool { sessions.withLock { $0[Names.fold(account)] != nil } }

  /// Whether `client` is the detached session of `account`.
  func holds(_ client: ClientHandle, account: String) -> Bool { sessions.withLock { $0[Names.fold(account)] === client } }

  var count: Int { sessions.withLock { $0.count } }
}

// A registered nick is its account's: a client that takes it without being logged in to
// that account is told so by NickServ and has `--nick-grace` (30 s) to log in (SASL
// again, or /msg NickServ IDENTIFY <password>); if it has not by then, it is renamed to
// a guest nick (`Guest12345`), which everyone sharing a channel with it sees as a NICK.
// chatd does not refuse the nick at NICK: a client without SASL can only log in once
// connected, and it connects with the nick it has.
//
// The check asks the account store (one lookup per NICK); the grace timer is the
// connection's own (a message to itself, Connection.Info.nickGrace), so it costs nothing
// while nobody holds someone else's nick. A store that does not answer lets the nick
// be (the check fails open: a slow disk or Redis away must not rename anyone).
import Actors
import GenServer

extension Connection {
  /// After the client took `nick` (registration or NICK): if it is a registered
  /// account's and the client is not logged in to it, the warning and the timer.
  func checkReservation(of nick: String, _ state: inout State, _ ctx: ServerContext<Self>) async {
    let folded = Names.fold(nick)
    guard state.client.account.map(Names.fold) != folded else { return }
    guard case .account(let owner) = await callAccounts(.info(name: nick), ctx, timeout: .seconds(2)) else { return }
    // Logged in meanwhile (the call waited): nothing to say.
    guard state.client.account.map(Names.fold) != folded, Names.fold(state.client.nick) == folded else { return }
    let seconds = config.nickGrace.components.seconds
    state.client.notice(
      from: .nickServ,
      "\(nick) is registered to the account \(owner.name). Log in within \(seconds) seconds (/msg NickServ IDENTIFY <password>, or SASL) "
        + "or you will be renamed")
    ctx.sendAfter(config.nickGrace, to: ctx.address, .info(.nickGrace(folded)))
  }

  /// The grace period for `folded` is over: a client still holding it, still not logged
  /// in to its account, is renamed.
  func nickGraceOver(_ folded: String, _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard client.isRegistered, client.holdsNick, Names.fold(client.nick) == folded, client.account.map(Names.fold) != folded else { return }
    guard case .account = await callAccounts(.info(name: client.nick), ctx, timeout: .seconds(2)) else { return }
    for _ in 0..<5 {
      let guest = "Guest\(Int.random(in: 10_000...99_999))"
      try await nick([guest], &state, ctx)
      if Names.fold(state.client.nick) == Names.fold(guest) {
        client.notice(from: .nickServ, "You were renamed to \(guest): \(folded) is registered to an account you are not logged in to")
        return
      }
    }
  }
}

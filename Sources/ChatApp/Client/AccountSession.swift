// Logging a connection in and out of an account, whichever way it was proven (SASL,
// REGISTER, NickServ): the account becomes a setting of the client (`ClientSettings.account`,
// written by its connection alone, published on its handle, carried to other nodes in
// its user record and moved with the session), the client hears 900 or 901, and
// everyone sharing a channel with it and asking for account-notify hears ACCOUNT.
// Also the connection's way to the account store.
import Actors
import GenServer

extension Connection {
  /// The account store, if it runs.
  func accountsRef(_ ctx: ServerContext<Self>) -> GenServerRef<AccountStore>? {
    ctx.node.whereis(ChatServices.accountsName, as: ServerMessage<AccountStore>.self).map(GenServerRef.init)
  }

  /// Calls the account store; `.refused(.unavailable)` if it is not running or does not
  /// answer within `timeout` (a password check queued behind others takes a while).
  func callAccounts(_ request: AccountStore.Request, _ ctx: ServerContext<Self>, timeout: Timeout = .seconds(15)) async
    -> AccountStore.Reply
  {
    for _ in 0..<3 {
      if let store = accountsRef(ctx) {
        do {
          return try await ctx.call(store, request, timeout: timeout)
        } catch let e as CallError where e == .timeout {
          return .refused(.unavailable)
        } catch {
          // Being restarted: look again.
        }
      }
      try? await ctx.sleep(for: .milliseconds(100))
    }
    return .refused(.unavailable)
  }

  /// The client is now logged in to `account`: 900, and ACCOUNT to its neighbours.
  func logIn(_ account: AccountInfo, _ state: inout State) {
    let client = state.client
    let before = client.account
    state.update { $0.account = account.name }
    setAlwaysOn(config.alwaysOn.applies(to: account.alwaysOn), &state)
    client.numeric(server, .rplLoggedIn, mask(of: client), account.name, "You are now logged in as \(account.name)")
    if before != account.name { announceAccount(state) }
  }

  /// The client is no longer logged in: 901, and ACCOUNT * to its neighbours.
  func logOut(_ state: inout State, reason: String = "You are now logged out") {
    let client = state.client
    guard client.account != nil else { return }
    state.update { $0.account = nil }
    setAlwaysOn(false, &state)
    client.numeric(server, .rplLoggedOut, mask(of: client), reason)
    announceAccount(state)
  }

  /// `nick!user@host` for 900 and 901, with `*` for what a client still registering has
  /// not given yet.
  private func mask(of client: ClientHandle) -> String {
    let user = client.setting { $0.user }
    return "\(client.nick)!\(user.isEmpty ? "*" : user)@\(client.host)"
  }

  /// ACCOUNT to everyone sharing a channel with the client who asked for account-notify.
  private func announceAccount(_ state: State) {
    let client = state.client
    guard client.isRegistered else { return }
    let line = TaggedLine(IRCMessage(source: client.prefix, "ACCOUNT", [client.account ?? "*"]), account: client.account)
    Fanout.broadcast(line, to: neighbours(state).lazy.filter { $0.has(.accountNotify) }, services)
  }
}

// IRCv3 `draft/account-registration`: `REGISTER <account> <email> <password>` and
// `VERIFY <account> <code>`. An account's name is its owner's nick (`*` means the
// current one; no `custom-account-name`), and a registered account is logged in at once.
// `--account-registration` says who may: registered clients (`on`, the default), also
// clients still registering (`before-connect`, then in the capability's value), or
// nobody (`off`: the capability is not offered). chatd sends no email, so it never asks
// for one (no `email-required` in the value): an email given is ignored, the account is
// usable as soon as REGISTER succeeds, and VERIFY has nothing to verify.
import Actors
import GenServer

extension Connection {
  /// The capability's value in CAP LS 302 (nil: not offered).
  var accountRegistrationCapValue: String? {
    switch config.accountRegistration {
    case .off: return nil
    case .on: return ""
    case .beforeConnect: return "before-connect"
    }
  }

  func register(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard p.count >= 3 else {
      client.send(IRCMessage(source: server, "FAIL", ["REGISTER", "NEED_MORE_PARAMS", "Usage: REGISTER <account> <email> <password>"]))
      return
    }
    func fail(_ code: String, _ account: String, _ text: String) {
      client.send(IRCMessage(source: server, "FAIL", ["REGISTER", code, account, text]))
    }
    let requested = p[0]
    switch config.accountRegistration {
    case .off:
      return fail("TEMPORARILY_UNAVAILABLE", requested, "Account registration is turned off on this server")
    case .on where !client.isRegistered:
      return fail("COMPLETE_CONNECTION_REQUIRED", requested, "Finish connecting (NICK, USER, CAP END) before registering an account")
    default: break
    }
    // `*` is the current nick — or, for a client still registering whose nick was
    // refused, the one it asked for (whose holder keeps it: see below).
    let wanted = client.holdsNick ? client.nick : state.rare?.refusedNick
    guard let account = requested == "*" ? wanted : requested else {
      return fail("NEED_NICK", requested, "Choose a nick first: the account takes its name")
    }
    // No land grabs: a name someone else is using now is not for the taking.
    if let holder = services.findNick(account), holder !== client {
      return fail("ACCOUNT_EXISTS", account, "\(account) is in use by someone else")
    }
    let nick = client.nick
    guard client.holdsNick, Names.fold(account) == Names.fold(nick) else {
      return fail("ACCOUNT_NAME_MUST_BE_NICK", account, "An account is named after its owner's nick: take the nick \(account) first")
    }
    if let current = client.account {
      return fail("ALREADY_AUTHENTICATED", account, "You are already logged in as \(current)")
    }
    let password = Secret(p[2])
    switch await callAccounts(.register(name: nick, password: password, minimumLength: config.minimumPasswordLength), ctx) {
    case .account(let info):
      client.send(IRCMessage(source: server, "REGISTER", ["SUCCESS", info.name, "Account created; you are logged in"]))
      logIn(info, &state)
    case .refused(let refusal):
      switch refusal {
      case .exists: fail("ACCOUNT_EXISTS", account, refusal.description)
      case .invalidName: fail("BAD_ACCOUNT_NAME", account, refusal.description)
      case .weakPassword: fail("WEAK_PASSWORD", account, refusal.description)
      case .passwordTooLong: fail("UNACCEPTABLE_PASSWORD", account, refusal.description)
      default: fail("TEMPORARILY_UNAVAILABLE", account, refusal.description)
      }
    default:
      fail("TEMPORARILY_UNAVAILABLE", account, AccountRefusal.unavailable.description)
    }
  }

  func verify(_ p: [String], _ state: inout State) {
    let account = p.first ?? "*"
    state.client.send(
      IRCMessage(
        source: server, "FAIL",
        [
          "VERIFY", "INVALID_CODE", account,
          "This server sends no verification codes (it has no email): an account works as soon as REGISTER succeeds",
        ]))
  }
}

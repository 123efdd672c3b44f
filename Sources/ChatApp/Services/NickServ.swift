// NickServ, for clients that speak neither SASL nor IRCv3 account-registration
// (`/msg NickServ ...`, or `/ns ...` sent as `NS ...`):
//
//   REGISTER <password> [email]      an account named after your nick; you are logged in
//   IDENTIFY [account] <password>    log in (to your nick's account, or the one named)
//   LOGOUT                           log out
//   INFO [account]                   when an account was registered, its channels; your
//                                    own also lists its certificates
//   CERT ADD [fingerprint]           let a TLS client certificate log you in (SASL
//                                    EXTERNAL): this connection's, or the one given
//   CERT DEL <fingerprint>, CERT LIST
//   DROP <password>                  delete your account and its channel registrations
//
// Answers are NOTICEs from NickServ. Run by the sender's connection; the account store
// does the work (Accounts/AccountStore.swift), so the rules are REGISTER's and SASL's.
import Actors
import GenServer

extension Connection {
  func nickServ(_ text: String, _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    func say(_ line: String) { client.notice(from: .nickServ, line) }
    guard let command = words.first?.uppercased() else {
      return say("Commands: REGISTER, IDENTIFY, LOGOUT, INFO, CERT, DROP (/msg NickServ HELP)")
    }
    let args = Array(words.dropFirst())
    switch command {
    case "REGISTER":
      guard let password = args.first else { return say("Usage: REGISTER <password> [email]") }
      guard config.accountRegistration != .off else { return say("Account registration is turned off on this server") }
      if let current = client.account { return say("You are already logged in as \(current)") }
      let nick = client.nick
      let reply = await callAccounts(.register(name: nick, password: Secret(password), minimumLength: config.minimumPasswordLength), ctx)
      switch reply {
      case .account(let info):
        say("Account \(info.name) registered; you are now logged in. Use SASL, or /msg NickServ IDENTIFY <password>, next time")
        logIn(info, &state)
      case .refused(let refusal): say("Cannot register \(nick): \(refusal)")
      default: say("Cannot register \(nick): \(AccountRefusal.unavailable)")
      }
    case "IDENTIFY", "LOGIN":
      guard !args.isEmpty, args.count <= 2 else { return say("Usage: IDENTIFY [account] <password>") }
      let name = args.count == 2 ? args[0] : client.nick
      switch await callAccounts(.login(name: name, password: Secret(args[args.count - 1]), address: peerHost), ctx) {
      case .account(let info):
        logIn(info, &state)
        say("You are now logged in as \(info.name)")
        await attachAfterLogin(&state, ctx)
      case .refused(let refusal): say("Login failed: \(refusal)")
      default: say("Login failed: \(AccountRefusal.unavailable)")
      }
    case "LOGOUT":
      guard client.account != nil else { return say("You are not logged in") }
      logOut(&state)
      say("You are now logged out")
    case "INFO":
      guard let name = args.first ?? client.account ?? (client.holdsNick ? client.nick : nil) else { return say("Usage: INFO [account]") }
      switch await callAccounts(.info(name: name), ctx) {
      case .account(let info):
        say("Account \(info.name), registered \(WallClock.iso8601(millis: Int64(info.created) * 1000))")
        if !info.channels.isEmpty { say("Channels registered: \(info.channels.sorted().joined(separator: " "))") }
        if config.alwaysOn != .off { say("Always-on: \(config.alwaysOn.applies(to: info.alwaysOn) ? "ON" : "OFF")") }
        if Names.fold(client.account ?? "") == Names.fold(info.name) {
          say("Certificates: \(info.certificates.isEmpty ? "none" : info.certificates.joined(separator: " "))")
        }
      case .noAccount: say("There is no account \(name)")
      case .refused(let refusal): say("Cannot look \(name) up: \(refusal)")
      default: say("Cannot look \(name) up: \(AccountRefusal.unavailable)")
      }
    case "CERT":
      try await certificate(args, &state, ctx)
    case "SET":
      guard args.count == 2, args[0].uppercased() == "ALWAYS-ON", let on = ["ON": true, "OFF": false][args[1].uppercased()] else {
        return say("Usage: SET ALWAYS-ON ON|OFF")
      }
      guard let account = client.account else { return say("Log in to an account first") }
      guard config.alwaysOn != .off else { return say("Always-on sessions are turned off on this server") }
      switch await callAccounts(.setAlwaysOn(account: account, on), ctx) {
      case .account(let info):
        setAlwaysOn(config.alwaysOn.applies(to: info.alwaysOn), &state)
        say(
          "Always-on is now \(on ? "ON" : "OFF") for \(info.name): "
            + (on ? "your nick stays in your channels when your last connection closes" : "closing your last connection quits"))
      case .refused(let refusal): say("Cannot change \(account): \(refusal)")
      default: say("Cannot change \(account): \(AccountRefusal.unavailable)")
      }
    case "DROP":
      guard let account = client.account else { return say("Log in to the account you want to drop first") }
      guard args.count == 1 else { return say("Usage: DROP <password> (the account \(account) and its channel registrations are deleted)") }
      switch await callAccounts(.drop(name: account, password: Secret(args[0]), address: peerHost), ctx) {
      case .account(let info):
        logOut(&state, reason: "You are now logged out (the account was dropped)")
        say("Account \(info.name) dropped")
        // Other sessions of this node logged in to it are logged out too.
        for other in services.clients.all where other !== client && other.account.map(Names.fold) == Names.fold(info.name) {
          other.pid.address(as: ServerMessage<Connection>.self)?.send(.info(.accountDropped(Names.fold(info.name))))
        }
      case .refused(let refusal): say("Cannot drop \(account): \(refusal)")
      default: say("Cannot drop \(account): \(AccountRefusal.unavailable)")
      }
    case "HELP":
      for line in [
        "REGISTER <password> [email]: an account named after your nick (no email is sent or needed)",
        "IDENTIFY [account] <password>: log in", "LOGOUT: log out", "INFO [account]: about an account",
        "CERT ADD [fingerprint], CERT DEL <fingerprint>, CERT LIST: TLS client certificates for SASL EXTERNAL",
        "DROP <password>: delete your account",
        "SET ALWAYS-ON ON|OFF: keep your nick in your channels while you are not connected",
      ] {
        say(line)
      }
    default:
      say("Unknown command \(command): /msg NickServ HELP")
    }
  }

  private func certificate(_ args: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    func say(_ line: String) { client.notice(from: .nickServ, line) }
    guard let account = client.account else { return say("Log in first: certificates belong to an account") }
    let sub = args.first?.uppercased() ?? "LIST"
    switch sub {
    case "LIST":
      if case .account(let info) = await callAccounts(.info(name: account), ctx) {
        say("Certificates of \(info.name): \(info.certificates.isEmpty ? "none" : info.certificates.joined(separator: " "))")
      } else {
        say("Cannot list the certificates: \(AccountRefusal.unavailable)")
      }
    case "ADD", "DEL":
      let given = args.count > 1 ? args[1] : (sub == "ADD" ? state.certificateFingerprint : nil)
      guard let given else {
        return say(
          sub == "ADD"
            ? "This connection has no client certificate: connect over TLS with one, or give its SHA-256 fingerprint"
            : "Usage: CERT DEL <fingerprint>")
      }
      guard let fingerprint = CertificateFingerprint.normalized(given) else {
        return say("\(given) is not a SHA-256 fingerprint (64 hexadecimal digits, colons allowed)")
      }
      let request: AccountStore.Request =
        sub == "ADD"
        ? .addCertificate(account: account, fingerprint: fingerprint) : .removeCertificate(account: account, fingerprint: fingerprint)
      switch await callAccounts(request, ctx) {
      case .account: say(sub == "ADD" ? "Certificate \(fingerprint) added to \(account)" : "Certificate \(fingerprint) removed")
      case .refused(let refusal): say("Cannot change the certificates: \(refusal)")
      default: say("Cannot change the certificates: \(AccountRefusal.unavailable)")
      }
    default:
      say("Usage: CERT ADD [fingerprint], CERT DEL <fingerprint>, CERT LIST")
    }
  }
}

// ChanServ: registered channels (Rooms/ChannelRegistration.swift), for their founders
// (`/msg ChanServ ...`, or `CS ...`):
//
//   REGISTER <#channel>                   register a channel you are an op of (logged in)
//   ACCESS <#channel> ADD|DEL <account>   who else gets op on joining (founder only)
//   ACCESS <#channel> LIST
//   INFO <#channel>                       founder, date, access list
//   DROP <#channel>                       unregister it (founder only)
//
// Run by the sender's connection: the room checks and changes what is its own (who is
// op there, the registration in its settings), the account store keeps it. Answers are
// NOTICEs from ChanServ.
import Actors
import GenServer

extension Connection {
  func chanServ(_ text: String, _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    func say(_ line: String) { client.notice(from: .chanServ, line) }
    guard let command = words.first?.uppercased() else { return say("Commands: REGISTER, ACCESS, INFO, DROP (/msg ChanServ HELP)") }
    let args = Array(words.dropFirst())
    guard command != "HELP" else {
      for line in [
        "REGISTER <#channel>: register a channel you are an operator of, to your account",
        "ACCESS <#channel> ADD|DEL <account>: accounts that get op on joining (founder only); ACCESS <#channel> LIST",
        "INFO <#channel>: who registered it, and when", "DROP <#channel>: unregister it (founder only)",
      ] {
        say(line)
      }
      return
    }
    guard let name = args.first, Names.isChannel(name) else { return say("Usage: \(command) <#channel> (/msg ChanServ HELP)") }
    let key = Names.fold(name)
    switch command {
    case "REGISTER":
      guard let account = client.account else { return say("Log in to an account first: a channel is registered to an account") }
      guard case .done? = try await callRoom(name, .mayRegister(client), ctx) else {
        if !services.channels.exists(key) { say("\(name) does not exist: join it first") }
        return
      }
      guard var settings = services.channels.settings(key) else { return say("\(name) does not exist: join it first") }
      settings.invited = []
      let registration = ChannelRegistration(founder: account, time: WallClock.seconds())
      settings.registration = registration
      switch await callAccounts(.registerChannel(settings), ctx) {
      case .channel:
        if try await callRoom(name, .adoptRegistration(client, registration), ctx) == nil {
          say("\(name) is registered to \(account)")
        }
      case .refused(let refusal): say("Cannot register \(name): \(refusal)")
      default: say("Cannot register \(name): \(AccountRefusal.unavailable)")
      }
    case "ACCESS":
      let sub = args.count > 1 ? args[1].uppercased() : "LIST"
      switch sub {
      case "LIST":
        guard let channel = try await registered(name, ctx), let registration = channel.registration else {
          return say("\(name) is not registered")
        }
        say("Access list of \(channel.name): \(registration.founder) (founder)\(registration.access.map { ", " + $0 }.joined())")
      case "ADD", "DEL":
        guard args.count == 3 else { return say("Usage: ACCESS <#channel> \(sub) <account>") }
        if try await callRoom(name, .access(client, add: sub == "ADD", account: args[2]), ctx) == nil {
          say("\(name) does not exist: it is created again when someone joins it")
        }
      default:
        say("Usage: ACCESS <#channel> ADD|DEL <account>, or ACCESS <#channel> LIST")
      }
    case "INFO":
      guard let channel = try await registered(name, ctx), let registration = channel.registration else {
        return say("\(name) is not registered")
      }
      say(
        "\(channel.name) is registered to \(registration.founder) since \(WallClock.iso8601(millis: Int64(registration.time) * 1000)); "
          + "\(registration.access.count) more on its access list")
    case "DROP":
      if try await callRoom(name, .unregister(client), ctx) == nil {
        say("\(name) has nobody in it: join it first, then DROP")
      }
    default:
      say("Unknown command \(command): /msg ChanServ HELP")
    }
  }

  /// The channel if it is registered: from the published record when its room is known
  /// here, else from the account store.
  private func registered(_ name: String, _ ctx: ServerContext<Self>) async throws -> ChannelSettings? {
    if let settings = services.channels.settings(Names.fold(name)) { return settings.registration == nil ? nil : settings }
    if case .channel(let settings?) = await callAccounts(.channel(key: Names.fold(name)), ctx) { return settings }
    return nil
  }
}

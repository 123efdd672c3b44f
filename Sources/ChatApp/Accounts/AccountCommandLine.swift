// `chatd account`: accounts managed from the command line — made by an administrator
// (`register`, the password read from stdin, so it shows in no process list and no
// shell history), looked at (`info`) and deleted (`drop`) — whether chatd runs or not.
// It opens the same store chatd does: the data directory's `accounts.sqlite3` (SQLite's
// locks keep it and a running chatd apart, and chatd caches nothing), or the network's
// Redis with `--cluster`. The settings come from the same flags and `--config` file as
// chatd's. Nothing here is state: `run` returns an exit status.
import Actors
import Foundation
import Redis

/// What `chatd account` was asked to do.
public struct AccountCommand: Equatable, Sendable {
  public enum Action: String, Equatable, Sendable {
    case register, info, drop
  }
  public var action: Action
  public var name: String
  /// Where the store is: the data directory, or the network (`config.cluster`).
  public var config: ChatConfig
}

extension ChatCommandLine {
  public static let accountHelp = """
    usage: chatd account register|info|drop NAME [chatd options]

    Manages chatd's accounts, whether chatd runs or not, in the store chatd uses: the
    data directory's accounts.sqlite3, or the network's Redis with --cluster. The
    options are chatd's own (--data-dir, --config FILE, --cluster URL, --cluster-name).

      register NAME   create the account NAME (a valid nick); its password is read
                      from the first line of stdin (never from the command line)
      info NAME       when NAME was registered, its certificates and channels
      drop NAME       delete NAME, its certificates and its channel registrations

    Exit status: 0 done; 2 bad command line; 65 refused (the account exists, or
    there is no such account, or the password is refused); 74 the store cannot be
    opened; 76 the network's Redis cannot be reached.
    """

  static func parseAccount(_ arguments: [String]) throws(UsageError) -> ChatCommand {
    if arguments.first == "-h" || arguments.first == "--help" || arguments.isEmpty { return .accountHelp }
    guard let action = AccountCommand.Action(rawValue: arguments[0]) else {
      throw UsageError(description: "account: expected register, info or drop, got \"\(arguments[0])\" (see chatd account --help)")
    }
    guard arguments.count >= 2, !arguments[1].hasPrefix("-") else {
      throw UsageError(description: "account \(action.rawValue): expected the account's NAME")
    }
    let name = arguments[1]
    var given: Set<String> = []
    guard case .run(let config) = try parse(Array(arguments.dropFirst(2)), over: nil, given: &given, finish: true) else {
      throw UsageError(description: "account: expected chatd's settings after NAME (see chatd account --help)")
    }
    guard Names.isValidNick(name, maxLength: config.nickLength), ServiceBot.named(name) == nil else {
      throw UsageError(description: "account: \"\(name)\" cannot be an account name (it must be a valid nick)")
    }
    return .account(AccountCommand(action: action, name: name, config: config))
  }
}

/// Runs `chatd account` commands.
public enum AccountAdministration {
  /// Runs `command`, reading a password from `readPassword` when it needs one; writes
  /// what it did to stdout and why it failed to stderr. Returns the exit status.
  public static func run(_ command: AccountCommand, readPassword: () -> String?) async -> Int32 {
    let config = command.config
    var node: Node?
    let engine: any AccountEngine
    if let url = config.cluster {
      do {
        let n = try Node(schedulers: 1, name: "chatd-account")
        node = n
        let redis = try await RedisClient.start(try RedisConfiguration(url: url), on: n)
        _ = try await redis.on(n).ping()
        engine = RedisAccountEngine(client: redis, cluster: config.clusterName, node: n)
      } catch {
        node?.shutdown()
        complain("account: cannot reach the network's Redis at \(url) (--cluster): \(error)")
        return ChatExitStatus.network.rawValue
      }
    } else {
      do {
        try DataDirectory.prepare(config.dataDirectory)
        engine = try SQLiteAccountEngine(path: config.accountsPath)
      } catch {
        complain("account: cannot open \(config.accountsPath): \(error)")
        return ChatExitStatus.ioError.rawValue
      }
    }
    let book = AccountBook(engine: engine, pool: HashingPool(threads: 1, queueLimit: 1))
    defer {
      book.pool.stop()
      if let sqlite = engine as? SQLiteAccountEngine { sqlite.finishAndWait() } else { engine.finish() }
      node?.shutdown()
    }
    let result: Result<AccountInfo, AccountRefusal>
    switch command.action {
    case .register:
      guard let password = readPassword(), !password.isEmpty else {
        complain("account register: no password on stdin (write it as the first line)")
        return ChatExitStatus.usage.rawValue
      }
      let secret = Secret(password)
      if secret.characters < config.minimumPasswordLength {
        complain("account register: \(AccountRefusal.weakPassword(minimum: config.minimumPasswordLength)) (--min-password-length)")
        return 65
      }
      if secret.count > AccountStore.maximumPasswordLength {
        complain("account register: \(AccountRefusal.passwordTooLong(maximum: AccountStore.maximumPasswordLength))")
        return 65
      }
      result = await wait { book.register(name: command.name, password: secret, $0) }
    case .info:
      result = await wait { done in book.record(command.name) { found in done(found.map(\.info)) } }
    case .drop:
      result = await wait { book.drop(command.name, $0) }
    }
    switch result {
    case .success(let info):
      switch command.action {
      case .register: print("account \(info.name) registered")
      case .drop: print("account \(info.name) dropped")
      case .info:
        print("account \(info.name), registered \(WallClock.iso8601(millis: Int64(info.created) * 1000))")
        print("certificates: \(info.certificates.isEmpty ? "none" : info.certificates.joined(separator: " "))")
        print("channels: \(info.channels.isEmpty ? "none" : info.channels.sorted().joined(separator: " "))")
      }
      return 0
    case .failure(let refusal):
      complain("account \(command.action.rawValue): \(refusal)")
      if case .unavailable = refusal { return config.cluster == nil ? ChatExitStatus.ioError.rawValue : ChatExitStatus.network.rawValue }
      return 65
    }
  }

  private static func wait<T: Sendable>(_ start: (@escaping AccountBook.Done<T>) -> Void) async -> Result<T, AccountRefusal> {
    await withCheckedContinuation { continuation in start { continuation.resume(returning: $0) } }
  }

  private static func complain(_ line: String) { FileHandle.standardError.write(Data("chatd: \(line)\n".utf8)) }
}

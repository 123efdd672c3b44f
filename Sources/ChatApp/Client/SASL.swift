// SASL (IRCv3 `sasl` 3.1 and 3.2): AUTHENTICATE with PLAIN, SCRAM-SHA-256 and EXTERNAL,
// before registration or after it (3.2: a client may log in again, as another account).
// Responses arrive base64 in chunks of 400 bytes — a chunk of exactly 400 means more
// follows, `+` an empty one or the end — at most `maximumResponse` bytes in all (past
// it, 904 and the exchange is dropped); a chunk over 400 bytes is 905; `*` aborts (906).
// Numerics: 900 logged in, 903 success, 904 failure (with why), 905 too long, 906
// aborted, 908 the mechanisms. Completing registration mid-exchange aborts it (906).
//
// Passwords and certificates are checked by the account store (PLAIN with Argon2id on
// its hashing pool, SCRAM from the stored keys here, EXTERNAL by fingerprint), every
// attempt throttled per account and address (Accounts/LoginThrottle.swift). The
// exchange's state is the connection's (`State.sasl`), and is dropped with it.
import Actors
import Foundation
import GenServer

/// A SASL exchange under way.
struct SASLSession: Sendable {
  enum Mechanism: String, Sendable, CaseIterable {
    case plain = "PLAIN"
    case scramSHA256 = "SCRAM-SHA-256"
    case external = "EXTERNAL"
  }

  /// Where a SCRAM exchange stands.
  enum ScramStep: Sendable {
    case clientFirst
    /// The server's first message was sent; the client's proof is awaited.
    case clientFinal(ScramExchange, AccountInfo)
    /// The server's signature was sent; the client's empty answer is awaited.
    case done(AccountInfo)
  }

  let mechanism: Mechanism
  /// Base64 text of the response being gathered, chunk by chunk.
  var pending: [UInt8] = []
  var scram: ScramStep = .clientFirst

  /// The mechanisms, as CAP LS 302 and 908 list them.
  static let mechanismList = Mechanism.allCases.map(\.rawValue).joined(separator: ",")
  /// The most base64 a client may send for one response (10 chunks).
  static let maximumResponse = 4000
}

extension Connection {
  func authenticate(_ p: [String], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    let client = state.client
    guard let argument = p.first, !argument.isEmpty else {
      needMoreParams("AUTHENTICATE", state)
      return
    }
    if argument == "*" {
      state.sasl = nil
      client.numeric(server, .errSaslAborted)
      return
    }
    guard var session = state.sasl else {
      // A new exchange: the argument names the mechanism.
      guard let mechanism = SASLSession.Mechanism(rawValue: argument.uppercased()) else {
        client.numeric(server, .rplSaslMechs, SASLSession.mechanismList)
        saslFailed("unknown mechanism \(argument)", &state)
        return
      }
      if mechanism == .external && state.certificateFingerprint == nil {
        saslFailed("no client certificate: EXTERNAL needs a TLS connection with a certificate registered to the account", &state)
        return
      }
      state.sasl = SASLSession(mechanism: mechanism)
      client.send(IRCMessage("AUTHENTICATE", ["+"]))
      return
    }
    let chunk = Array(argument.utf8)
    guard chunk.count <= 400 else {
      state.sasl = nil
      client.numeric(server, .errSaslTooLong)
      return
    }
    if argument != "+" { session.pending += chunk }
    guard session.pending.count <= SASLSession.maximumResponse else {
      saslFailed("response too long", &state)
      return
    }
    if chunk.count == 400 {
      state.sasl = session
      return
    }
    guard let response = session.pending.isEmpty ? Data() : Data(base64Encoded: Data(session.pending)) else {
      saslFailed("the response is not valid base64", &state)
      return
    }
    session.pending = []
    state.sasl = session
    switch session.mechanism {
    case .plain: try await plain(Array(response), &state, ctx)
    case .external: try await external(Array(response), &state, ctx)
    case .scramSHA256: try await scram(Array(response), session, &state, ctx)
    }
  }

  /// 904 with why, and the exchange is over (the client may start another).
  func saslFailed(_ why: String, _ state: inout State) {
    state.sasl = nil
    state.client.numeric(server, .errSaslFail, "SASL authentication failed: \(why)")
  }

  /// Logged in: 900 and 903.
  private func saslSucceeded(_ account: AccountInfo, _ state: inout State) {
    state.sasl = nil
    logIn(account, &state)
    state.client.numeric(server, .rplSaslSuccess)
  }

  /// The peer's address, as the login throttle counts it.
  var peerHost: String { Self.hostPart(of: socket.peerAddress ?? "unknown") }

  // MARK: - PLAIN (RFC 4616)

  private func plain(_ response: [UInt8], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    // authzid NUL authcid NUL passwd
    let parts = response.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3, !parts[2].contains(0) else { return saslFailed("malformed PLAIN response", &state) }
    guard let authzid = String(validating: parts[0], as: UTF8.self), let authcid = String(validating: parts[1], as: UTF8.self),
      !authcid.isEmpty
    else { return saslFailed("malformed PLAIN response", &state) }
    guard !parts[2].isEmpty else { return saslFailed("empty password", &state) }
    // Acting for another account than the one proven is not offered.
    if !authzid.isEmpty && Names.fold(authzid) != Names.fold(authcid) {
      return saslFailed("\(authcid) may not act as \(authzid)", &state)
    }
    let password = Secret(bytes: Array(parts[2]))
    switch await callAccounts(.login(name: authcid, password: password, address: peerHost), ctx) {
    case .account(let account): saslSucceeded(account, &state)
    case .refused(let refusal): saslFailed(refusal.description, &state)
    default: saslFailed(AccountRefusal.unavailable.description, &state)
    }
  }

  // MARK: - EXTERNAL (RFC 4422 appendix A)

  private func external(_ response: [UInt8], _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    guard let fingerprint = state.certificateFingerprint else { return saslFailed("no client certificate", &state) }
    let authzid = String(decoding: response, as: UTF8.self)
    switch await callAccounts(.certificate(fingerprint: fingerprint), ctx) {
    case .account(let account):
      if !authzid.isEmpty && Names.fold(authzid) != Names.fold(account.name) {
        return saslFailed("this certificate is registered to another account", &state)
      }
      saslSucceeded(account, &state)
    case .refused(let refusal): saslFailed(refusal.description, &state)
    default: saslFailed(AccountRefusal.unavailable.description, &state)
    }
  }

  // MARK: - SCRAM-SHA-256 (RFC 5802, RFC 7677)

  private func scram(_ response: [UInt8], _ session: SASLSession, _ state: inout State, _ ctx: ServerContext<Self>) async throws {
    var session = session
    switch session.scram {
    case .clientFirst:
      let first: ScramClientFirst
      do {
        first = try ScramClientFirst(response)
      } catch {
        return saslFailed(error.description, &state)
      }
      if let authzid = first.authzid, Names.fold(authzid) != Names.fold(first.username) {
        return saslFailed("\(first.username) may not act as \(authzid)", &state)
      }
      switch await callAccounts(.scram(name: first.username, address: peerHost), ctx) {
      case .scram(let credentials, let account):
        let exchange = ScramExchange(first: first, credentials: credentials)
        session.scram = .clientFinal(exchange, account)
        state.sasl = session
        sendChallenge(Array(exchange.serverFirst.utf8), state)
      case .refused(let refusal): saslFailed(refusal.description, &state)
      default: saslFailed(AccountRefusal.unavailable.description, &state)
      }
    case .clientFinal(let exchange, let account):
      do {
        let serverFinal = try exchange.finish(response)
        // The proof was right: the attempt's tokens go back.
        accountsRef(ctx)?.cast(.succeeded(account: account.name, address: peerHost))
        session.scram = .done(account)
        state.sasl = session
        sendChallenge(Array(serverFinal.utf8), state)
      } catch {
        saslFailed(error.description == "wrong password" ? AccountRefusal.badCredentials.description : error.description, &state)
      }
    case .done(let account):
      guard response.isEmpty else { return saslFailed("unexpected data after the server's signature", &state) }
      saslSucceeded(account, &state)
    }
  }

  /// `AUTHENTICATE <base64>`, in 400-byte chunks (and `+` after a last full one).
  private func sendChallenge(_ bytes: [UInt8], _ state: State) {
    let text = Array(Data(bytes).base64EncodedString().utf8)
    var i = 0
    repeat {
      let chunk = text[i..<min(i + 400, text.count)]
      state.client.send(IRCMessage("AUTHENTICATE", [chunk.isEmpty ? "+" : String(decoding: chunk, as: UTF8.self)]))
      i += 400
    } while i < text.count
    if !text.isEmpty && text.count % 400 == 0 { state.client.send(IRCMessage("AUTHENTICATE", ["+"])) }
  }
}

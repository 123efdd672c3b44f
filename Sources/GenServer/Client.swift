// The client side: call, cast, asynchronous requests, stop, and inspection — from a
// process (`Context`) or from outside (`Node`).
import Actors

extension Context {
  /// Calls the server and waits for its reply (default timeout 5 s, as OTP). Suspends
  /// this process, never its thread. Throws `CallError`: `.timeout` (a late reply is
  /// dropped), `.noproc`, `.exited(reason)` if the server ends before replying,
  /// `.callingSelf`.
  @inlinable
  public func call<S: ServerTypes>(_ server: GenServerRef<S>, _ request: S.Request, timeout: Timeout = .seconds(5)) async throws -> S.Reply
  {
    try await self.request(server.address, timeout: timeout) { ServerMessage<S>.call(request, $0) }
  }

  /// Calls the server registered under `name`; `.noproc` if none is, `.wrongType` if the
  /// name belongs to a server (or process) of another type.
  @inlinable
  public func call<S: ServerTypes>(_ name: String, _ type: S.Type, _ request: S.Request, timeout: Timeout = .seconds(5)) async throws
    -> S.Reply
  {
    let address = try node.lookup(name, as: ServerMessage<S>.self)
    return try await call(GenServerRef(address), request, timeout: timeout)
  }

  /// Sends a cast; always succeeds.
  @inlinable
  public func cast<S: ServerTypes>(_ server: GenServerRef<S>, _ message: S.Cast) { server.cast(message) }

  /// Sends a call without waiting (`send_request`); collect with `receiveResponse`.
  @inlinable
  public func sendRequest<S: ServerTypes>(_ server: GenServerRef<S>, _ request: S.Request) -> RequestID<S.Reply> {
    sendRequest(server.address) { ServerMessage<S>.call(request, $0) }
  }

  /// Stops the server: it runs `terminate(reason)` and exits. Returns once it has
  /// exited. Throws `.noproc` if it is not alive, `.timeout`, or `.exited(other)` if it
  /// ended with another reason meanwhile.
  @inlinable
  public func stop<S: ServerTypes>(_ server: GenServerRef<S>, reason: ExitReason = .normal, timeout: Timeout = .infinity) async throws {
    do {
      let _: Bool = try await self.request(server.address, timeout: timeout) { ServerMessage<S>.system(.stop(reason, done: $0)) }
    } catch let e as CallError {
      if case .exited(let r) = e, r == reason { return }
      throw e
    }
  }

  /// The server's status (`sys:get_status`), with the state as `formatStatus` shows it.
  @inlinable
  public func status<S: ServerTypes>(of server: GenServerRef<S>, timeout: Timeout = .seconds(5)) async throws -> ServerStatus {
    try await self.request(server.address, timeout: timeout) { ServerMessage<S>.system(.status($0)) }
  }
}

extension Context {
  /// The server's state (`sys:get_state`), for debugging and tests.
  @inlinable
  public func state<S: ServerTypes>(of server: GenServerRef<S>, timeout: Timeout = .seconds(5)) async throws -> S.State
  where S.State: Sendable {
    let (reply, pending) = makeReply(S.State.self)
    server.address.send(.system(.inspect { state in reply.reply(state) }))
    return try await receiveResponse(pending, timeout: timeout)
  }
}

extension Node {
  /// `call` from outside any process.
  public func call<S: ServerTypes>(_ server: GenServerRef<S>, _ request: S.Request, timeout: Timeout = .seconds(5)) async throws(CallError)
    -> S.Reply
  {
    try await self.request(server.address, timeout: timeout) { ServerMessage<S>.call(request, $0) }
  }

  /// `call` by name from outside any process: `.noproc` if no process has the name,
  /// `.wrongType` if it belongs to a server (or process) of another type.
  public func call<S: ServerTypes>(_ name: String, _ type: S.Type, _ request: S.Request, timeout: Timeout = .seconds(5))
    async throws(CallError) -> S.Reply
  {
    let address = try lookup(name, as: ServerMessage<S>.self)
    return try await call(GenServerRef(address), request, timeout: timeout)
  }

  /// `stop` from outside any process.
  public func stop<S: ServerTypes>(_ server: GenServerRef<S>, reason: ExitReason = .normal, timeout: Timeout = .infinity)
    async throws(CallError)
  {
    do {
      let _: Bool = try await self.request(server.address, timeout: timeout) { ServerMessage<S>.system(.stop(reason, done: $0)) }
    } catch {
      if case .exited(let r) = error, r == reason { return }
      throw error
    }
  }

  /// `status` from outside any process.
  public func status<S: ServerTypes>(of server: GenServerRef<S>, timeout: Timeout = .seconds(5)) async throws(CallError) -> ServerStatus {
    try await self.request(server.address, timeout: timeout) { ServerMessage<S>.system(.status($0)) }
  }

  /// `state` from outside any process.
  public func state<S: ServerTypes>(of server: GenServerRef<S>, timeout: Timeout = .seconds(5)) async throws(CallError) -> S.State
  where S.State: Sendable {
    let (reply, pending) = makeReply(S.State.self)
    server.address.send(.system(.inspect { state in reply.reply(state) }))
    return try await receiveResponse(pending, timeout: timeout)
  }
}

// The messages a server process takes, and its typed handle.
import Actors

/// A message to a server: what `call`, `cast` and plain sends become, plus the system
/// requests of the behaviour (stop, state and status inspection).
public enum ServerMessage<S: ServerTypes>: Sendable {
  case call(S.Request, From<S.Reply>)
  case cast(S.Cast)
  case info(S.Info)
  case system(SystemRequest<S>)
}

/// Requests handled by the generic loop itself (Erlang's `sys` messages).
public enum SystemRequest<S: ServerTypes>: Sendable {
  /// Stop with `reason` after running `terminate`; `done` is answered once the process
  /// has exited.
  case stop(ExitReason, done: From<Bool>)
  /// Run `body` on the state, in the server (for `getState`).
  case inspect(@Sendable (inout S.State) -> Void)
  /// Answer the server's status.
  case status(From<ServerStatus>)
}

/// What `status(_:)` answers (Erlang's `sys:get_status`).
public struct ServerStatus: Sendable, CustomStringConvertible {
  public let pid: Pid
  /// The server type.
  public let module: String
  public let registeredName: String?
  /// `formatStatus(state)`: the state as the server chooses to show it.
  public let state: String

  @inlinable public init(pid: Pid, module: String, registeredName: String?, state: String) {
    self.pid = pid
    self.module = module
    self.registeredName = registeredName
    self.state = state
  }

  public var description: String { "\(module) \(pid)\(registeredName.map { " (\($0))" } ?? ""): \(state)" }
}

/// A started server: where calls, casts and infos go.
public struct GenServerRef<S: ServerTypes>: Sendable, Hashable, CustomStringConvertible {
  /// The server process's typed address.
  public let address: Address<ServerMessage<S>>

  public init(_ address: Address<ServerMessage<S>>) { self.address = address }

  public var pid: Pid { address.pid }

  /// Sends a cast. Always succeeds, even to a dead server (the cast is dropped).
  @inlinable public func cast(_ message: S.Cast) { address.send(.cast(message)) }

  /// Sends a plain message, seen by `handleInfo` as `.message(info)`.
  @inlinable public func send(_ info: S.Info) { address.send(.info(info)) }

  public var description: String { "\(S.self)\(pid)" }
}

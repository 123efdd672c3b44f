// The gen_server behaviour: a server is a small Swift type — its state plus a handful of
// callbacks — and the generic part (the loop, the call protocol, timeouts, system
// messages, termination) is written once, in Loop.swift.
//
// Callbacks, and what they may return (OTP's gen_server, in Swift types):
//
// | callback         | gets                                  | returns                         |
// |------------------|---------------------------------------|---------------------------------|
// | initialize       | the context                           | .ok(state[, then]), .ignore,    |
// |                  |                                       | .stop(reason)                   |
// | handleCall       | request, from, inout state, context   | .reply(r[, then]), .noreply,    |
// |                  |                                       | .stop(reason[, reply:])         |
// | handleCast       | cast, inout state, context            | .noreply([then]), .stop(reason) |
// | handleInfo       | any other message (EXIT, DOWN, timer, | same as handleCast              |
// |                  | the idle timeout, Info values)        |                                 |
// | handleContinue   | the value given to `.continue`        | same as handleCast              |
// | terminate        | reason, inout state, context          | —                               |
// | formatStatus     | the state                             | a description (redact secrets)  |
//
// `then` is what happens next: `.wait` for the next message, `.timeout(d)` (handleInfo
// gets `.timeout` if no message arrives within `d`), `.hibernate`, or `.continue(value)`
// (handleContinue runs before any other message).
import Actors

/// Where to send the reply to a call: give it to `reply(_:)` now or later, from any
/// callback or any process.
public typealias From<R: Sendable> = ReplyTo<R>

/// The context a server's callbacks run in: send, spawn, link, monitor, timers, names.
public typealias ServerContext<S: ServerTypes> = Context<ServerMessage<S>>

/// What every server declares: its state and the types of what it is sent. The base of
/// `GenServer` (async callbacks) and `SyncGenServer` (callbacks that never await).
public protocol ServerTypes: Sendable {
  /// The server's state, owned by its process.
  associatedtype State
  /// What `call` sends, and what it answers.
  associatedtype Request: Sendable = Never
  associatedtype Reply: Sendable = Never
  /// What `cast` sends.
  associatedtype Cast: Sendable = Never
  /// Plain messages sent to the server (and timer messages), seen by `handleInfo`.
  associatedtype Info: Sendable = Never
  /// What `.continue` carries to `handleContinue`.
  associatedtype Continue: Sendable = Never

  /// How the state appears to `status` and the observer. Override to redact secrets.
  func formatStatus(_ state: State) -> String
}

extension ServerTypes {
  public func formatStatus(_ state: State) -> String { String(describing: state) }
}

/// A server. Conform a type (holding the server's configuration — Erlang's init
/// arguments) and start it with `ctx.startLink(MyServer(...))`. Callbacks may `await`
/// (call other servers, sleep, receive) without blocking a thread.
public protocol GenServer: ServerTypes {
  // Restated so that the associated types are inferred from the callbacks' signatures.
  associatedtype State
  associatedtype Request: Sendable = Never
  associatedtype Reply: Sendable = Never
  associatedtype Cast: Sendable = Never
  associatedtype Info: Sendable = Never
  associatedtype Continue: Sendable = Never

  /// Runs in the new process before `start` returns.
  func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self>

  func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) async throws -> CallResult<Self>

  func handleCast(_ message: Cast, state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self>

  /// Every message that is not a call or a cast: `.message(info)`, `.exit` (when trapping
  /// exits; an EXIT from the parent ends the server instead), `.down`, `.timer`, `.timeout`.
  func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self>

  func handleContinue(_ value: Continue, state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self>

  /// Runs when the server stops: a `.stop` result, a callback that threw, a `stop` request,
  /// or an exit signal from its parent while it traps exits. Not on `kill`.
  func terminate(_ reason: ExitReason, state: inout State, _ ctx: ServerContext<Self>) async
}

/// A server whose callbacks never `await`: the same behaviour as `GenServer`, but its
/// process runs straight on the scheduler thread, with no dispatcher Task and no async
/// frames: a lone call to it costs one Task switch less, and back-to-back calls (which
/// keep an async server's dispatcher on the thread) about 15 % less (`otter-bench
/// gencall`). Use it for servers that compute and send but never wait; a server that
/// must call other servers mid-callback conforms to `GenServer`.
public protocol SyncGenServer: ServerTypes {
  // Restated so that the associated types are inferred from the callbacks' signatures.
  associatedtype State
  associatedtype Request: Sendable = Never
  associatedtype Reply: Sendable = Never
  associatedtype Cast: Sendable = Never
  associatedtype Info: Sendable = Never
  associatedtype Continue: Sendable = Never

  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self>
  func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) throws -> CallResult<Self>
  func handleCast(_ message: Cast, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self>
  func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self>
  func handleContinue(_ value: Continue, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self>
  func terminate(_ reason: ExitReason, state: inout State, _ ctx: ServerContext<Self>)
}

/// What happens after a callback.
public enum Then<S: ServerTypes>: Sendable {
  /// Wait for the next message.
  case wait
  /// Wait; if nothing arrives within the duration, handleInfo gets `.timeout`.
  case timeout(Duration)
  /// Give up unused buffers, then wait.
  case hibernate
  /// Run handleContinue with this value before any other message.
  case `continue`(S.Continue)
}

/// What `initialize` returns.
public enum InitResult<S: ServerTypes> {
  /// Started, with this state.
  case ok(S.State, Then<S> = .wait)
  /// Do not start: `start` returns nil and the process ends normally.
  case ignore
  /// Do not start: `start` fails with this reason, with which the process ends.
  case stop(ExitReason)
}

/// What `handleCall` returns.
public enum CallResult<S: ServerTypes> {
  /// Answer the caller.
  case reply(S.Reply, Then<S> = .wait)
  /// Answer later through `from.reply(_:)` (from this or any other process).
  case noreply(Then<S> = .wait)
  /// Stop the server, answering the caller first if a reply is given.
  case stop(ExitReason, reply: S.Reply? = nil)
}

/// What `handleCast`, `handleInfo` and `handleContinue` return.
public enum HandleResult<S: ServerTypes> {
  case noreply(Then<S> = .wait)
  case stop(ExitReason)
}

/// Why a server did not start.
public enum StartError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A process is already registered under the requested name.
  case alreadyStarted(Pid)
  /// `initialize` did not finish within the start timeout; the process was killed.
  case timeout
  /// `initialize` returned `.stop(reason)` or threw (reason `.error(e)`), or the process
  /// died during start.
  case failed(ExitReason)

  public var description: String {
    switch self {
    case .alreadyStarted(let pid): return "already started as \(pid)"
    case .timeout: return "initialization timed out"
    case .failed(let reason): return "initialization failed: \(reason)"
    }
  }
}

/// Thrown out of a server process by the default `handleCall` of a server that declares
/// requests but does not handle them — a programming error made visible as an exit reason.
public struct UnhandledMessage: Error, CustomStringConvertible {
  public let what: String
  public var description: String { "unhandled \(what)" }
}

extension GenServer {
  public func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) async throws -> CallResult<
    Self
  > {
    throw UnhandledMessage(what: "call \(request)")
  }

  public func handleCast(_ message: Cast, state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    throw UnhandledMessage(what: "cast \(message)")
  }

  /// The default drops what it does not expect, as OTP's does (which also logs it).
  public func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    .noreply()
  }

  public func handleContinue(_ value: Continue, state: inout State, _ ctx: ServerContext<Self>) async throws -> HandleResult<Self> {
    throw UnhandledMessage(what: "continue \(value)")
  }

  public func terminate(_ reason: ExitReason, state: inout State, _ ctx: ServerContext<Self>) async {}
}

extension SyncGenServer {
  public func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
    throw UnhandledMessage(what: "call \(request)")
  }

  public func handleCast(_ message: Cast, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    throw UnhandledMessage(what: "cast \(message)")
  }

  public func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    .noreply()
  }

  public func handleContinue(_ value: Continue, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    throw UnhandledMessage(what: "continue \(value)")
  }

  public func terminate(_ reason: ExitReason, state: inout State, _ ctx: ServerContext<Self>) {}
}

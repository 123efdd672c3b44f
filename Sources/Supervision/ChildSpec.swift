// What a supervisor knows about a child: how to start it, when to restart it, how to
// stop it (supervisor.erl's child specification).
import Actors
import GenServer

/// When a child that ended is restarted.
public enum Restart: String, Sendable, Codable {
  /// Always.
  case permanent
  /// Only if it ended abnormally (not `normal`, `shutdown` or `shutdown(_)`).
  case transient
  /// Never; its spec is removed when it ends, even when a sibling's failure ended it.
  case temporary
}

extension Restart {
  /// Whether a child with this restart type is restarted after exiting with `reason`.
  func restarts(after reason: ExitReason) -> Bool {
    switch self {
    case .permanent: return true
    case .transient: return !reason.isOrderly
    case .temporary: return false
    }
  }
}

/// How a child is stopped.
public enum Shutdown: Sendable, Equatable, CustomStringConvertible {
  /// An untrappable kill at once.
  case brutalKill
  /// An exit signal `shutdown`; if the child has not ended after the duration, a kill.
  case timeout(Duration)
  /// An exit signal `shutdown`, then wait as long as it takes (the default for
  /// supervisor children, which stop their own trees first).
  case infinity

  public var description: String {
    switch self {
    case .brutalKill: return "brutal_kill"
    case .timeout(let d): return "\(d)"
    case .infinity: return "infinity"
    }
  }
}

/// A worker or a supervisor (affects the default shutdown and `countChildren`).
public enum ChildType: String, Sendable, Codable {
  case worker
  case supervisor
}

/// Where a supervisor's child start functions run: the supervisor's own process context.
/// Start functions must start their child *linked* to it (`startLink`, `spawnLink`).
public typealias SupervisorContext = ServerContext<Supervisor>

/// A child specification.
///
/// ```swift
/// ChildSpec(id: "cache") { ctx in try await ctx.startLink(Cache())?.pid }
/// ChildSpec(id: "ticker", restart: .transient) { ctx in
///   ctx.spawnLink(Tick.self, state: 0) { n, _, _ in n += 1; return .continue }.pid
/// }
/// ```
public struct ChildSpec: Sendable {
  /// Unique among the supervisor's children.
  public var id: String
  /// Starts the child linked to the supervisor; returns its pid, or nil to ignore (the
  /// child is not started). Throwing is a start failure.
  public var start: @Sendable (SupervisorContext) async throws -> Pid?
  public var restart: Restart
  public var shutdown: Shutdown
  public var type: ChildType
  /// With `autoShutdown`, the supervisor stops when this child (any/all significant ones)
  /// ends. Only for transient or temporary children.
  public var significant: Bool
  /// The delay before each restart of this child (nil: the supervisor's
  /// `SupervisorFlags.backoff`). OS process children have pm2's by default.
  public var backoff: Backoff?
  /// At most this many restarts in a row — each after a run shorter than the backoff's
  /// `resetAfter` (the supervisor's period without a backoff) — before the supervisor
  /// stops restarting this child and leaves it stopped, with a give-up report (pm2's
  /// `max_restarts`). `restartChild` starts it again. Nil: no limit but the restart
  /// intensity, which applies either way.
  public var maxRestarts: Int?

  /// - Parameters:
  ///   - id: unique among the supervisor's children.
  ///   - restart: when the child is restarted: always, after an abnormal exit, never.
  ///   - shutdown: default 5 s for a worker, `.infinity` for a supervisor (OTP's defaults).
  ///   - type: a worker, or a supervisor (shown as such, and given `.infinity` to stop).
  ///   - significant: with `autoShutdown`, its ending may stop the supervisor.
  ///   - backoff: the delay before each restart (nil: the supervisor's).
  ///   - maxRestarts: restarts in a row after which the child is left stopped.
  ///   - start: starts the child linked to the supervisor; nil ignores it.
  public init(
    id: String, restart: Restart = .permanent, shutdown: Shutdown? = nil, type: ChildType = .worker,
    significant: Bool = false, backoff: Backoff? = nil, maxRestarts: Int? = nil,
    start: @escaping @Sendable (SupervisorContext) async throws -> Pid?
  ) {
    self.id = id
    self.start = start
    self.restart = restart
    self.type = type
    self.shutdown = shutdown ?? (type == .supervisor ? .infinity : .timeout(.seconds(5)))
    self.significant = significant
    self.backoff = backoff
    self.maxRestarts = maxRestarts
  }

  /// A child that is a server, started with `startLink`.
  public static func server<S: GenServer>(
    id: String, _ server: S, name: String? = nil, restart: Restart = .permanent, shutdown: Shutdown? = nil,
    significant: Bool = false
  ) -> ChildSpec {
    ChildSpec(id: id, restart: restart, shutdown: shutdown, significant: significant) { ctx in
      try await ctx.startLink(server, name: name)?.pid
    }
  }

  /// A child that is a `SyncGenServer`, started with `startLink`.
  public static func server<S: SyncGenServer>(
    id: String, _ server: S, name: String? = nil, restart: Restart = .permanent, shutdown: Shutdown? = nil,
    significant: Bool = false
  ) -> ChildSpec {
    ChildSpec(id: id, restart: restart, shutdown: shutdown, significant: significant) { ctx in
      try await ctx.startLink(server, name: name)?.pid
    }
  }

  /// A child that is itself a supervisor (shutdown `.infinity` by default).
  public static func supervisor(
    id: String, _ supervisor: Supervisor, name: String? = nil, restart: Restart = .permanent,
    shutdown: Shutdown = .infinity
  ) -> ChildSpec {
    ChildSpec(id: id, restart: restart, shutdown: shutdown, type: .supervisor) { ctx in
      try await ctx.startLink(supervisor, name: name)?.pid
    }
  }
}

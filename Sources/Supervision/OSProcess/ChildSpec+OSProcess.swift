// OS processes as children: the child specs (static and dynamic) and the start that
// runs in the supervisor's process — it spawns the owner linked to the supervisor and
// waits, without holding its thread, for the owner to say the OS process is started
// (spawned, or READY=1) or why not. That wait is what makes `startChild`, and the start
// of the siblings after it, wait for a child that really serves.
import Actors
import GenServer

extension ChildSpec {
  /// A child that is an OS process, run by an owner process linked to the supervisor:
  /// it is started when `process.readiness` says, stopped with its stop signal then
  /// `SIGKILL` after `process.shutdownTimeout`, and its exit (status 0: `normal`; any
  /// other status or a signal: an abnormal reason such as "exited with status 3" or
  /// "killed by SIGSEGV (core dumped)") goes through `restart` like any child's.
  ///
  /// - Parameters:
  ///   - id: unique among the supervisor's children; in the metadata of the child's log lines.
  ///   - restart: when it is restarted (a run shorter than `process.minUptime` is a crash
  ///     even with status 0, so a transient child that exits at once is restarted).
  ///   - backoff: the delay before each restart; by default pm2's (100 ms, × 1.5 per
  ///     crash in a row, at most 15 s). Whichever it is, a run of `process.minUptime`
  ///     starts it again from its first delay (its `resetAfter` is set to that).
  ///     `Backoff.none` restarts at once.
  ///   - maxRestarts: restarts in a row (each after a run shorter than `minUptime`) after
  ///     which it is left stopped, with a give-up report.
  ///   - significant: with `autoShutdown`, its ending may stop the supervisor.
  public static func osProcess(
    id: String, _ process: OSProcessSpec, restart: Restart = .permanent, backoff: Backoff? = nil, maxRestarts: Int? = nil,
    significant: Bool = false
  ) -> ChildSpec {
    var delays = backoff ?? .pm2(resetAfter: process.minUptime)
    delays.resetAfter = process.minUptime
    return ChildSpec(
      id: id, restart: restart, shutdown: .timeout(process.shutdownTimeout + OSProcessOwner.stopSlack), significant: significant,
      backoff: delays, maxRestarts: maxRestarts
    ) { ctx in
      try await OSProcessOwner.start(id: id, process, ctx)
    }
  }
}

extension DynamicChildSpec {
  /// A template whose children are OS processes, each made from its arguments by
  /// `make` (see `ChildSpec.osProcess`; a dynamic supervisor restarts at once, with no
  /// backoff). `id` names the children in their log lines.
  public static func osProcess(
    id: String, restart: Restart = .permanent, shutdownTimeout: Duration = .seconds(5),
    _ make: @escaping @Sendable (Args) -> OSProcessSpec
  ) -> DynamicChildSpec {
    DynamicChildSpec(restart: restart, shutdown: .timeout(shutdownTimeout + OSProcessOwner.stopSlack)) { ctx, args in
      var process = make(args)
      process.shutdownTimeout = shutdownTimeout
      return try await OSProcessOwner.start(id: id, process, ctx)
    }
  }
}

extension OSProcessOwner {
  /// What the supervisor's shutdown timeout adds to the OS process's: time for SIGKILL
  /// and the reap, so the supervisor does not kill the owner while it still works.
  static let stopSlack = Duration.seconds(3)

  /// Starts an owner linked to the calling process (a supervisor) and waits for the
  /// OS process to be started. Throws `StartError.failed` with the reason otherwise.
  static func start<M>(id: String, _ spec: OSProcessSpec, _ ctx: Context<M>) async throws -> Pid {
    let path: String
    do throws(OSProcessError) {
      try OSProcessLaunch.validate(spec)
      path = try OSProcessLaunch.resolve(spec)
    } catch {
      throw StartError.failed(.custom(error.description))
    }
    let (reply, pending) = ctx.makeReply(StartOutcome.self)
    let owner = OSProcessOwner(
      id: id, spec: spec, path: path, parent: ctx.pid, handle: OSProcessHandle(childID: id), handshake: StartHandshake(reply))
    let start: SyncStartHandler<OwnerMessage, OSProcessOwner> = { state, ctx in state.begin(ctx) }
    let handler: SyncMessageHandler<OwnerMessage, OSProcessOwner> = { state, message, ctx in state.handle(message, ctx) }
    let address = ctx.spawnLink(
      OwnerMessage.self, state: owner, options: SpawnOptions(label: "os \(id)", trapExit: true), start: start, handler: handler,
      describe: { OSProcessOwner.describe($0) })
    // The owner bounds the start itself (the readiness timeout); this only guards
    // against an owner that never answers.
    var limit = Duration.seconds(30)
    if case .notify(let timeout) = spec.readiness { limit += timeout }
    let outcome: StartOutcome
    do {
      outcome = try await ctx.receiveResponse(pending, timeout: .after(limit))
    } catch CallError.timeout {
      ctx.unlink(address.pid)
      ctx.exit(address.pid, reason: .kill)
      throw StartError.failed(.custom("its owner gave no answer within \(OSExit.text(limit))"))
    } catch {
      // This process is being killed while it waits: take the owner (and its OS process) along.
      ctx.exit(address.pid, reason: .kill)
      throw error
    }
    switch outcome {
    case .started: return address.pid
    case .failed(let reason): throw StartError.failed(reason)
    }
  }
}

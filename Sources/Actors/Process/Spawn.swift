// Spawning: from outside the node (`Node.spawn`) and from a process (`Context.spawn`,
// `spawnLink`, `spawnMonitor`). Two shapes of process:
//  - handler processes: a state and a function called once per message (cheap: an idle
//    one is an object with a mailbox);
//  - body processes: an async function that runs from start to end and may `receive`
//    anywhere (convenient: it holds a Task while it waits).

/// Options for a new process.
public struct SpawnOptions: Sendable {
  /// Shown by introspection and the observer.
  public var label: String?
  /// Start with `trapExit` set.
  public var trapExit: Bool
  /// Run always on scheduler `scheduler % schedulers`, never elsewhere (nil: wherever it
  /// is woken, as usual). For a few processes that share one stream of work, so that
  /// each has a core of its own: woken by a process of another scheduler, a bound process
  /// is handed to its own; work sharing leaves it where it is. A synchronous handler
  /// process only (an async one resumes where its Task does).
  public var scheduler: Int?

  public init(label: String? = nil, trapExit: Bool = false) {
    self.label = label
    self.trapExit = trapExit
    self.scheduler = nil
  }

  /// Options for a process bound to `scheduler` (see `scheduler`).
  public init(label: String? = nil, trapExit: Bool = false, scheduler: Int) {
    self.label = label
    self.trapExit = trapExit
    self.scheduler = scheduler
  }
}

extension Node {
  /// Sets options, links and monitors of a new process, then publishes it. Links and
  /// monitors made here are in place before the child can run or die.
  @usableFromInline
  func attach(_ child: ProcessCore, parent: ProcessCore?, link: Bool, monitor: Bool, options: SpawnOptions, runnable: Bool) -> Ref? {
    child.label = ProcessLabel(options.label)
    child.trapExit = options.trapExit
    if let i = options.scheduler {
      child.home = schedulers[abs(i % schedulers.count)]
      child.bound = true
    }
    var ref: Ref?
    if let parent {
      // Spawning costs the parent a reduction, so a spawning loop that calls `yield()`
      // gives the thread up every `budget` spawns, like Erlang's preempted spawner.
      parent.slice &+= 1
      if link {
        child.links.insert(Pid(parent))
        _ = parent.lock.withLock { parent.links.insert(Pid(child)) }
      }
      if monitor {
        let r = makeRef()
        child.monitoredBy[r] = parent
        parent.lock.withLock { parent.monitors[r] = child }
        ref = r
      }
    }
    publish(child, runnable: runnable)
    return ref
  }

  /// Spawns a handler process from outside any process.
  ///
  /// - Parameters:
  ///   - type: the message type the process takes.
  ///   - state: the process state, passed `inout` to every handler call.
  ///   - options: label, trap_exit.
  ///   - start: runs before the first message, if given.
  ///   - handler: called once per message, in order.
  ///   - describe: how the state reads in the observer's process view (redact secrets).
  @inlinable @discardableResult
  public func spawn<M: Sendable, S>(
    _ type: M.Type = M.self, state: sending S, options: SpawnOptions = SpawnOptions(),
    start: StartHandler<M, S>? = nil, handler: @escaping MessageHandler<M, S>,
    describe: (@Sendable (S) -> String)? = nil
  ) -> Address<M> {
    let p = HandlerProcess<M, S>(
      node: self, parent: systemPid, home: placement(), state: state, start: start, handler: handler, describe: describe)
    _ = attach(p, parent: nil, link: false, monitor: false, options: options, runnable: start != nil)
    return Address(p)
  }

  /// Spawns a handler process whose handler never suspends, from outside any process.
  /// It runs straight on a scheduler thread: the cheapest kind of process.
  @inlinable @discardableResult
  public func spawn<M: Sendable, S>(
    _ type: M.Type = M.self, state: sending S, options: SpawnOptions = SpawnOptions(),
    start: SyncStartHandler<M, S>? = nil, handler: @escaping SyncMessageHandler<M, S>,
    describe: (@Sendable (S) -> String)? = nil
  ) -> Address<M> {
    let p = HandlerProcess<M, S>(
      node: self, parent: systemPid, home: placement(), state: state, start: start, handler: handler, describe: describe)
    _ = attach(p, parent: nil, link: false, monitor: false, options: options, runnable: start != nil)
    return Address(p)
  }

  /// Spawns a body process from outside any process. Returning ends it with `normal`,
  /// throwing ends it with the error as reason.
  @inlinable @discardableResult
  public func spawn<M: Sendable>(
    _ type: M.Type = M.self, options: SpawnOptions = SpawnOptions(),
    body: @escaping @Sendable (Context<M>) async throws -> Void
  ) -> Address<M> {
    let p = BodyProcess<M>(node: self, parent: systemPid, home: placement(), body: body)
    _ = attach(p, parent: nil, link: false, monitor: false, options: options, runnable: true)
    return Address(p)
  }
}

extension Context {
  @inlinable func spawnHandler<T: Sendable, S>(
    link: Bool, monitor: Bool, options: SpawnOptions, state: sending S,
    start: StartHandler<T, S>?, handler: @escaping MessageHandler<T, S>,
    describe: (@Sendable (S) -> String)? = nil
  ) -> (Address<T>, Ref?) {
    let node = process.node
    let p = HandlerProcess<T, S>(
      node: node, parent: pid, home: node.placement(), state: state, start: start, handler: handler, describe: describe)
    let ref = node.attach(p, parent: process, link: link, monitor: monitor, options: options, runnable: start != nil)
    return (Address(p), ref)
  }

  @inlinable func spawnSyncHandler<T: Sendable, S>(
    link: Bool, monitor: Bool, options: SpawnOptions, state: sending S,
    start: SyncStartHandler<T, S>?, handler: @escaping SyncMessageHandler<T, S>,
    describe: (@Sendable (S) -> String)? = nil
  ) -> (Address<T>, Ref?) {
    let node = process.node
    let p = HandlerProcess<T, S>(
      node: node, parent: pid, home: node.placement(), state: state, start: start, handler: handler, describe: describe)
    let ref = node.attach(p, parent: process, link: link, monitor: monitor, options: options, runnable: start != nil)
    return (Address(p), ref)
  }

  @inlinable func spawnBody<T: Sendable>(
    link: Bool, monitor: Bool, options: SpawnOptions, body: @escaping @Sendable (Context<T>) async throws -> Void
  ) -> (Address<T>, Ref?) {
    let node = process.node
    let p = BodyProcess<T>(node: node, parent: pid, home: node.placement(), body: body)
    let ref = node.attach(p, parent: process, link: link, monitor: monitor, options: options, runnable: true)
    return (Address(p), ref)
  }

  /// Spawns a handler process (see `Node.spawn`).
  @inlinable @discardableResult
  public func spawn<T: Sendable, S>(
    _ type: T.Type = T.self, state: sending S, options: SpawnOptions = SpawnOptions(),
    start: StartHandler<T, S>? = nil, handler: @escaping MessageHandler<T, S>,
    describe: (@Sendable (S) -> String)? = nil
  ) -> Address<T> {
    spawnHandler(link: false, monitor: false, options: options, state: state, start: start, handler: handler, describe: describe).0
  }

  /// Spawns a handler process linked to this one (atomically: the link exists before the
  /// child runs).
  @inlinable @discardableResult
  public func spawnLink<T: Sendable, S>(
    _ type: T.Type = T.self, state: sending S, options: SpawnOptions = SpawnOptions(),
    start: StartHandler<T, S>? = nil, handler: @escaping MessageHandler<T, S>,
    describe: (@Sendable (S) -> String)? = nil
  ) -> Address<T> {
    spawnHandler(link: true, monitor: false, options: options, state: state, start: start, handler: handler, describe: describe).0
  }

  /// Spawns a handler process and monitors it.
  @inlinable
  public func spawnMonitor<T: Sendable, S>(
    _ type: T.Type = T.self, state: sending S, options: SpawnOptions = SpawnOptions(),
    start: StartHandler<T, S>? = nil, handler: @escaping MessageHandler<T, S>,
    describe: (@Sendable (S) -> String)? = nil
  ) -> (Address<T>, Ref) {
    let (a, r) = spawnHandler(
      link: false, monitor: true, options: options, state: state, start: start, handler: handler, describe: describe)
    return (a, r!)
  }

  /// Spawns a handler process whose handler never suspends (see `Node.spawn`).
  @inlinable @discardableResult
  public func spawn<T: Sendable, S>(
    _ type: T.Type = T.self, state: sending S, options: SpawnOptions = SpawnOptions(),
    start: SyncStartHandler<T, S>? = nil, handler: @escaping SyncMessageHandler<T, S>,
    describe: (@Sendable (S) -> String)? = nil
  ) -> Address<T> {
    spawnSyncHandler(link: false, monitor: false, options: options, state: state, start: start, handler: handler, describe: describe).0
  }

  /// Spawns a synchronous handler process linked to this one.
  @inlinable @discardableResult
  public func spawnLink<T: Sendable, S>(
    _ type: T.Type = T.self, state: sending S, options: SpawnOptions = SpawnOptions(),
    start: SyncStartHandler<T, S>? = nil, handler: @escaping SyncMessageHandler<T, S>,
    describe: (@Sendable (S) -> String)? = nil
  ) -> Address<T> {
    spawnSyncHandler(link: true, monitor: false, options: options, state: state, start: start, handler: handler, describe: describe).0
  }

  /// Spawns a synchronous handler process and monitors it.
  @inlinable
  public func spawnMonitor<T: Sendable, S>(
    _ type: T.Type = T.self, state: sending S, options: SpawnOptions = SpawnOptions(),
    start: SyncStartHandler<T, S>? = nil, handler: @escaping SyncMessageHandler<T, S>,
    describe: (@Sendable (S) -> String)? = nil
  ) -> (Address<T>, Ref) {
    let (a, r) = spawnSyncHandler(
      link: false, monitor: true, options: options, state: state, start: start, handler: handler, describe: describe)
    return (a, r!)
  }

  /// Spawns a body process.
  @inlinable @discardableResult
  public func spawn<T: Sendable>(
    _ type: T.Type = T.self, options: SpawnOptions = SpawnOptions(),
    body: @escaping @Sendable (Context<T>) async throws -> Void
  ) -> Address<T> {
    spawnBody(link: false, monitor: false, options: options, body: body).0
  }

  /// Spawns a body process linked to this one.
  @inlinable @discardableResult
  public func spawnLink<T: Sendable>(
    _ type: T.Type = T.self, options: SpawnOptions = SpawnOptions(),
    body: @escaping @Sendable (Context<T>) async throws -> Void
  ) -> Address<T> {
    spawnBody(link: true, monitor: false, options: options, body: body).0
  }

  /// Spawns a body process and monitors it.
  @inlinable
  public func spawnMonitor<T: Sendable>(
    _ type: T.Type = T.self, options: SpawnOptions = SpawnOptions(),
    body: @escaping @Sendable (Context<T>) async throws -> Void
  ) -> (Address<T>, Ref) {
    let (a, r) = spawnBody(link: false, monitor: true, options: options, body: body)
    return (a, r!)
  }
}

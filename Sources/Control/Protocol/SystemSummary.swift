// The system header: what the node is doing as a whole (observer_cli's Home header).

/// One scheduler, as the header shows it.
public struct SchedulerSample: Sendable, Equatable {
  public var index: Int
  /// Processes waiting in its run queue.
  public var runQueue: Int
  /// Share of wall time spent working over the interval since this connection's
  /// previous sample (over the node's life for the first), 0...1.
  public var utilisation: Double
  public var busyNanoseconds: UInt64
  /// Process slices run since the node started.
  public var dispatches: UInt64
  public var timers: Int
  /// Sockets registered with its epoll.
  public var ioSources: Int

  public init(index: Int, runQueue: Int, utilisation: Double, busyNanoseconds: UInt64, dispatches: UInt64, timers: Int, ioSources: Int) {
    self.index = index
    self.runQueue = runQueue
    self.utilisation = utilisation
    self.busyNanoseconds = busyNanoseconds
    self.dispatches = dispatches
    self.timers = timers
    self.ioSources = ioSources
  }

  var json: JSON {
    .fields([
      "index": .number(index), "run_queue": .number(runQueue), "utilisation": .double(utilisation),
      "busy_ns": .number(busyNanoseconds), "dispatches": .number(dispatches), "timers": .number(timers),
      "io_sources": .number(ioSources),
    ])
  }

  init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "scheduler")
    self.init(
      index: try f.int("index"), runQueue: try f.int("run_queue"), utilisation: try f.double("utilisation"),
      busyNanoseconds: try f.count("busy_ns"), dispatches: try f.count("dispatches"), timers: try f.int("timers"),
      ioSources: try f.int("io_sources"))
  }
}

/// Node-wide figures (the `stats` operation).
public struct SystemSummary: Sendable, Equatable {
  public var node: String
  /// The OS process id of the node.
  public var osPid: Int
  public var uptime: Double
  public var processCount: Int
  public var processesSpawned: UInt64
  public var schedulers: [SchedulerSample]
  /// Reductions (messages handled plus receives) since the node started.
  public var reductions: UInt64
  /// Reductions per second over `interval` (over the node's life for the first sample):
  /// the node's message rate.
  public var reductionsPerSecond: Double
  /// Seconds since this connection's previous sample; nil for the first.
  public var interval: Double?
  public var residentBytes: UInt64
  public var mallocBytes: UInt64
  public var openSockets: Int
  public var registeredNames: Int
  public var fileDescriptorLimit: Int

  public init(
    node: String, osPid: Int, uptime: Double, processCount: Int, processesSpawned: UInt64, schedulers: [SchedulerSample],
    reductions: UInt64, reductionsPerSecond: Double, interval: Double?, residentBytes: UInt64, mallocBytes: UInt64,
    openSockets: Int, registeredNames: Int, fileDescriptorLimit: Int
  ) {
    self.node = node
    self.osPid = osPid
    self.uptime = uptime
    self.processCount = processCount
    self.processesSpawned = processesSpawned
    self.schedulers = schedulers
    self.reductions = reductions
    self.reductionsPerSecond = reductionsPerSecond
    self.interval = interval
    self.residentBytes = residentBytes
    self.mallocBytes = mallocBytes
    self.openSockets = openSockets
    self.registeredNames = registeredNames
    self.fileDescriptorLimit = fileDescriptorLimit
  }

  public var json: JSON {
    .fields([
      "node": .string(node), "os_pid": .number(osPid), "uptime_s": .double(uptime),
      "processes": .number(processCount), "processes_spawned": .number(processesSpawned),
      "schedulers": .array(schedulers.map(\.json)), "reductions": .number(reductions),
      "reductions_per_s": .double(reductionsPerSecond), "interval_s": interval.map(JSON.double),
      "rss_bytes": .number(residentBytes), "malloc_bytes": .number(mallocBytes), "sockets": .number(openSockets),
      "registered_names": .number(registeredNames), "fd_limit": .number(fileDescriptorLimit),
    ])
  }

  public init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "system")
    self.init(
      node: try f.string("node"), osPid: try f.int("os_pid"), uptime: try f.double("uptime_s"),
      processCount: try f.int("processes"), processesSpawned: try f.count("processes_spawned"),
      schedulers: try f.array("schedulers") { (j) throws(ControlError) in try SchedulerSample(json: j) },
      reductions: try f.count("reductions"), reductionsPerSecond: try f.double("reductions_per_s"),
      interval: try f.optionalDouble("interval_s"), residentBytes: try f.count("rss_bytes"),
      mallocBytes: try f.count("malloc_bytes"), openSockets: try f.int("sockets"),
      registeredNames: try f.int("registered_names"), fileDescriptorLimit: try f.int("fd_limit"))
  }
}

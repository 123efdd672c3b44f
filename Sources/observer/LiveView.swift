// The live view's loop: fetch what the model's plan asks for at each interval, draw the
// model's frame, feed it keys, and carry out its commands (kill, suspend, quit). The
// connection is re-made when the node goes away and comes back.
import Actors
import Control
import Glibc
import ObserverUI

struct LiveView {
  let options: ObserverOptions
  let path: String
  let terminal: Terminal
  var model: ObserverModel
  var decoder = KeyDecoder()
  var client: ControlClient?
  /// When the next fetch is due (monotonic ns).
  var nextFetch: UInt64 = 0
  /// Fetch at once, paused or not (a key asked for it, or nothing was fetched yet).
  var fetchNow = true

  init(options: ObserverOptions, path: String, terminal: Terminal) {
    self.options = options
    self.path = path
    self.terminal = terminal
    model = ObserverModel(target: path, interval: options.interval, view: options.view, sort: options.sort)
  }

  /// Runs until the user quits or a signal says to; returns the exit status.
  mutating func run() -> Int32 {
    terminal.enter()
    defer { terminal.leave() }
    resize()
    while true {
      let now = MonotonicClock.nanoseconds()
      if fetchNow || (!model.paused && now >= nextFetch) { fetch() }
      draw()
      // Sleep until the next fetch, the model's next deadline, or a lone ESC's wait.
      var wake = model.paused ? UInt64.max : nextFetch
      if let d = model.nextDeadline { wake = min(wake, d) }
      if decoder.hasPartialEscape { wake = min(wake, MonotonicClock.nanoseconds() + 50_000_000) }
      let t = MonotonicClock.nanoseconds()
      let ms = wake == UInt64.max ? -1 : wake <= t ? 0 : Int32(min(60_000, (wake - t) / 1_000_000 + 1))
      switch terminal.next(timeout: ms) {
      case .terminate(let signal):
        return signal == SIGINT ? 130 : 128 + signal
      case .resized:
        resize()
      case .bytes(let bytes):
        for key in decoder.feed(bytes) {
          if let status = perform(model.handle(key, now: MonotonicClock.nanoseconds())) { return status }
        }
      case .idle:
        let keys = decoder.flushEscape()
        for key in keys {
          if let status = perform(model.handle(key, now: MonotonicClock.nanoseconds())) { return status }
        }
        if let status = perform(model.tick(now: MonotonicClock.nanoseconds())) { return status }
      }
    }
  }

  /// Carries out a command; an exit status when the view should end.
  private mutating func perform(_ command: Command) -> Int32? {
    switch command {
    case .none:
      return nil
    case .refresh:
      fetchNow = true
    case .kill(let pid):
      do {
        try connected().kill(pid)
      } catch {
        model.failed("kill \(pid): \(error)")
      }
      // Look again at once: the supervisor's restart is what the user is waiting for.
      fetchNow = true
    case .restart(let supervisor, let child):
      do {
        try connected().restart(supervisor: supervisor, child: child)
      } catch {
        model.failed("restart \(child): \(error)")
      }
      fetchNow = true
    case .suspend:
      terminal.suspend()
      resize()
    case .quit:
      return 0
    }
    return nil
  }

  private mutating func resize() {
    let size = terminal.size
    model.width = size.width
    model.height = size.height
    terminal.write("\u{1B}[2J")
  }

  private mutating func connected() throws(ControlClientError) -> ControlClient {
    if let client { return client }
    let c = try ControlClient(path: path, timeout: options.timeout)
    client = c
    return c
  }

  /// One refresh: the snapshot the plan asks for, and the process view's process.
  private mutating func fetch() {
    let plan = model.plan
    fetchNow = false
    nextFetch = MonotonicClock.nanoseconds() + model.interval.clampedNanoseconds
    do {
      let c = try connected()
      let snapshot = try c.snapshot(
        top: plan.top, tree: plan.tree ? (options.childLimit, .seconds(1)) : nil, processes: false, sockets: false)
      var memory: MemoryBreakdown?
      if plan.memory {
        do {
          memory = try c.memory()
        } catch .remote(let e) where e.code == .unknownOp {
          model.memoryNotOffered("this node does not offer a memory breakdown (its Otter predates the memory operation)")
        }
      }
      var detail: ProcessDetail?
      if let pid = plan.process {
        do {
          detail = try c.process(pid)
        } catch .remote(let e) where e.code == .noSuchProcess {
          model.processGone(pid, now: MonotonicClock.nanoseconds())
        }
      }
      model.update(snapshot, detail: detail, memory: memory, now: MonotonicClock.nanoseconds())
      // The model wants something else now (the tree, to find a restarted process; the
      // process it found): fetch again at once rather than a whole interval later.
      if model.plan != plan { fetchNow = true }
    } catch {
      client?.close()
      client = nil
      model.failed(error.description)
    }
  }

  private mutating func draw() {
    let lines = Screen.lines(&model, now: MonotonicClock.nanoseconds())
    terminal.write(Screen.ansi(lines, width: model.width))
  }
}

// What one observer connection has seen before: the last system sample and every
// process's reductions at the last ranking, so that rates (scheduler utilisation,
// messages per second, reductions per interval) cover the observer's own refresh
// interval, as observer_cli's doubled keys do (`rr`: recon's proc_window).
import Actors
import Glibc

/// Per-connection sampling state.
struct Sampler {
  private var lastSystemAt: UInt64?
  private var lastBusy: [UInt64] = []
  private var lastReductions: UInt64 = 0
  private var lastTopAt: UInt64?
  /// Every process's reductions at the last ranking, sorted by pid.
  private var lastProcessReductions: [(id: UInt64, reductions: UInt64)] = []

  /// The system header; rates over the time since the previous call.
  mutating func system(_ node: Node) -> SystemSummary {
    let stats = node.stats()
    let now = MonotonicClock.nanoseconds()
    let interval = lastSystemAt.map { Double(now &- $0) / 1e9 }
    let span = max(interval ?? stats.uptime, 1e-6)
    var schedulers: [SchedulerSample] = []
    for (i, s) in stats.schedulers.enumerated() {
      let before = interval != nil && i < lastBusy.count ? lastBusy[i] : 0
      let busy = Double(s.busyNanoseconds &- min(before, s.busyNanoseconds)) / 1e9
      schedulers.append(
        SchedulerSample(
          index: s.index, runQueue: s.runQueueLength, utilisation: min(1, max(0, busy / span)),
          busyNanoseconds: s.busyNanoseconds, dispatches: s.dispatches, timers: s.timers, ioSources: s.ioSources))
    }
    let reductionsBefore = interval != nil ? lastReductions : 0
    let rate = Double(stats.reductions &- min(reductionsBefore, stats.reductions)) / span
    lastSystemAt = now
    lastBusy = stats.schedulers.map(\.busyNanoseconds)
    lastReductions = stats.reductions
    return SystemSummary(
      node: stats.name, osPid: Int(getpid()), uptime: stats.uptime, processCount: stats.processCount,
      processesSpawned: stats.processesSpawned, schedulers: schedulers, reductions: stats.reductions,
      reductionsPerSecond: rate, interval: interval, residentBytes: stats.residentBytes, mallocBytes: stats.mallocBytes,
      openSockets: stats.openSockets, registeredNames: stats.registeredNames, fileDescriptorLimit: stats.fileDescriptorLimit)
  }

  /// Processes ranked by `sort`, rows `offset ..< offset + limit`. Every process's
  /// reductions (and the figure sorted by) are read, nothing else; only the rows returned
  /// are looked at in full. Rates come from the previous ranking's reductions, kept
  /// sorted by pid and merged with this one's — no hashing of 100,000 pids each second.
  mutating func top(_ node: Node, sort: TopSort, limit: Int, offset: Int) -> TopPage {
    let figure: ProcessFigure
    switch sort {
    case .reductions, .reductionsRate: figure = .reductions
    case .messageQueue: figure = .messageQueueLength
    case .memory: figure = .memory
    }
    var samples = node.processSamples(figure)
    samples.sort { $0.id < $1.id }
    let now = MonotonicClock.nanoseconds()
    let interval = lastTopAt.map { Double(now &- $0) / 1e9 }
    // Reductions since the previous ranking; UInt64.max: not seen then.
    var deltas = [UInt64](repeating: .max, count: samples.count)
    var j = 0
    let previous = lastProcessReductions
    for (i, s) in samples.enumerated() {
      while j < previous.count && previous[j].id < s.id { j += 1 }
      if j < previous.count && previous[j].id == s.id {
        deltas[i] = s.reductions &- min(previous[j].reductions, s.reductions)
      }
    }
    lastProcessReductions = samples.map { (id: $0.id, reductions: $0.reductions) }
    lastTopAt = now

    func key(_ i: Int) -> UInt64 {
      sort == .reductionsRate ? (deltas[i] == .max ? samples[i].reductions : deltas[i]) : samples[i].value
    }
    // Higher key first; ties by pid, so the order is stable from refresh to refresh.
    func before(_ a: Int, _ b: Int) -> Bool {
      let ka = key(a)
      let kb = key(b)
      return ka != kb ? ka > kb : samples[a].id < samples[b].id
    }
    let wanted = min(samples.count, offset + limit)
    let ranked = Sampler.best(wanted, of: samples.count, by: before)
    var rows: [ProcessRow] = []
    for i in ranked.dropFirst(offset) {
      let s = samples[i]
      let delta = deltas[i] == .max ? nil : deltas[i]
      if let pid = node.process(s), let info = node.processSummary(pid) {
        rows.append(ProcessRow(info, delta: delta))
      } else {
        // Exited since it was counted: show what was counted.
        rows.append(
          ProcessRow(
            pid: ProcessID(s.id), status: ProcessStatus.exited.rawValue, reductions: s.reductions, reductionsDelta: delta,
            messageQueueLength: figure == .messageQueueLength ? Int(s.value) : 0, memory: figure == .memory ? Int(s.value) : 0))
      }
    }
    return TopPage(sort: sort, total: samples.count, offset: offset, interval: interval, rows: rows)
  }

  /// The indices of the `k` first of `n` items in the order `before`, in that order:
  /// insertion into a short sorted list for small `k`, a full sort otherwise.
  static func best(_ k: Int, of n: Int, by before: (Int, Int) -> Bool) -> [Int] {
    guard k > 0 else { return [] }
    if k > 512 { return Array((0..<n).sorted(by: before).prefix(k)) }
    var out: [Int] = []
    out.reserveCapacity(k + 1)
    for i in 0..<n {
      if out.count == k, let last = out.last, !before(i, last) { continue }
      var lo = 0
      var hi = out.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if before(out[mid], i) { lo = mid + 1 } else { hi = mid }
      }
      out.insert(i, at: lo)
      if out.count > k { out.removeLast() }
    }
    return out
  }
}

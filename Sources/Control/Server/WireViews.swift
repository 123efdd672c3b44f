// The node's own introspection types (Actors, Supervision) as the wire shows them.
import Actors
import Supervision

extension ProcessID {
  init(_ pid: Pid) { self.init(pid.id) }
}

extension ProcessRow {
  init(_ s: ProcessSnapshot, delta: UInt64? = nil) {
    self.init(
      pid: ProcessID(s.pid), name: s.registeredName, label: s.label, status: s.status.rawValue, reductions: s.reductions,
      reductionsDelta: delta, messageQueueLength: s.messageQueueLength, memory: s.memory, kind: s.kind,
      messageType: s.messageType, io: ProcessRow.io(s.io))
  }

  /// A process's traffic as the wire carries it: absent when it owns no socket.
  static func io(_ t: ProcessIO) -> (bytesIn: UInt64, bytesOut: UInt64)? {
    t.sockets == 0 ? nil : (t.bytesIn, t.bytesOut)
  }
}

extension ProcessRow {
  init(_ s: ProcessSummary, delta: UInt64? = nil) {
    let c = s.counters
    self.init(
      pid: ProcessID(c.pid), name: s.registeredName, label: s.label, status: c.status.rawValue, reductions: c.reductions,
      reductionsDelta: delta, messageQueueLength: c.messageQueueLength, memory: c.memory, kind: s.kind,
      messageType: s.messageType, io: ProcessRow.io(s.io))
  }
}

extension ProcessDetail {
  init(_ s: ProcessSnapshot) {
    self.init(
      row: ProcessRow(s), parent: s.parent.map(ProcessID.init), links: s.links.map(ProcessID.init),
      monitors: s.monitors.map(ProcessID.init), monitoredBy: s.monitoredBy.map(ProcessID.init), trapExit: s.trapExit,
      age: s.age, socketCount: s.sockets,
      memoryParts: MemoryParts(
        object: s.memoryParts.object, state: s.memoryParts.state, mailbox: s.memoryParts.mailbox, tables: s.memoryParts.tables))
  }
}

extension MessageRow {
  init(_ m: QueuedMessage) { self.init(type: m.type, summary: m.summary) }
}

extension SocketRow {
  init(_ i: SocketInfo) {
    self.init(
      id: i.id, kind: i.kind, local: i.local, peer: i.peer, owner: ProcessID(i.owner), bytesIn: i.bytesIn,
      bytesOut: i.bytesOut, queued: i.queued, dropped: i.dropped, open: i.open)
  }
}

extension RestartEvent {
  init(_ r: RestartRecord, now: UInt64) {
    self.init(
      child: r.child, reason: r.reason, ago: Double(now &- r.at) / 1e9, gaveUp: r.gaveUp, replacement: r.replacement.map(ProcessID.init))
  }
}

extension OSChildRow {
  init(_ s: OSProcessStatus) {
    self.init(
      osPid: s.osPid, cpuPercent: s.cpuPercent, residentBytes: s.residentBytes,
      uptime: Double(s.uptime.components.seconds) + Double(s.uptime.components.attoseconds) / 1e18, ready: s.ready,
      status: s.statusText)
  }
}

extension SupervisorSummary {
  init(_ r: SupervisorReport) {
    self.init(
      strategy: r.strategy, intensity: r.intensity, period: r.period, restartsInPeriod: r.restartsInPeriod,
      budgetLeft: r.budgetLeft, totalRestarts: r.totalRestarts, specs: r.counts.specs, active: r.counts.active,
      supervisors: r.counts.supervisors, workers: r.counts.workers, autoShutdown: r.autoShutdown,
      recentRestarts: r.recentRestarts.map { RestartEvent($0, now: r.now) })
  }
}

extension MemoryBreakdown {
  init(_ m: NodeMemory) {
    self.init(
      residentTotal: m.resident.total, residentFiles: m.resident.files, residentAnonymous: m.resident.anonymous,
      residentShared: m.resident.shared, mainStack: m.mainStack, threads: m.threads,
      schedulerStacksReserved: m.schedulerStacksReserved, schedulerStacksResident: m.schedulerStacksResident,
      mallocHeap: m.allocator.heap, mallocInUse: m.allocator.inUse, mallocFree: m.allocator.free,
      parts: m.parts.map { Part(name: $0.name, bytes: $0.bytes, count: $0.count, counted: $0.counted) },
      unattributed: m.unattributed, otherAnonymous: m.otherAnonymous,
      processTypes: m.processTypes.map { ProcessType(type: $0.type, count: $0.count, bytes: $0.bytes) })
  }
}

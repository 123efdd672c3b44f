// A node's own figures as metric families, for any Otter application to serve: its
// processes, schedulers, memory, sockets, and the restarts of its supervisors. Read from
// what the node already exposes — `Node.stats()` (atomics), `Node.socketTotals()`,
// supervisor reports — so a scrape stops no scheduler and waits for no busy process. The
// application adds its own families and writes them all with `PrometheusText`:
//
//     var families = await NodeMetrics.collect(node, caller: ctx.pid)
//     families += myAppFamilies()
//     let body = PrometheusText.render(families)
//
// Nothing here keeps state between scrapes: rates (scheduler utilisation, messages per
// second) are the scraper's `rate()` over the counters.
import Actors
import COtterSys
import Glibc

/// The runtime part of an Otter application's metrics.
public enum NodeMetrics {
  /// The node's figures and its supervisors' restarts (`families(of:)` and
  /// `supervisorFamilies(of:root:caller:timeout:)`).
  public static func collect(_ node: Node, root: TreeRoot = .automatic, caller: Pid? = nil, timeout: Duration = .seconds(2)) async
    -> [MetricFamily]
  {
    families(of: node) + (await supervisorFamilies(of: node, root: root, caller: caller, timeout: timeout))
  }

  /// The node's figures, read at once without asking any process: processes,
  /// reductions, schedulers, memory, sockets, and the OS process's CPU time and
  /// descriptors (under Prometheus's standard `process_` names).
  public static func families(of node: Node) -> [MetricFamily] {
    let stats = node.stats()
    let sockets = node.socketTotals()
    func perScheduler(_ value: (SchedulerStats) -> Double) -> [MetricSample] {
      stats.schedulers.map { MetricSample(value($0), labels: [("scheduler", String($0.index))]) }
    }
    var cpu = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu)
    let openDescriptors = otter_open_descriptors()
    var families: [MetricFamily] = [
      MetricFamily("otter_uptime_seconds", .gauge, help: "Seconds since the node started.", value: stats.uptime),
      MetricFamily("otter_processes", .gauge, help: "Live processes.", value: stats.processCount),
      MetricFamily(
        "otter_processes_spawned_total", .counter, help: "Processes spawned since the node started.", value: stats.processesSpawned),
      MetricFamily("otter_registered_names", .gauge, help: "Names registered to processes.", value: stats.registeredNames),
      MetricFamily(
        "otter_reductions_total", .counter,
        help: "Messages handled plus receives done by every process, exited ones included (its rate is the node's message rate).",
        value: stats.reductions),
      MetricFamily("otter_schedulers", .gauge, help: "Scheduler threads.", value: stats.schedulers.count),
      MetricFamily(
        "otter_scheduler_run_queue_length", .gauge, help: "Processes waiting in the scheduler's run queue.",
        samples: perScheduler { Double($0.runQueueLength) }),
      MetricFamily(
        "otter_scheduler_busy_seconds_total", .counter,
        help: "Seconds the scheduler spent working rather than waiting for events; its rate is the scheduler's utilisation (0 to 1).",
        samples: perScheduler { Double($0.busyNanoseconds) / 1e9 }),
      MetricFamily(
        "otter_scheduler_slices_total", .counter, help: "Process slices the scheduler ran.",
        samples: perScheduler { Double($0.dispatches) }),
      MetricFamily(
        "otter_scheduler_timers", .gauge, help: "Timers pending on the scheduler's timing wheel.",
        samples: perScheduler { Double($0.timers) }),
      MetricFamily(
        "otter_scheduler_sockets", .gauge, help: "Sockets registered with the scheduler's epoll.",
        samples: perScheduler { Double($0.ioSources) }),
      MetricFamily(
        "otter_sockets", .gauge, help: "Open sockets, by kind.",
        samples: [
          MetricSample(sockets.tcp, labels: [("kind", "tcp")]), MetricSample(sockets.unix, labels: [("kind", "unix")]),
          MetricSample(sockets.tcpListeners, labels: [("kind", "tcp_listener")]),
          MetricSample(sockets.unixListeners, labels: [("kind", "unix_listener")]),
        ]),
      MetricFamily(
        "otter_socket_received_bytes_total", .counter, help: "Bytes read from the node's sockets, closed ones included.",
        value: sockets.bytesReceived),
      MetricFamily(
        "otter_socket_sent_bytes_total", .counter, help: "Bytes written to the node's sockets, closed ones included.",
        value: sockets.bytesSent),
      MetricFamily(
        "otter_socket_queued_bytes", .gauge, help: "Bytes waiting in the open sockets' write queues for the kernel to take them.",
        value: sockets.queuedBytes),
      MetricFamily(
        "otter_malloc_in_use_bytes", .gauge, help: "Bytes the C allocator has handed out and not had back (mallinfo2).",
        value: stats.mallocBytes),
      MetricFamily(
        "process_resident_memory_bytes", .gauge, help: "Resident set size of the OS process (/proc/self/statm).",
        value: stats.residentBytes),
      MetricFamily(
        "process_cpu_seconds_total", .counter, help: "CPU time of the OS process, user and system.",
        value: Double(cpu.tv_sec) + Double(cpu.tv_nsec) / 1e9),
      MetricFamily("process_max_fds", .gauge, help: "The OS process's open-file limit.", value: stats.fileDescriptorLimit),
    ]
    if openDescriptors >= 0 {
      families.append(MetricFamily("process_open_fds", .gauge, help: "File descriptors the OS process has open.", value: openDescriptors))
    }
    return families
  }

  /// Every supervisor's restarts since it started, and its children, in the tree from
  /// `root` (`.automatic`: the topmost supervisor above `caller`, else every top-level
  /// supervisor), each labelled with its path of child ids (`chatd/rooms/room-supervisor`).
  /// The supervisors are asked concurrently, level by level, all within `timeout`; one
  /// that does not answer in time is left out of this scrape rather than holding it up.
  public static func supervisorFamilies(of node: Node, root: TreeRoot = .automatic, caller: Pid? = nil, timeout: Duration = .seconds(2))
    async -> [MetricFamily]
  {
    let reports = await SupervisorSurvey(node: node, timeout: timeout).run(roots: SupervisorSurvey.roots(root, caller: caller, node: node))
    return [
      MetricFamily(
        "otter_supervisor_restarts_total", .counter,
        help: "Children the supervisor restarted since it started (a restarted supervisor counts from 0 again).",
        samples: reports.map { MetricSample($0.report.totalRestarts, labels: [("supervisor", $0.path)]) }),
      MetricFamily(
        "otter_supervisor_children", .gauge, help: "The supervisor's running children.",
        samples: reports.map { MetricSample($0.report.counts.active, labels: [("supervisor", $0.path)]) }),
    ]
  }
}

// chatd's memory trimmer: once a burst of load is over, it gives the memory the burst
// freed back to the kernel. A connection's own buffers are given back as soon as it goes
// idle (its lines, write queue and mailbox), but the allocator keeps what they freed,
// and a mass disconnect's QUIT copies, the history written, the sockets of clients gone,
// in its arenas: chatd's RSS stayed at its peak after the load ended (docs/MEMORY.md).
// Each tick the trimmer samples the node's activity and the allocator's free bytes, and
// `MemoryTrimPolicy` (Actors/MemoryTrimming.swift) says when to trim: after a whole
// quiet tick that follows activity, never while clients are busy. Writer: this process
// alone (its policy and counts).
import Actors
import COtterSys
import GenServer
import Supervision

struct MemoryTrimmer: SyncGenServer {
  /// How often the activity is sampled.
  let interval: Duration

  struct State {
    var policy = MemoryTrimPolicy()
    /// Trims made, and those that released memory.
    var trims = 0
    var released = 0
    /// The longest trim, in microseconds: malloc_trim holds each arena's lock while it
    /// walks it, so this is how long an allocation may have waited.
    var longestMicros: UInt64 = 0
  }

  static func childSpec(interval: Duration) -> ChildSpec {
    .server(id: "memory-trimmer", MemoryTrimmer(interval: interval), name: ChatServices.memoryTrimmerName)
  }

  /// The sampling timer's message. A timer, not the server's idle timeout: any message
  /// (the observer asking for the state) would push a timeout back.
  enum Info: Sendable { case sample }

  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> {
    var state = State()
    _ = state.policy.sample(activity: ctx.node.activity, freeBytes: MallocHeap.freeBytes)
    ctx.sendAfter(interval, to: ctx.address, .info(.sample))
    return .ok(state)
  }

  func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    guard case .message(.sample) = message else { return .noreply() }
    if state.policy.sample(activity: ctx.node.activity, freeBytes: MallocHeap.freeBytes) {
      let rss = otter_rss_bytes()
      let start = MonotonicClock.nanoseconds()
      let released = MallocHeap.trim()
      let micros = (MonotonicClock.nanoseconds() &- start) / 1000
      state.trims += 1
      if released { state.released += 1 }
      state.longestMicros = max(state.longestMicros, micros)
      state.policy.trimmed(freeBytes: MallocHeap.freeBytes)
      let after = otter_rss_bytes()
      ctx.node.logger.debug(
        "memory trimmed: RSS \(rss / 1024) → \(after / 1024) KB in \(micros) µs",
        metadata: ["rss_before_kb": .string("\(rss / 1024)"), "rss_after_kb": .string("\(after / 1024)"), "micros": .string("\(micros)")])
    }
    ctx.sendAfter(interval, to: ctx.address, .info(.sample))
    return .noreply()
  }

  func formatStatus(_ state: State) -> String {
    "every \(interval): trims \(state.trims), released memory \(state.released), longest \(state.longestMicros) µs"
  }
}

// The judge of a chaos run: from what the sessions recorded and the kills made, counts
// what went wrong. Pure — no server, no clock — so each rule is tested on hand-made logs
// (Tests/ChatBenchTests/ChaosCheckerTests.swift).
//
// The rules, all on chatbench's one monotonic clock:
//   - A member M of channel C is owed message m (sent to C by another session, and
//     acknowledged by its echo) when m was written after M's own JOIN came back, and
//     acknowledged before M's connection ended (before its kill, when it was killed,
//     less `endGuard`: a kill may reset the connection, and bytes in flight with it).
//     The room had M then, so it must have written m to M. Owed and never received:
//     lost. Messages at the edges are owed to nobody, but are still counted if copied
//     twice.
//   - Any second copy of a message (or of its echo) at one session: duplicated.
//   - A first copy that arrives after a later message of the same sender in the same
//     channel: reordered (a sender's lines are handled in order; so are a room's).
//   - When a connection is killed, each session that shared a channel with it (both
//     joined before the kill) and stayed connected `quitGrace` longer must see it leave
//     (QUIT, or PART/KICK): else a QUIT was missed.
//   - A session the server closed without a kill of it: an unexpected disconnect; one
//     that never registered: a failed session.
//   - At the end each channel's NAMES must list exactly its connected members; a
//     refusal or no answer means the channel no longer answers. A message sent by a
//     session still connected at the end and never acknowledged is unanswered.
//   - The server's descriptors and threads must be back to their counts before the load.

/// Descriptors and threads of the server process.
struct ResourceCounts: Sendable, Equatable {
  var descriptors: Int
  var threads: Int
}

/// Everything the checker looks at.
struct ChaosEvidence: Sendable {
  var sessions: [SessionLog]
  var kills: [KillRecord]
  var names: [NamesAnswer] = []
  /// Kill ticks that found no target within the restart budgets.
  var killsSkipped = 0
  /// The server before the load, and after it ended and every client left.
  var before: ResourceCounts?
  var after: ResourceCounts?
  /// Rolling reloads of a master's workers made during the run (nil: none asked).
  var reloads: [ChaosReloader.Record]?
  /// The connections of the connect loop (nil: none).
  var arrivals: ConnectLoop.Counts?
}

/// What the checker found.
struct ChaosVerdict: Sendable, Equatable {
  var killsByKind: [String: Int] = [:]
  var kills = 0
  var killsSkipped = 0
  var sessions = 0
  /// Sessions beyond the first of each client: reconnections.
  var reconnects = 0
  var sent = 0
  var acked = 0
  var expectedCopies = 0
  var deliveredCopies = 0
  var lost = 0
  var duplicated = 0
  var reordered = 0
  var quitsExpected = 0
  var quitsMissed = 0
  /// Killed connections whose QUIT someone missed, by the kind of kill.
  var quitsMissedVictims: [String: Int] = [:]
  var unexpectedDisconnects = 0
  var failedSessions = 0
  var refusals = 0
  var ghosts = 0
  var missingMembers = 0
  var channelsNotAnswering = 0
  var unanswered = 0
  var before: ResourceCounts?
  var after: ResourceCounts?
  /// Reloads made, and those that did not replace every worker.
  var reloads: Int?
  var reloadsFailed = 0
  /// Sessions moved to new workers by the reloads, and told to reconnect instead.
  var sessionsMoved = 0
  var sessionsToldToReconnect = 0
  /// The longest any slot took, from its new worker's start to its old one's end (ms).
  var longestSlotMs = 0
  var arrivals: ConnectLoop.Counts?
  /// A few instances of each problem, for the log.
  var examples: [String] = []

  /// The checks that failed, by name (empty: the run passed).
  func failures(threadSlack: Int = 0) -> [String] {
    var out: [String] = []
    if acked == 0 { out.append("acked") }
    if lost > 0 { out.append("lost") }
    if duplicated > 0 { out.append("duplicated") }
    if reordered > 0 { out.append("reordered") }
    if quitsMissed > 0 { out.append("quits") }
    if unexpectedDisconnects + failedSessions > 0 { out.append("disconnects") }
    if refusals > 0 { out.append("refusals") }
    if ghosts + missingMembers + channelsNotAnswering > 0 { out.append("names") }
    if unanswered > 0 { out.append("unanswered") }
    if reloadsFailed > 0 { out.append("reloads") }
    if let a = arrivals, a.failed > 0 { out.append("arrivals") }
    if let b = before, let a = after {
      if a.descriptors > b.descriptors { out.append("descriptors") }
      if a.threads > b.threads + threadSlack { out.append("threads") }
    }
    return out
  }
}

struct ChaosChecker {
  /// How long after a kill its QUIT may take to reach everyone (µs).
  var quitGrace: UInt64 = 2_000_000
  /// Messages acknowledged this close to the end of a killed or dropped connection are
  /// not owed to it (µs).
  var endGuard: UInt64 = 500_000
  /// Most examples kept per kind of problem.
  var examplesPerKind = 5

  func check(_ e: ChaosEvidence, nickPrefix: String) -> ChaosVerdict {
    var v = ChaosVerdict()
    v.before = e.before
    v.after = e.after
    if let reloads = e.reloads {
      v.reloads = reloads.count
      v.reloadsFailed = reloads.filter(\.failed).count
      v.sessionsMoved = reloads.reduce(0) { $0 + $1.moved }
      v.sessionsToldToReconnect = reloads.reduce(0) { $0 + $1.toldToReconnect }
      v.longestSlotMs = reloads.map(\.longestSlotMs).max() ?? 0
    }
    v.arrivals = e.arrivals
    v.killsSkipped = e.killsSkipped
    v.kills = e.kills.count
    for k in e.kills { v.killsByKind[k.kind, default: 0] += 1 }
    v.sessions = e.sessions.count
    v.reconnects = e.sessions.count - Set(e.sessions.map(\.key.slot)).count
    var examples: [String: Int] = [:]
    func example(_ kind: String, _ text: @autoclosure () -> String) {
      let n = examples[kind, default: 0]
      guard n < examplesPerKind else { return }
      examples[kind] = n + 1
      v.examples.append("\(kind): \(text())")
    }

    var killedAt: [SessionKey: UInt64] = [:]
    var killedBy: [SessionKey: String] = [:]
    for k in e.kills {
      guard let s = k.session, k.at < killedAt[s] ?? .max else { continue }
      killedAt[s] = k.at
      killedBy[s] = k.kind
    }
    /// The end of a session's membership, and the end of what it is owed.
    func ended(_ s: SessionLog) -> UInt64 { min(s.endedAt, killedAt[s.key] ?? .max) }
    func owedUntil(_ s: SessionLog) -> UInt64 {
      let end = ended(s)
      let cut = killedAt[s.key] != nil || { if case .closedByServer = s.end { return true } else { return false } }()
      return cut ? (end > endGuard ? end - endGuard : 0) : end
    }

    // Acknowledged messages, by channel.
    struct Acked {
      var key: MessageKey
      var sentAt: UInt64
      var ackedAt: UInt64
    }
    var acked: [Int: [Acked]] = [:]
    for s in e.sessions {
      v.sent += s.sent.count
      var sentBySeq: [Int: SessionLog.Sent] = [:]
      for m in s.sent { sentBySeq[m.seq] = m }
      var seen: Set<Int> = []
      for a in s.acks {
        guard seen.insert(a.seq).inserted else {
          v.duplicated += 1
          example("duplicated", "\(s.key) got the echo of its message \(a.seq) twice")
          continue
        }
        guard let m = sentBySeq[a.seq], m.channel == a.channel else { continue }
        v.acked += 1
        acked[a.channel, default: []].append(Acked(key: MessageKey(sender: s.key, seq: a.seq), sentAt: m.at, ackedAt: a.at))
      }
      if s.end == .open {
        let unanswered = s.sent.filter { !seen.contains($0.seq) }
        v.unanswered += unanswered.count
        for m in unanswered { example("unanswered", "\(s.key)'s message \(m.seq) to channel \(m.channel) was never acknowledged") }
      }
    }

    // Copies each session received: duplicates, order, and what it was owed.
    for s in e.sessions {
      var copies: [Int: [MessageKey: Int]] = [:]
      var newest: [Int: [SessionKey: Int]] = [:]
      for r in s.receipts {
        let key = MessageKey(sender: r.from, seq: r.seq)
        let n = copies[r.channel, default: [:]][key, default: 0] + 1
        copies[r.channel, default: [:]][key] = n
        if n > 1 {
          v.duplicated += 1
          example("duplicated", "\(s.key) got \(r.from)'s message \(r.seq) in channel \(r.channel) \(n) times")
          continue
        }
        let last = newest[r.channel, default: [:]][r.from] ?? -1
        if r.seq < last {
          v.reordered += 1
          example("reordered", "\(s.key) got \(r.from)'s message \(r.seq) after \(last) in channel \(r.channel)")
        } else {
          newest[r.channel, default: [:]][r.from] = r.seq
        }
      }
      let until = owedUntil(s)
      for join in s.joins {
        for m in acked[join.channel] ?? [] where m.key.sender != s.key && m.sentAt >= join.at && m.ackedAt <= until {
          v.expectedCopies += 1
          if (copies[join.channel]?[m.key] ?? 0) > 0 {
            v.deliveredCopies += 1
          } else {
            v.lost += 1
            example("lost", "\(s.key) never got \(m.key.sender)'s message \(m.key.seq) in channel \(join.channel)")
          }
        }
      }
    }

    // QUITs of killed connections.
    let byKey = Dictionary(e.sessions.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
    for (victim, at) in killedAt.sorted(by: { $0.key < $1.key }) {
      guard let x = byKey[victim] else { continue }
      let channels = Set(x.joins.filter { $0.at < at }.map(\.channel))
      guard !channels.isEmpty else { continue }
      var missedHere = false
      defer { if missedHere { v.quitsMissedVictims[killedBy[victim] ?? "?", default: 0] += 1 } }
      for y in e.sessions where y.key != victim {
        let shared = y.joins.filter { channels.contains($0.channel) && $0.at < at }.map(\.channel)
        guard !shared.isEmpty, ended(y) >= at &+ quitGrace else { continue }
        v.quitsExpected += 1
        if !y.leaves.contains(where: { $0.who == victim }) {
          v.quitsMissed += 1
          missedHere = true
          example("quit missed", "\(y.key) never saw \(victim) leave (its connection killed; channels shared: \(shared.sorted()))")
        }
      }
    }

    // Disconnections.
    for s in e.sessions {
      switch s.end {
      case .closedByServer(let why) where killedAt[s.key] == nil:
        v.unexpectedDisconnects += 1
        example("disconnected", "\(s.key) was disconnected without a kill: \(why)")
      case .failed(let why):
        v.failedSessions += 1
        example("failed", "\(s.key) never registered: \(why)")
      default:
        break
      }
      v.refusals += s.refusals.count
      for r in s.refusals { example("refused", "\(s.key) got \(r.code) for channel \(r.channel)") }
    }

    // NAMES at the end against who is connected and joined.
    for answer in e.names {
      guard answer.refused == nil, let nicks = answer.nicks else {
        v.channelsNotAnswering += 1
        example("names", "channel \(answer.channel) did not answer NAMES\(answer.refused.map { " (\($0))" } ?? " (no 366)")")
        continue
      }
      let members = Set(e.sessions.filter { $0.end == .open && $0.joinedAt(answer.channel) != nil }.map { $0.key.nick(prefix: nickPrefix) })
      let ghosts = nicks.subtracting(members)
      let missing = members.subtracting(nicks)
      v.ghosts += ghosts.count
      v.missingMembers += missing.count
      if !ghosts.isEmpty { example("names", "channel \(answer.channel) lists \(ghosts.sorted()) who are gone") }
      if !missing.isEmpty { example("names", "channel \(answer.channel) does not list its members \(missing.sorted())") }
    }
    return v
  }
}

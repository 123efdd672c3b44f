// The figures of a chaos run in chatbench's two forms: a table (figure, unit, value,
// goal, check) and `--json`, one object per line `{"bench":"chaos.lost","value":0,...}`,
// then one object with the verdict.

/// One figure of a chaos run and, when it is a check, whether it passed.
struct ChaosFigure: Equatable {
  var key: String
  var label: String
  var unit: String
  var value: Double
  var goal: String?
  /// nil: information only.
  var ok: Bool?
}

enum ChaosReport {
  /// Every figure of `v`, in table order. A check's rows are marked one by one (the
  /// `names` check is three rows, of which one may fail); together they fail exactly
  /// the checks of `v.failures`.
  static func figures(_ v: ChaosVerdict, threadSlack: Int = 0) -> [ChaosFigure] {
    func none(_ n: Int) -> Bool { n == 0 }
    var out: [ChaosFigure] = [ChaosFigure(key: "kills", label: "kills", unit: "kills", value: Double(v.kills))]
    for (kind, n) in v.killsByKind.sorted(by: { $0.key < $1.key }) {
      out.append(ChaosFigure(key: "kills_\(kind)", label: "kills of \(kind)", unit: "kills", value: Double(n)))
    }
    out += [
      ChaosFigure(key: "kills_skipped", label: "kill ticks with no target in budget", unit: "ticks", value: Double(v.killsSkipped)),
      ChaosFigure(key: "reconnects", label: "reconnections", unit: "sessions", value: Double(v.reconnects)),
      ChaosFigure(key: "sent", label: "messages sent", unit: "msgs", value: Double(v.sent)),
      ChaosFigure(key: "acked", label: "messages acknowledged", unit: "msgs", value: Double(v.acked), goal: "> 0", ok: v.acked > 0),
      ChaosFigure(key: "owed_copies", label: "copies owed to members", unit: "copies", value: Double(v.expectedCopies)),
      ChaosFigure(key: "lost", label: "lost copies", unit: "copies", value: Double(v.lost), goal: "0", ok: none(v.lost)),
      ChaosFigure(
        key: "duplicated", label: "duplicated copies", unit: "copies", value: Double(v.duplicated), goal: "0", ok: none(v.duplicated)),
      ChaosFigure(
        key: "reordered", label: "reordered copies", unit: "copies", value: Double(v.reordered), goal: "0", ok: none(v.reordered)),
      ChaosFigure(key: "quits_owed", label: "QUITs owed (killed connection × member)", unit: "quits", value: Double(v.quitsExpected)),
      ChaosFigure(
        key: "quits_missed", label: "QUITs missed", unit: "quits", value: Double(v.quitsMissed), goal: "0", ok: none(v.quitsMissed)),
    ]
    for (kind, n) in v.quitsMissedVictims.sorted(by: { $0.key < $1.key }) {
      out.append(ChaosFigure(key: "quits_missed_victims_\(kind)", label: "killed by \(kind), QUIT missed", unit: "conns", value: Double(n)))
    }
    out += [
      ChaosFigure(
        key: "unexpected_disconnects", label: "disconnected without a kill", unit: "sessions", value: Double(v.unexpectedDisconnects),
        goal: "0", ok: none(v.unexpectedDisconnects)),
      ChaosFigure(
        key: "failed_sessions", label: "sessions that never registered", unit: "sessions", value: Double(v.failedSessions), goal: "0",
        ok: none(v.failedSessions)),
      ChaosFigure(
        key: "refusals", label: "refusals for a joined channel (403...)", unit: "replies", value: Double(v.refusals), goal: "0",
        ok: none(v.refusals)),
      ChaosFigure(
        key: "names_ghosts", label: "NAMES: gone nicks listed", unit: "nicks", value: Double(v.ghosts), goal: "0", ok: none(v.ghosts)),
      ChaosFigure(
        key: "names_missing", label: "NAMES: members missing", unit: "nicks", value: Double(v.missingMembers), goal: "0",
        ok: none(v.missingMembers)),
      ChaosFigure(
        key: "channels_not_answering", label: "channels not answering NAMES", unit: "channels", value: Double(v.channelsNotAnswering),
        goal: "0", ok: none(v.channelsNotAnswering)),
      ChaosFigure(
        key: "unanswered", label: "messages never acknowledged", unit: "msgs", value: Double(v.unanswered), goal: "0",
        ok: none(v.unanswered)),
    ]
    if let n = v.reloads {
      out += [
        ChaosFigure(key: "reloads", label: "rolling reloads", unit: "reloads", value: Double(n)),
        ChaosFigure(
          key: "reloads_failed", label: "reloads that left a worker unreplaced", unit: "reloads", value: Double(v.reloadsFailed),
          goal: "0", ok: v.reloadsFailed == 0),
        ChaosFigure(key: "sessions_moved", label: "sessions moved to a new worker", unit: "sessions", value: Double(v.sessionsMoved)),
        ChaosFigure(
          key: "sessions_told_to_reconnect", label: "sessions told to reconnect", unit: "sessions", value: Double(v.sessionsToldToReconnect)
        ),
        ChaosFigure(key: "slot_ms_max", label: "longest worker replacement", unit: "ms", value: Double(v.longestSlotMs)),
      ]
    }
    if let a = v.arrivals {
      out += [
        ChaosFigure(key: "arrivals_ok", label: "new connections welcomed", unit: "conns", value: Double(a.ok), goal: "> 0", ok: a.ok > 0),
        ChaosFigure(
          key: "arrivals_refused", label: "new connections refused", unit: "conns", value: Double(a.refused), goal: "0", ok: a.refused == 0),
        ChaosFigure(
          key: "arrivals_reset", label: "new connections reset or closed", unit: "conns", value: Double(a.reset), goal: "0",
          ok: a.reset == 0),
        ChaosFigure(
          key: "arrivals_timed_out", label: "new connections not welcomed in 5 s", unit: "conns", value: Double(a.timedOut), goal: "0",
          ok: a.timedOut == 0),
      ]
    }
    if let b = v.before, let a = v.after {
      out += [
        ChaosFigure(key: "fds_before", label: "server descriptors before", unit: "fds", value: Double(b.descriptors)),
        ChaosFigure(
          key: "fds_after", label: "server descriptors after", unit: "fds", value: Double(a.descriptors), goal: "≤ \(b.descriptors)",
          ok: a.descriptors <= b.descriptors),
        ChaosFigure(key: "threads_before", label: "server threads before", unit: "threads", value: Double(b.threads)),
        ChaosFigure(
          key: "threads_after", label: "server threads after", unit: "threads", value: Double(a.threads),
          goal: "≤ \(b.threads + threadSlack)", ok: a.threads <= b.threads + threadSlack),
      ]
    }
    return out
  }

  static func table(_ figures: [ChaosFigure], heading: String, server: String, failed: [String]) -> String {
    var rows: [[String]] = [["figure", "unit", server, "goal", "check"]]
    for f in figures {
      rows.append([f.label, f.unit, Report.format(f.value), f.goal ?? "", f.ok.map { $0 ? "ok" : "FAIL" } ?? ""])
    }
    let verdict = failed.isEmpty ? "every check passed" : "FAILED: \(failed.joined(separator: ", "))"
    return heading + "\n" + Report.aligned(rows) + "  chaos: \(verdict)\n\n"
  }

  static func json(_ figures: [ChaosFigure], server: String, seed: UInt64, failed: [String]) -> [String] {
    var lines: [String] = []
    for f in figures {
      var obj: [String: Any] = [
        "bench": "chaos.\(f.key)", "scenario": "chaos", "server": server, "transport": "irc",
        "value": f.value, "unit": f.unit, "label": f.label.trimmingCharacters(in: .whitespaces),
      ]
      if let g = f.goal { obj["goal"] = g }
      if let ok = f.ok { obj["ok"] = ok }
      lines.append(Report.encode(obj))
    }
    lines.append(
      Report.encode([
        "bench": "chaos.checks_failed", "scenario": "chaos", "server": server, "transport": "irc",
        "value": failed.count, "unit": "checks", "failed": failed, "seed": String(seed), "ok": failed.isEmpty,
      ]))
    return lines
  }
}

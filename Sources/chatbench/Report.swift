// The figures of each run, and the two output forms: a table per scenario (one column
// per server or network, then the ratios: the first single server over each other one,
// the first network over each other network and over its own kind of single server) and
// `--json`, one object per line `{"bench":..., "value":..., "unit":..., ...}` as
// otter-bench prints them.
import Foundation

/// A figure chatbench reports.
struct Figure: Sendable, Equatable {
  /// Stable name: the JSON `bench` is "<scenario>.<key>".
  var key: String
  var label: String
  var unit: String
  var goal: String?
}

/// What one scenario on one server gave.
struct Measurement: Sendable {
  enum Outcome: Sendable {
    case chat(ChatResult)
    case idle(IdleResult)
    /// Not run (not installed, did not start).
    case skipped(String)
    /// The run itself failed.
    case failed(String)
  }

  var scenario: Scenario
  var server: String
  var transport = ChatTransport.irc
  var outcome: Outcome
  /// How many servers clients were spread over (more than one: a network).
  var servers = 1
  /// For a network, the single server it is made of ("chatd" for chatd-net), compared
  /// with it when both ran.
  var single: String?

  init(
    scenario: Scenario, server: String, transport: ChatTransport = .irc, outcome: Outcome, servers: Int = 1, single: String? = nil
  ) {
    self.scenario = scenario
    self.server = server
    self.transport = transport
    self.outcome = outcome
    self.servers = servers
    self.single = single
  }

  /// Whether clients were spread over linked servers.
  var isNetwork: Bool { servers > 1 }

  /// Its column in the table: the server, with " ws" over WebSocket.
  var column: String { server + transport.columnSuffix }

  /// Why there are no figures, if there are none.
  var problem: String? {
    switch outcome {
    case .skipped(let why): return "skipped: \(why)"
    case .failed(let why): return "failed: \(why)"
    case .chat(let r) where r.aborted:
      return
        "aborted: only \(r.counters.alive) of \(r.parameters.clients) clients registered; first error: \(r.counters.firstError ?? "(none)")"
    case .chat, .idle: return nil
    }
  }

  /// The figures and their values, in table order.
  var values: [(Figure, Double)] {
    guard problem == nil else { return [] }
    switch outcome {
    case .chat(let r): return Report.chatFigures(scenario, r, network: isNetwork)
    case .idle(let r): return Report.idleFigures(r)
    default: return []
    }
  }
}

enum Report {
  /// The issue's goals for Otter's own server.
  static func latencyGoal(_ s: Scenario) -> String? {
    switch s {
    case .s1: return "≤ 2"
    case .s2: return "≤ 10"
    case .s3: return "≤ 50"
    case .s4: return nil
    }
  }

  /// The figures of a chat run; `network`: the run was spread over linked servers (the
  /// network goals apply, and server CPU and RSS are sums over its processes).
  static func chatFigures(_ s: Scenario, _ r: ChatResult, network: Bool = false) -> [(Figure, Double)] {
    let t = r.tally
    var out: [(Figure, Double)] = [
      (Figure(key: "connect_per_s", label: "connect + register", unit: "conn/s"), r.connectPerSecond),
      (Figure(key: "sent", label: "messages sent", unit: "msgs"), Double(r.sent)),
      (Figure(key: "deliveries_per_s", label: "deliveries", unit: "copies/s"), r.deliveriesPerSecond),
      (Figure(key: "p50_ms", label: "latency p50", unit: "ms"), t.latency.p50),
      (
        Figure(key: "p99_ms", label: "latency p99", unit: "ms", goal: network ? NetworkGoals.latency(s) : latencyGoal(s)),
        t.latency.p99
      ),
      (Figure(key: "p999_ms", label: "latency p99.9", unit: "ms"), t.latency.p999),
      (Figure(key: "max_ms", label: "latency max", unit: "ms"), t.latency.max),
      (Figure(key: "lost", label: "lost copies", unit: "copies", goal: "0"), Double(t.lost)),
      (Figure(key: "duplicates", label: "duplicate copies", unit: "copies", goal: "0"), Double(t.duplicates)),
    ]
    if let us = r.serverMicrosPerDelivery {
      let goal = network ? NetworkGoals.cpuPerDelivery : "≤ 3"
      out.append((Figure(key: "server_cpu_us_per_delivery", label: "server CPU per delivery", unit: "µs", goal: goal), us))
    }
    if let pct = r.serverCPUPercent { out.append((Figure(key: "server_cpu_pct", label: "server CPU", unit: "% of a core"), pct)) }
    if let us = r.ownMicrosPerDelivery {
      out.append((Figure(key: "chatbench_cpu_us_per_delivery", label: "chatbench CPU per delivery", unit: "µs"), us))
    }
    if let kb = r.serverRSSKB { out.append((Figure(key: "server_rss_kb", label: "server RSS at end", unit: "KB"), Double(kb))) }
    let closed = Double(r.counters.closed + r.counters.connectFail + r.counters.registrationTimeout)
    out.append((Figure(key: "disconnects", label: "failed or closed connections", unit: "conns", goal: "0"), closed))
    return out
  }

  static func idleFigures(_ r: IdleResult) -> [(Figure, Double)] {
    var out: [(Figure, Double)] = []
    if let rate = r.connectPerSecond {
      out.append((Figure(key: "connect_per_s", label: "connect + register (first step)", unit: "conn/s"), rate))
    }
    if let us = r.cpuMicrosPerConnection {
      out.append((Figure(key: "cpu_us_per_conn", label: "server CPU per connection (first step)", unit: "µs"), us))
    }
    if let (step, kb) = r.headline {
      out.append((Figure(key: "kb_per_conn", label: "RSS per idle connection (at \(step.alive))", unit: "KB", goal: "≤ 1.5"), kb))
    }
    for s in r.steps where s.ok {
      if let kb = s.deltaKBPerConnection(baseline: r.baselineRSSKB) {
        out.append((Figure(key: "kb_per_conn_\(s.target)", label: "RSS per connection @\(s.target)", unit: "KB"), kb))
      }
    }
    out.append((Figure(key: "max_conns", label: "most connections open", unit: "conns"), Double(r.maxAlive)))
    if let b = r.baselineRSSKB { out.append((Figure(key: "baseline_rss_kb", label: "server RSS, no connections", unit: "KB"), Double(b))) }
    return out
  }

  /// The parameters a scenario ran with, for the table's heading.
  static func heading(_ s: Scenario, _ options: Options) -> String {
    if let p = options.chat(s) {
      return
        "\(s.rawValue): \(p.clients) clients, \(p.rooms) room\(p.rooms == 1 ? "" : "s"), \(p.senders) senders, \(fmtPlain(p.rate)) msg/s, \(fmtPlain(p.duration)) s, \(p.size) B"
    }
    let p = options.idle()
    return "\(s.rawValue): idle registered connections, steps \(p.effectiveSteps.map(String.init).joined(separator: ","))"
  }

  /// The table of one scenario: a column per server (and transport), then the ratios
  /// of `ratioPairs`.
  static func table(_ ms: [Measurement], heading: String) -> String {
    var out = heading + "\n"
    // A problem may quote several lines of a server's log: each indented under its column.
    for m in ms { if let p = m.problem { out += "  \(m.column): \(p.replacingOccurrences(of: "\n", with: "\n    "))\n" } }
    let ran = ms.filter { $0.problem == nil }
    guard !ran.isEmpty else { return out + "\n" }
    let pairs = ratioPairs(ran)
    // Figure order: as the subject lists them, then any others. Goals: a single server's,
    // and a network's in a column of their own when both kinds ran.
    var figures: [Figure] = []
    var values: [String: [String: Double]] = [:]  // column → key → value
    var goals: [String: String] = [:]
    var networkGoals: [String: String] = [:]
    for m in ran {
      for (f, v) in m.values {
        if !figures.contains(where: { $0.key == f.key }) { figures.append(f) }
        values[m.column, default: [:]][f.key] = v
        if let g = f.goal {
          if m.isNetwork { networkGoals[f.key] = g } else { goals[f.key] = g }
        }
      }
    }
    let both = ran.contains(where: \.isNetwork) && ran.contains(where: { !$0.isNetwork })
    let goalColumns = both ? [goals, networkGoals] : [goals.merging(networkGoals) { a, _ in a }]
    var rows: [[String]] = [["figure", "unit"] + ran.map(\.column) + pairs.map(\.title) + (both ? ["goal", "network goal"] : ["goal"])]
    for f in figures {
      var row = [f.label, f.unit]
      for m in ran { row.append(values[m.column]?[f.key].map(format) ?? "-") }
      for p in pairs {
        row.append(ratio(values[p.numerator]?[f.key], values[p.denominator]?[f.key]).map { String(format: "%.2f", $0) } ?? "-")
      }
      for g in goalColumns { row.append(g[f.key] ?? "") }
      rows.append(row)
    }
    return out + aligned(rows) + "\n"
  }

  /// Rows as columns: the first two left-aligned (figure, unit), the others right-
  /// aligned, a rule under the header row; each line indented by two spaces.
  static func aligned(_ rows: [[String]]) -> String {
    guard let header = rows.first else { return "" }
    var out = ""
    var widths = [Int](repeating: 0, count: header.count)
    for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
    for (n, r) in rows.enumerated() {
      let cells = r.enumerated().map { i, c in
        i < 2 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[i] - c.count) + c
      }
      out += "  " + cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
      if n == 0 { out += "  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
    }
    return out
  }

  /// A ratio column: the figures of column `numerator` divided by those of `denominator`.
  struct RatioPair: Equatable {
    var numerator: String
    var denominator: String
    var title: String
  }

  /// The ratio columns of a table: the first single server over each other single
  /// server on the same transport ("chatd/ngircd"); the first network over each other
  /// network and over the single server it is made of ("chatd-net/inspircd-net",
  /// "chatd-net/chatd"); then, for each server measured over IRC and another transport,
  /// that transport over IRC ("chatd ws/irc", "ngircd tls/irc").
  static func ratioPairs(_ ran: [Measurement]) -> [RatioPair] {
    var out: [RatioPair] = []
    for (subject, peer) in comparisons(ran) {
      out.append(
        RatioPair(
          numerator: subject.column, denominator: peer.column, title: "\(subject.server)/\(peer.server)\(subject.transport.columnSuffix)"))
    }
    for other in ran where other.transport != .irc {
      guard let irc = ran.first(where: { $0.server == other.server && $0.transport == .irc }) else { continue }
      out.append(RatioPair(numerator: other.column, denominator: irc.column, title: "\(other.server) \(other.transport.shortName)/irc"))
    }
    return out
  }

  /// Who is compared with whom (same transport): on each transport, the first single
  /// server with each other single server; and the first network with each other
  /// network, then with its single server.
  static func comparisons(_ ran: [Measurement]) -> [(subject: Measurement, peer: Measurement)] {
    var out: [(Measurement, Measurement)] = []
    let singles = ran.filter { !$0.isNetwork }
    let networks = ran.filter(\.isNetwork)
    for transport in ChatTransport.allCases {
      let same = singles.filter { $0.transport == transport }
      guard let subject = same.first else { continue }
      for p in same.dropFirst() where p.server != subject.server { out.append((subject, p)) }
    }
    if let subject = networks.first {
      for p in networks.dropFirst() where p.transport == subject.transport && p.server != subject.server { out.append((subject, p)) }
      if let single = subject.single, let p = singles.first(where: { $0.server == single && $0.transport == subject.transport }) {
        out.append((subject, p))
      }
    }
    return out
  }

  /// The JSON lines of one scenario: one object per server (or network) and figure. The
  /// first single server's objects carry the other single servers' values and the ratios
  /// ("peers", "ratios"); a network's carry "servers" (how many) and, where a network goal
  /// can be checked, "ok"; the first network's figures are followed by one object per
  /// peer it is compared with ("peer", "peer_value", "ratio", and "goal"/"ok" where the
  /// ratio has a goal).
  static func json(_ ms: [Measurement]) -> [String] {
    var lines: [String] = []
    let ran = ms.filter { $0.problem == nil }
    let pairs = comparisons(ran)
    for m in ms {
      if let p = m.problem {
        lines.append(
          encode([
            "bench": "\(m.scenario.rawValue).\(m.problem!.hasPrefix("skipped") ? "skipped" : "failed")",
            "scenario": m.scenario.rawValue, "server": m.server, "transport": m.transport.rawValue,
            "value": 0, "unit": "", "note": p,
          ]))
        continue
      }
      let peers = pairs.filter { $0.subject.server == m.server && $0.subject.transport == m.transport }.map(\.peer)
      for (f, v) in m.values {
        var obj: [String: Any] = [
          "bench": "\(m.scenario.rawValue).\(f.key)", "scenario": m.scenario.rawValue, "server": m.server,
          "transport": m.transport.rawValue,
          "value": v, "unit": f.unit, "label": f.label,
        ]
        if let g = f.goal { obj["goal"] = g }
        if m.isNetwork {
          obj["servers"] = m.servers
          if let g = f.goal, let ok = NetworkGoals.meets(g, v) { obj["ok"] = ok }
        }
        if m.transport != .irc, let irc = ran.first(where: { $0.server == m.server && $0.transport == .irc }),
          let iv = irc.values.first(where: { $0.0.key == f.key })?.1
        {
          obj["irc"] = iv
          if let r = ratio(v, iv) { obj["\(m.transport.rawValue)_over_irc"] = r }
        }
        if !m.isNetwork && !peers.isEmpty {
          var values: [String: Double] = [:]
          var ratios: [String: Double] = [:]
          for p in peers {
            guard let pv = p.values.first(where: { $0.0.key == f.key })?.1 else { continue }
            values[p.server] = pv
            if let r = ratio(v, pv) { ratios[p.server] = r }
          }
          obj["peers"] = values
          obj["ratios"] = ratios
        }
        lines.append(encode(obj))
        guard m.isNetwork else { continue }
        for p in peers {
          guard let pv = p.values.first(where: { $0.0.key == f.key })?.1 else { continue }
          var row = obj
          row["goal"] = nil
          row["ok"] = nil
          row["peer"] = p.server
          row["peer_value"] = pv
          row["peer_servers"] = p.servers
          if let r = ratio(v, pv) {
            row["ratio"] = r
            if let g = NetworkGoals.ratio(f.key, versusSingle: !p.isNetwork) {
              row["goal"] = g
              row["ok"] = NetworkGoals.meets(g, r)
            }
          }
          lines.append(encode(row))
        }
      }
    }
    return lines
  }

  static func ratio(_ a: Double?, _ b: Double?) -> Double? {
    guard let a, let b, b != 0, a.isFinite, b.isFinite else { return nil }
    return a / b
  }

  static func encode(_ obj: [String: Any]) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }

  static func format(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
    if abs(v) >= 100 { return String(format: "%.0f", v) }
    if abs(v) >= 1 { return String(format: "%.2f", v) }
    return String(format: "%.3f", v)
  }
}

func fmtPlain(_ v: Double) -> String {
  v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
}

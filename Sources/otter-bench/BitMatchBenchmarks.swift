// `bitmatch`: BinaryMatch decoding WebSocket frame headers and IPv4 headers, side by side with
// the same decode written by hand with shifts (the limit) and with Erlang's binary matching on
// the same bytes (when `erl` is installed).
//
// Each workload is a fixed corpus of 16 different inputs laid out in one buffer, decoded in
// turn; every decoded field is folded into a checksum that all three implementations must
// agree on, so no side can skip work and the comparison checks correctness too.
import Actors
import BinaryMatch
import BinaryMatchExamples
import Foundation

let bitMatchBenchmarks: [Benchmark] = [
  Benchmark(
    name: "bitmatch",
    summary: "BinaryMatch: WebSocket and IPv4 header decode vs hand-written shifts and Erlang",
    run: { options in try BitMatchBench.run(options) })
]

enum BitMatchBench {
  /// Inputs back to back in one buffer; `ranges` says where each is.
  struct Corpus {
    var buffer: [UInt8] = []
    var ranges: [Range<Int>] = []

    mutating func add(_ bytes: [UInt8]) {
      ranges.append(buffer.count..<(buffer.count + bytes.count))
      buffer += bytes
    }

    /// `<<Len:32, Bytes/binary>>` records, for the Erlang side.
    var records: [UInt8] {
      var out: [UInt8] = []
      for r in ranges {
        let n = UInt32(r.count)
        out += [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
        out += buffer[r]
      }
      return out
    }
  }

  struct Measured {
    var nsPerMatch: Double
    var checksum: UInt64
  }

  static func run(_ options: BenchOptions) throws -> [Row] {
    let iterations = options.quick ? 1_000_000 : 10_000_000
    let erlang = options.peers ? ErlangPeer.find() : nil
    if options.peers && erlang == nil { progress("bitmatch: erl/erlc not on PATH; rows without the Erlang peer") }
    var rows: [Row] = []

    let ws = websocketCorpus()
    let codec = WebSocketFrameCodec()
    let wsOurs = measure(iterations) { wsBinaryMatch(codec, ws, $0) }
    let wsHand = measure(iterations) { wsShifts(ws, $0) }
    let wsErlang = erlang?.run("websocket", ws, iterations)
    rows += compare("websocket", iterations, ours: wsOurs, hand: wsHand, erlang: wsErlang)
    // The same decode with static patterns (layout in types, StaticWebSocketFrame).
    let wsStatic = measure(iterations) { wsStaticMatch(ws, $0) }
    rows += compare("websocket.static", iterations, ours: wsStatic, hand: wsHand, erlang: wsErlang)

    let ip = ipv4Corpus()
    let ipCodec = IPv4Codec()
    let ipOurs = measure(iterations) { ipv4BinaryMatch(ipCodec, ip, $0) }
    let ipHand = measure(iterations) { ipv4Shifts(ip, $0) }
    let ipErlang = erlang?.run("ipv4", ip, iterations)
    rows += compare("ipv4", iterations, ours: ipOurs, hand: ipHand, erlang: ipErlang)
    let ipStatic = measure(iterations) { ipv4StaticMatch(ip, $0) }
    rows += compare("ipv4.static", iterations, ours: ipStatic, hand: ipHand, erlang: ipErlang)
    return rows
  }

  static func compare(_ name: String, _ iterations: Int, ours: Measured, hand: Measured, erlang: Measured?) -> [Row] {
    var note = "\(iterations / 1_000_000)M decodes of 16 different inputs"
    if ours.checksum != hand.checksum { note = "CHECKSUM MISMATCH vs shifts: \(ours.checksum) != \(hand.checksum)" }
    var rows = [
      Row(
        bench: "bitmatch.\(name).ns_per_match", value: ours.nsPerMatch, unit: "ns", peer: hand.nsPerMatch,
        peerName: "swift-shifts", goal: "≤ 1.5×", note: note)
    ]
    if let erlang {
      let same = erlang.checksum == ours.checksum
      rows.append(
        Row(
          bench: "bitmatch.\(name).vs_erlang.ns_per_match", value: ours.nsPerMatch, unit: "ns",
          peer: erlang.nsPerMatch, peerName: "erlang", goal: "< 1× (faster)",
          note: same ? "same checksum" : "CHECKSUM MISMATCH vs erlang: \(erlang.checksum)"))
    }
    return rows
  }

  /// Best of three timed runs after a warm-up; ns per decode.
  static func measure(_ iterations: Int, _ body: (Int) -> UInt64) -> Measured {
    let checksum = body(iterations / 10)
    _ = checksum
    var best = Double.infinity
    var sum: UInt64 = 0
    for _ in 0..<3 {
      let t0 = MonotonicClock.nanoseconds()
      sum = body(iterations)
      let t1 = MonotonicClock.nanoseconds()
      best = min(best, Double(t1 - t0) / Double(iterations))
    }
    return Measured(nsPerMatch: best, checksum: sum)
  }

  // MARK: - WebSocket

  /// 16 frames: all three length forms, masked and unmasked, various opcodes and flags.
  static func websocketCorpus() -> Corpus {
    let codec = WebSocketFrameCodec()
    var corpus = Corpus()
    let specs: [(fin: Bool, opcode: UInt8, key: UInt32?, length: Int)] = [
      (true, 1, 0x37FA_213D, 5), (true, 2, nil, 0), (false, 0, 0x1234_5678, 125), (true, 9, nil, 4),
      (true, 1, 0xDEAD_BEEF, 126), (true, 2, nil, 300), (true, 10, 0x0102_0304, 17), (false, 1, nil, 64),
      (true, 2, 0xCAFE_BABE, 65_535), (true, 1, nil, 1), (true, 8, 0x0BAD_F00D, 2), (true, 2, nil, 65_536),
      (true, 1, 0x7777_7777, 70_000), (false, 2, nil, 1000), (true, 1, 0xA5A5_5A5A, 33), (true, 2, nil, 12),
    ]
    for (i, s) in specs.enumerated() {
      let payload = (0..<s.length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
      let header = WebSocketFrameHeader(fin: s.fin, rsv: UInt8(i % 2), opcode: s.opcode, maskKey: s.key, payloadLength: UInt64(s.length))
      // The corpus is built from constants; encoding them cannot fail.
      corpus.add(try! codec.encode(header, payload: payload))
    }
    return corpus
  }

  @inline(__always)
  static func checksum(_ f: WebSocketFrame) -> UInt64 {
    let h = f.header
    return (h.fin ? 1 : 0) &+ UInt64(h.rsv) &+ UInt64(h.opcode) &+ (h.maskKey == nil ? 0 : 1)
      &+ (h.payloadLength & 0xFFFF) &+ UInt64((h.maskKey ?? 0) & 0xFFFF) &+ UInt64(f.payload.lowerBound)
  }

  @inline(never)
  static func wsBinaryMatch(_ codec: WebSocketFrameCodec, _ corpus: Corpus, _ iterations: Int) -> UInt64 {
    corpus.buffer.withUnsafeBytes { raw in
      corpus.ranges.withUnsafeBufferPointer { ranges in
        var acc: UInt64 = 0
        var k = 0
        for _ in 0..<iterations {
          let input = UnsafeRawBufferPointer(rebasing: raw[ranges[k]])
          k = k == ranges.count - 1 ? 0 : k + 1
          if let f = codec.decode(input) { acc &+= checksum(f) } else { acc &+= 1_000_000 }
        }
        return acc
      }
    }
  }

  @inline(never)
  static func wsStaticMatch(_ corpus: Corpus, _ iterations: Int) -> UInt64 {
    corpus.buffer.withUnsafeBytes { raw in
      corpus.ranges.withUnsafeBufferPointer { ranges in
        var acc: UInt64 = 0
        var k = 0
        for _ in 0..<iterations {
          let input = UnsafeRawBufferPointer(rebasing: raw[ranges[k]])
          k = k == ranges.count - 1 ? 0 : k + 1
          if let f = StaticWebSocketFrame.decode(input) { acc &+= checksum(f) } else { acc &+= 1_000_000 }
        }
        return acc
      }
    }
  }

  @inline(never)
  static func wsShifts(_ corpus: Corpus, _ iterations: Int) -> UInt64 {
    corpus.buffer.withUnsafeBytes { raw in
      corpus.ranges.withUnsafeBufferPointer { ranges in
        var acc: UInt64 = 0
        var k = 0
        for _ in 0..<iterations {
          let input = UnsafeRawBufferPointer(rebasing: raw[ranges[k]])
          k = k == ranges.count - 1 ? 0 : k + 1
          if let f = decodeWebSocketByHand(input) { acc &+= checksum(f) } else { acc &+= 1_000_000 }
        }
        return acc
      }
    }
  }

  /// The same decode and the same checks as `WebSocketFrameCodec.decode`, written by hand.
  @inline(__always)
  static func decodeWebSocketByHand(_ p: UnsafeRawBufferPointer) -> WebSocketFrame? {
    let n = p.count
    guard n >= 2 else { return nil }
    let b0 = p.load(fromByteOffset: 0, as: UInt8.self)
    let b1 = p.load(fromByteOffset: 1, as: UInt8.self)
    var length = UInt64(b1 & 0x7F)
    var offset = 2
    if length == 126 {
      guard n >= 4 else { return nil }
      length = UInt64(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
      guard length >= 126 else { return nil }
      offset = 4
    } else if length == 127 {
      guard n >= 10 else { return nil }
      length = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt64.self))
      guard length >> 63 == 0, length > 0xFFFF else { return nil }
      offset = 10
    }
    var key: UInt32?
    if b1 & 0x80 != 0 {
      guard n - offset >= 4 else { return nil }
      key = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
      offset += 4
    }
    guard UInt64(n - offset) >= length else { return nil }
    let header = WebSocketFrameHeader(fin: b0 & 0x80 != 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0xF, maskKey: key, payloadLength: length)
    return WebSocketFrame(header: header, payload: offset..<(offset + Int(length)))
  }

  // MARK: - IPv4

  /// 16 packets: with and without options, different protocols, flags, sizes.
  static func ipv4Corpus() -> Corpus {
    let codec = IPv4Codec()
    var corpus = Corpus()
    for i in 0..<16 {
      let options = [UInt8](repeating: 0x01, count: [0, 0, 4, 0, 8, 0, 0, 12, 0, 0, 4, 0, 0, 40, 0, 0][i])
      let payload = (0..<(i * 37 % 200)).map { UInt8(truncatingIfNeeded: $0 ^ i) }
      let header = IPv4Header(
        dscp: UInt8(i * 3 % 64), ecn: UInt8(i % 4), totalLength: UInt16(20 + options.count + payload.count),
        identification: UInt16(truncatingIfNeeded: 0x1C46 &* (i + 1)), flags: UInt8(i % 3), fragmentOffset: UInt16(i * 185 % 8192),
        ttl: UInt8(64 + i), protocol: [6, 17, 1, 6][i % 4],
        source: 0xC0A8_0001 &+ UInt32(i), destination: 0x0A00_0001 &* UInt32(i + 1))
      // The corpus is built from constants; encoding them cannot fail.
      corpus.add(try! codec.encode(header, options: options, payload: payload))
    }
    return corpus
  }

  @inline(__always)
  static func checksum(_ p: IPv4Packet) -> UInt64 {
    let h = p.header
    return UInt64(h.ihl) &+ UInt64(h.dscp) &+ UInt64(h.ecn) &+ UInt64(h.totalLength) &+ UInt64(h.identification)
      &+ UInt64(h.flags) &+ UInt64(h.fragmentOffset) &+ UInt64(h.ttl) &+ UInt64(h.protocol) &+ UInt64(h.headerChecksum)
      &+ UInt64(h.source & 0xFFFF) &+ UInt64(h.destination & 0xFFFF) &+ UInt64(p.options.count) &+ UInt64(p.payload.lowerBound)
  }

  @inline(never)
  static func ipv4BinaryMatch(_ codec: IPv4Codec, _ corpus: Corpus, _ iterations: Int) -> UInt64 {
    corpus.buffer.withUnsafeBytes { raw in
      corpus.ranges.withUnsafeBufferPointer { ranges in
        var acc: UInt64 = 0
        var k = 0
        for _ in 0..<iterations {
          let input = UnsafeRawBufferPointer(rebasing: raw[ranges[k]])
          k = k == ranges.count - 1 ? 0 : k + 1
          if let p = codec.decode(input) { acc &+= checksum(p) } else { acc &+= 1_000_000 }
        }
        return acc
      }
    }
  }

  @inline(never)
  static func ipv4StaticMatch(_ corpus: Corpus, _ iterations: Int) -> UInt64 {
    corpus.buffer.withUnsafeBytes { raw in
      corpus.ranges.withUnsafeBufferPointer { ranges in
        var acc: UInt64 = 0
        var k = 0
        for _ in 0..<iterations {
          let input = UnsafeRawBufferPointer(rebasing: raw[ranges[k]])
          k = k == ranges.count - 1 ? 0 : k + 1
          if let p = StaticIPv4Header.decode(input) { acc &+= checksum(p) } else { acc &+= 1_000_000 }
        }
        return acc
      }
    }
  }

  @inline(never)
  static func ipv4Shifts(_ corpus: Corpus, _ iterations: Int) -> UInt64 {
    corpus.buffer.withUnsafeBytes { raw in
      corpus.ranges.withUnsafeBufferPointer { ranges in
        var acc: UInt64 = 0
        var k = 0
        for _ in 0..<iterations {
          let input = UnsafeRawBufferPointer(rebasing: raw[ranges[k]])
          k = k == ranges.count - 1 ? 0 : k + 1
          if let p = decodeIPv4ByHand(input) { acc &+= checksum(p) } else { acc &+= 1_000_000 }
        }
        return acc
      }
    }
  }

  /// The same decode and the same checks as `IPv4Codec.decode`, written by hand.
  @inline(__always)
  static func decodeIPv4ByHand(_ p: UnsafeRawBufferPointer) -> IPv4Packet? {
    let n = p.count
    guard n >= 20 else { return nil }
    let w0 = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
    guard w0 >> 28 == 4 else { return nil }
    let ihl = Int((w0 >> 24) & 0xF)
    guard ihl >= 5, n >= ihl * 4 else { return nil }
    let w1 = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
    let w2 = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
    let header = IPv4Header(
      ihl: UInt8(ihl), dscp: UInt8((w0 >> 18) & 0x3F), ecn: UInt8((w0 >> 16) & 3), totalLength: UInt16(w0 & 0xFFFF),
      identification: UInt16(w1 >> 16), flags: UInt8((w1 >> 13) & 7), fragmentOffset: UInt16(w1 & 0x1FFF),
      ttl: UInt8(w2 >> 24), protocol: UInt8((w2 >> 16) & 0xFF), headerChecksum: UInt16(w2 & 0xFFFF),
      source: UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
      destination: UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
    return IPv4Packet(header: header, options: 20..<(ihl * 4), payload: (ihl * 4)..<n)
  }
}

/// Erlang's side: compiles Benchmarks/erlang/bitmatch_bench.erl and runs it on the same bytes.
struct ErlangPeer {
  let erl: String
  let erlc: String

  static func find() -> ErlangPeer? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    func which(_ tool: String) -> String? {
      for dir in path.split(separator: ":") {
        let candidate = "\(dir)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      }
      return nil
    }
    guard let erl = which("erl"), let erlc = which("erlc") else { return nil }
    return ErlangPeer(erl: erl, erlc: erlc)
  }

  /// The module source, looked up from the working directory or next to the executable.
  static func sourcePath() -> String? {
    var candidates = [FileManager.default.currentDirectoryPath + "/Benchmarks/erlang/bitmatch_bench.erl"]
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<5 {
      candidates.append(dir.appendingPathComponent("Benchmarks/erlang/bitmatch_bench.erl").path)
      dir = dir.deletingLastPathComponent()
    }
    return candidates.first { FileManager.default.fileExists(atPath: $0) }
  }

  func run(_ name: String, _ corpus: BitMatchBench.Corpus, _ iterations: Int) -> BitMatchBench.Measured? {
    guard let source = Self.sourcePath() else {
      progress("bitmatch: Benchmarks/erlang/bitmatch_bench.erl not found; no Erlang peer")
      return nil
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-bitmatch-\(getpid())")
    defer { try? FileManager.default.removeItem(at: dir) }
    do {
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      let corpusFile = dir.appendingPathComponent("\(name).bin")
      try Data(corpus.records).write(to: corpusFile)
      guard (try execute(erlc, ["-o", dir.path, source])).status == 0 else {
        progress("bitmatch: erlc failed; no Erlang peer")
        return nil
      }
      progress("bitmatch: running Erlang \(name) (\(iterations) decodes)")
      let (status, output) = try execute(
        erl, ["-noshell", "-pa", dir.path, "-run", "bitmatch_bench", "main", name, corpusFile.path, String(iterations)])
      guard status == 0, let line = output.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") }) else {
        progress("bitmatch: erl failed (status \(status)): \(output)")
        return nil
      }
      var fields: [String: String] = [:]
      for pair in line.split(separator: " ") {
        let kv = pair.split(separator: "=", maxSplits: 1)
        if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
      }
      guard let ns = fields["ns_per_match"].flatMap(Double.init), let sum = fields["checksum"].flatMap(UInt64.init) else {
        progress("bitmatch: cannot parse Erlang output: \(line)")
        return nil
      }
      return BitMatchBench.Measured(nsPerMatch: ns, checksum: sum)
    } catch {
      progress("bitmatch: Erlang peer failed: \(error)")
      return nil
    }
  }

  private func execute(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}

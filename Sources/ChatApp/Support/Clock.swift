// Wall-clock times as IRC shows them: IRCv3 server-time and Unix seconds.
import Glibc
import Synchronization

enum WallClock {
  /// Milliseconds since the Unix epoch.
  static func millis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
  }

  /// Seconds since the Unix epoch.
  static func seconds() -> Int { Int(millis() / 1000) }

  /// ISO 8601 UTC with milliseconds, as the server-time tag wants: 2026-11-21T12:00:00.000Z.
  static func iso8601(millis: Int64) -> String {
    var t = time_t(millis / 1000)
    var tm = Glibc.tm()
    gmtime_r(&t, &tm)
    func pad(_ v: Int32, _ width: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
      + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2)).\(pad(Int32(millis % 1000), 3))Z"
  }

  /// Parses what `iso8601` writes (and the same without milliseconds); nil otherwise.
  static func parseISO8601(_ text: String) -> Int64? {
    let b = Array(text.utf8)
    guard b.count >= 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b.last == 0x5A else { return nil }
    func num(_ r: Range<Int>) -> Int32? {
      var v: Int32 = 0
      for i in r {
        guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
        v = v * 10 + Int32(b[i] - 0x30)
      }
      return v
    }
    guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16), let s = num(17..<19)
    else { return nil }
    var ms: Int64 = 0
    if b.count > 20 {
      guard b[19] == 0x2E, let f = num(20..<(b.count - 1)), b.count - 21 <= 3 else { return nil }
      ms = Int64(f) * [1, 100, 10, 1][b.count - 21]
    }
    var tm = Glibc.tm()
    tm.tm_year = y - 1900
    tm.tm_mon = mo - 1
    tm.tm_mday = d
    tm.tm_hour = h
    tm.tm_min = mi
    tm.tm_sec = s
    let secs = timegm(&tm)
    return Int64(secs) * 1000 + ms
  }
}

/// Unique message ids (the msgid tag), unique across every node of a network and across
/// restarts without asking anyone: a prefix made once per OS process from the moment it
/// started (Unix ms) and 40 random bits, then a counter. Two processes share a prefix
/// only if they started in the same millisecond and drew the same 40 bits (one chance in
/// 2^40 for such a pair); within a process the 64-bit counter never repeats. Nodes in
/// one process (tests) share the counter, so they never repeat each other either. The
/// ids travel to the network's history (Redis), where each is an index key.
enum MessageID {
  private static let prefix: String = {
    var g = SystemRandomNumberGenerator()
    // Eight base-36 digits hold 40 bits; padded, so the two parts never run together.
    let random = String((g.next() as UInt64) & 0xFF_FFFF_FFFF, radix: 36)
    return String(WallClock.millis(), radix: 36) + String(repeating: "0", count: 8 - random.count) + random
  }()
  private static let counter = Atomic<UInt64>(0)

  static func next() -> String {
    prefix + "-" + String(counter.wrappingAdd(1, ordering: .relaxed).newValue, radix: 36)
  }
}

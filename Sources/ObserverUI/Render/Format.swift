// Number formatting for people: bytes, counts, durations, rates — short enough for a
// terminal column, without Foundation.

enum Format {
  /// 512 B, 1.2 KB, 34.5 MB, 1.20 GB (powers of 1024).
  static func bytes(_ n: some BinaryInteger) -> String {
    let v = Double(n)
    if v < 1024 { return "\(Int64(n)) B" }
    let units = ["KB", "MB", "GB", "TB"]
    var x = v / 1024
    var i = 0
    while x >= 1024 && i < units.count - 1 {
      x /= 1024
      i += 1
    }
    return "\(fixed(x, x < 10 ? 2 : 1)) \(units[i])"
  }

  /// 999, 1.2k, 34.5k, 1.2M, 3.4G.
  static func count(_ v: Double) -> String {
    let a = abs(v)
    if a < 1000 { return a == a.rounded() ? String(Int64(v)) : fixed(v, 1) }
    if a < 1e6 { return fixed(v / 1e3, a < 1e4 ? 1 : 0) + "k" }
    if a < 1e9 { return fixed(v / 1e6, a < 1e7 ? 1 : 0) + "M" }
    return fixed(v / 1e9, 1) + "G"
  }

  static func count(_ n: some BinaryInteger) -> String { count(Double(n)) }

  /// 1,234,567.
  static func grouped(_ n: some BinaryInteger) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
      out.append(c)
    }
    return (n < 0 ? "-" : "") + out
  }

  /// 45s, 12m03s, 3h04m, 2d05h.
  static func uptime(_ seconds: Double) -> String {
    let s = Int(max(0, seconds))
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(pad2(s % 60))s" }
    if s < 86_400 { return "\(s / 3600)h\(pad2(s % 3600 / 60))m" }
    return "\(s / 86_400)d\(pad2(s % 86_400 / 3600))h"
  }

  /// 0.3s, 12s, 4m, 2h — how long ago.
  static func ago(_ seconds: Double) -> String {
    if seconds < 10 { return fixed(max(0, seconds), 1) + "s" }
    if seconds < 120 { return "\(Int(seconds))s" }
    if seconds < 7200 { return "\(Int(seconds / 60))m" }
    return "\(Int(seconds / 3600))h"
  }

  /// A period in seconds: 5s, 0.5s, 1m.
  static func period(_ seconds: Double) -> String {
    if seconds >= 60 && seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
    if seconds == seconds.rounded() { return "\(Int(seconds))s" }
    return fixed(seconds, 2) + "s"
  }

  static func seconds(_ d: Duration) -> Double {
    let (s, a) = d.components
    return Double(s) + Double(a) / 1e18
  }

  static func percent(_ fraction: Double) -> String { "\(Int((fraction * 100).rounded()))%" }

  /// `v` with `digits` decimals.
  static func fixed(_ v: Double, _ digits: Int) -> String {
    guard v.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (abs(v) * scale).rounded()
    let whole = Int64(r / scale)
    let frac = Int64(r) - whole * Int64(scale)
    var fracText = String(frac)
    while fracText.count < digits { fracText = "0" + fracText }
    let sign = v < 0 && r != 0 ? "-" : ""
    return digits == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fracText)"
  }

  static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

  /// `text` cut or padded to `width` columns (one column per character).
  static func fit(_ text: String, _ width: Int) -> String {
    guard width > 0 else { return "" }
    let n = text.count
    if n == width { return text }
    if n < width { return text + String(repeating: " ", count: width - n) }
    if width == 1 { return "…" }
    return String(text.prefix(width - 1)) + "…"
  }

  /// `text` right-aligned in `width` columns.
  static func right(_ text: String, _ width: Int) -> String {
    let n = text.count
    if n >= width { return fit(text, width) }
    return String(repeating: " ", count: width - n) + text
  }

  /// `text` cut to at most `width` columns (no padding).
  static func clip(_ text: String, _ width: Int) -> String {
    text.count <= width ? text : fit(text, width)
  }
}

// An OS process child as the tree shows it: its OS pid and what the kernel says it uses,
// how long it has run, whether it said it is ready (and its sd_notify STATUS=).

/// The OS process behind a supervised OS process child (the `os` field of a tree node).
public struct OSChildRow: Sendable, Equatable {
  public var osPid: Int32
  /// CPU as a percentage of one core since the previous reading.
  public var cpuPercent: Double
  /// Resident set, bytes.
  public var residentBytes: UInt64
  /// Seconds since it was spawned.
  public var uptime: Double
  public var ready: Bool
  /// Its last sd_notify `STATUS=`.
  public var status: String?

  public init(osPid: Int32, cpuPercent: Double, residentBytes: UInt64, uptime: Double, ready: Bool, status: String? = nil) {
    self.osPid = osPid
    self.cpuPercent = cpuPercent
    self.residentBytes = residentBytes
    self.uptime = uptime
    self.ready = ready
    self.status = status
  }

  var json: JSON {
    .fields([
      "os_pid": .number(Int(osPid)), "cpu_percent": .double((cpuPercent * 10).rounded() / 10),
      "rss_bytes": .number(residentBytes), "uptime_s": .double((uptime * 1000).rounded() / 1000), "ready": .bool(ready),
      "status": status.map(JSON.string),
    ])
  }

  init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "os")
    self.init(
      osPid: Int32(clamping: try f.int("os_pid")), cpuPercent: try f.double("cpu_percent"), residentBytes: try f.count("rss_bytes"),
      uptime: try f.double("uptime_s"), ready: try f.bool("ready"), status: try f.optionalString("status"))
  }
}

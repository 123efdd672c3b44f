// Where a command's keys are, so a cluster client can route it: read once from the
// server's own COMMAND table (name → first key, last key, step), with the commands whose
// keys move (EVAL's numkeys, XREAD's STREAMS) worked out here, and anything else with
// movable keys asked of the server (COMMAND GETKEYS). Immutable once built.

struct CommandKeys: Sendable {
  struct Spec: Sendable {
    var first: Int
    var last: Int
    var step: Int
    var movable: Bool
  }

  private var specs: [String: Spec] = [:]

  /// Builds the table from a COMMAND reply (RESP2 or RESP3).
  init(_ reply: RESPValue) {
    for entry in reply.array ?? [] { add(entry, prefix: nil) }
  }

  private mutating func add(_ entry: RESPValue, prefix: String?) {
    guard let e = entry.array, e.count >= 6, let name = e[0].string?.lowercased(), let first = e[3].int, let last = e[4].int,
      let step = e[5].int
    else { return }
    let flags = (e[2].array ?? []).compactMap { $0.string?.lowercased() }
    specs[name] = Spec(first: first, last: last, step: step, movable: flags.contains("movablekeys"))
    // Redis 7: containers (XGROUP, OBJECT, ...) list their subcommands as "xgroup|create".
    if e.count >= 10 { for sub in e[9].array ?? [] { add(sub, prefix: name) } }
  }

  enum Keys {
    /// The command's keys (possibly none: it may go to any node).
    case known([ArraySlice<UInt8>])
    /// Ask the server (COMMAND GETKEYS).
    case askServer
  }

  /// The keys of `arguments` (the name first).
  func keys(_ arguments: [ArraySlice<UInt8>]) -> Keys {
    guard let nameBytes = arguments.first else { return .known([]) }
    let name = String(decoding: nameBytes, as: UTF8.self).lowercased()
    var spec = specs[name]
    if arguments.count > 1, let sub = specs["\(name)|\(String(decoding: arguments[1], as: UTF8.self).lowercased())"] { spec = sub }
    switch name {
    case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
      // EVAL script numkeys key... arg...
      guard arguments.count >= 3, let n = Int(String(decoding: arguments[2], as: UTF8.self)), n >= 0, arguments.count >= 3 + n else {
        return .known([])
      }
      return .known(Array(arguments[3..<(3 + n)]))
    case "xread", "xreadgroup":
      guard let s = arguments.firstIndex(where: { String(decoding: $0, as: UTF8.self).uppercased() == "STREAMS" }) else {
        return .known([])
      }
      let rest = arguments[(s + 1)...]
      return .known(Array(rest.prefix(rest.count / 2)))
    default: break
    }
    guard let spec else { return .known([]) }
    if spec.movable { return .askServer }
    guard spec.first > 0 else { return .known([]) }
    let last = spec.last < 0 ? arguments.count + spec.last : spec.last
    var keys: [ArraySlice<UInt8>] = []
    var i = spec.first
    while i <= last, i < arguments.count {
      keys.append(arguments[i])
      i += max(1, spec.step)
    }
    return .known(keys)
  }
}

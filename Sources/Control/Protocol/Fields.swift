// Reading the fields of a JSON object with errors that name the field and what was
// wrong — how requests (on the node) and replies (in the observer) are decoded.

/// The fields of one JSON object, read with type checks. Every failure is a
/// `ControlError.badRequest` naming the field.
struct Fields {
  let pairs: [(key: String, value: JSON)]
  /// What the object is, for messages ("request", "process", ...).
  let context: String

  init(_ json: JSON, _ context: String) throws(ControlError) {
    guard case .object(let pairs) = json else { throw .badRequest("\(context) is \(json.typeName), not an object") }
    self.pairs = pairs
    self.context = context
  }

  /// The raw value of `key`; nil if absent or null.
  func value(_ key: String) -> JSON? {
    guard let v = pairs.first(where: { $0.key == key })?.value, !v.isNull else { return nil }
    return v
  }

  private func missing(_ key: String) -> ControlError { .badRequest("\(context): missing field \"\(key)\"") }

  private func wrongType(_ key: String, _ v: JSON, _ expected: String) -> ControlError {
    .badRequest("\(context): field \"\(key)\" is \(v.typeName), expected \(expected)")
  }

  func string(_ key: String) throws(ControlError) -> String {
    guard let v = value(key) else { throw missing(key) }
    guard let s = v.stringValue else { throw wrongType(key, v, "a string") }
    return s
  }

  func optionalString(_ key: String) throws(ControlError) -> String? {
    guard let v = value(key) else { return nil }
    guard let s = v.stringValue else { throw wrongType(key, v, "a string") }
    return s
  }

  func int(_ key: String) throws(ControlError) -> Int {
    guard let v = value(key) else { throw missing(key) }
    guard let i = v.intValue, let n = Int(exactly: i) else { throw wrongType(key, v, "a whole number") }
    return n
  }

  func optionalInt(_ key: String) throws(ControlError) -> Int? {
    guard value(key) != nil else { return nil }
    return try int(key)
  }

  func count(_ key: String) throws(ControlError) -> UInt64 {
    guard let v = value(key) else { throw missing(key) }
    if case .double(let d) = v, d >= 0, d < 1.8e19, d == d.rounded() { return UInt64(d) }
    guard let i = v.intValue, i >= 0 else { throw wrongType(key, v, "a whole number ≥ 0") }
    return UInt64(i)
  }

  func optionalCount(_ key: String) throws(ControlError) -> UInt64? {
    guard value(key) != nil else { return nil }
    return try count(key)
  }

  func double(_ key: String) throws(ControlError) -> Double {
    guard let v = value(key) else { throw missing(key) }
    guard let d = v.doubleValue else { throw wrongType(key, v, "a number") }
    return d
  }

  func optionalDouble(_ key: String) throws(ControlError) -> Double? {
    guard value(key) != nil else { return nil }
    return try double(key)
  }

  func bool(_ key: String) throws(ControlError) -> Bool {
    guard let v = value(key) else { throw missing(key) }
    guard let b = v.boolValue else { throw wrongType(key, v, "true or false") }
    return b
  }

  func optionalBool(_ key: String) throws(ControlError) -> Bool? {
    guard value(key) != nil else { return nil }
    return try bool(key)
  }

  func pid(_ key: String) throws(ControlError) -> ProcessID {
    guard let v = value(key) else { throw missing(key) }
    return try ProcessID(json: v, field: "\(context): field \"\(key)\"")
  }

  func optionalPid(_ key: String) throws(ControlError) -> ProcessID? {
    guard value(key) != nil else { return nil }
    return try pid(key)
  }

  func array<T>(_ key: String, _ element: (JSON) throws(ControlError) -> T) throws(ControlError) -> [T] {
    guard let v = value(key) else { return [] }
    guard let items = v.arrayValue else { throw wrongType(key, v, "an array") }
    var out: [T] = []
    out.reserveCapacity(items.count)
    for item in items { out.append(try element(item)) }
    return out
  }

  func optionalArray<T>(_ key: String, _ element: (JSON) throws(ControlError) -> T) throws(ControlError) -> [T]? {
    guard value(key) != nil else { return nil }
    return try array(key, element)
  }

  func object(_ key: String) throws(ControlError) -> Fields {
    guard let v = value(key) else { throw missing(key) }
    return try Fields(v, "\(context).\(key)")
  }

  func optionalObject(_ key: String) throws(ControlError) -> Fields? {
    guard let v = value(key) else { return nil }
    return try Fields(v, "\(context).\(key)")
  }

  /// Fails if the object has a key not in `known` (a misspelt option must not be
  /// silently ignored).
  func onlyKnown(_ known: Set<String>) throws(ControlError) {
    if let stray = pairs.first(where: { !known.contains($0.key) }) {
      throw .badRequest("\(context): unknown field \"\(stray.key)\" (known: \(known.sorted().joined(separator: ", ")))")
    }
  }
}

// One message of the membership events channel, parsed: what a script published when it
// changed a lease. Made by the membership process from its subscription.

/// `up|down|leave\n<name>\n<incarnation>\n<json|reason>`, as the scripts publish it.
enum MembershipNotice: Equatable {
  case up(MemberInfo)
  case down(name: String, incarnation: UInt64, reason: String)

  /// Parses a message; nil if it is not one of ours.
  init?(_ payload: ArraySlice<UInt8>) {
    let parts = payload.split(separator: UInt8(ascii: "\n"), maxSplits: 3, omittingEmptySubsequences: false)
    guard parts.count == 4, let incarnation = UInt64(String(decoding: parts[2], as: UTF8.self)) else { return nil }
    let name = String(decoding: parts[1], as: UTF8.self)
    switch String(decoding: parts[0], as: UTF8.self) {
    case "up":
      guard let announcement = MemberAnnouncement.decode(parts[3]), announcement.name == name else { return nil }
      self = .up(announcement.info(incarnation: incarnation))
    case "down", "leave":
      self = .down(name: name, incarnation: incarnation, reason: String(decoding: parts[3], as: UTF8.self))
    default: return nil
    }
  }
}

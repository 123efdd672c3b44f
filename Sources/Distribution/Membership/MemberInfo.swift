// What a member of the cluster publishes about itself: a plain value, made by the
// membership process (which assigns the incarnation) and read by anyone.
import Foundation

/// What a member publishes about itself.
public struct MemberInfo: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The node's name (`chatd-a`): unique among live members of the cluster.
  public var name: String
  /// New on every (re)join, from a Redis counter of the cluster; never reused for a name.
  /// A node's pids belong to one incarnation: when it changes, the old pids are dead.
  public var incarnation: UInt64
  /// Where its link listener is (`127.0.0.1:45123`); opaque to membership.
  public var address: String
  /// Free-form facts (OS pid, host, version).
  public var metadata: [String: String]

  /// A member's info as published.
  public init(name: String, incarnation: UInt64, address: String, metadata: [String: String] = [:]) {
    self.name = name
    self.incarnation = incarnation
    self.address = address
    self.metadata = metadata
  }

  /// `chatd-a#17@127.0.0.1:45123`
  public var description: String { "\(name)#\(incarnation)@\(address)" }
}

/// The part of a `MemberInfo` stored in Redis's `info` hash (the incarnation is stored
/// beside it, where the scripts can read it): JSON with sorted keys.
struct MemberAnnouncement: Codable, Equatable {
  var name: String
  var address: String
  var metadata: [String: String]
  /// Random, one per `Membership` handle: how the join script recognizes a lease of ours
  /// whose join reply we never got (a timeout), instead of refusing the name as taken.
  var instance: String?

  init(name: String, address: String, metadata: [String: String], instance: String? = nil) {
    self.name = name
    self.address = address
    self.metadata = metadata
    self.instance = instance
  }

  /// The JSON stored in Redis.
  var json: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Encoding strings and a dictionary of strings cannot fail.
    let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }

  /// Decodes what `json` wrote; nil if it is not that.
  static func decode(_ json: some Collection<UInt8>) -> MemberAnnouncement? {
    try? JSONDecoder().decode(MemberAnnouncement.self, from: Data(json))
  }

  /// The info with an incarnation.
  func info(incarnation: UInt64) -> MemberInfo {
    MemberInfo(name: name, incarnation: incarnation, address: address, metadata: metadata)
  }
}

// Records the account store keeps as JSON text (a SQLite column, or a Redis string in a
// network): how one is written and read back. Pure.
import Foundation

/// A record kept as JSON text in the account store.
protocol JSONStored: Codable {}

extension JSONStored {
  /// The record in `json`, or nil if the text is not one.
  static func decode(_ json: String) -> Self? { try? JSONDecoder().decode(Self.self, from: Data(json.utf8)) }
  /// The record as JSON text.
  var json: String { (try? String(decoding: JSONEncoder().encode(self), as: UTF8.self)) ?? "{}" }
}

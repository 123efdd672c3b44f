// A secret a client gave (a password, a SASL response) as it travels through chatd: in
// a request to the account store, in a hashing job, in a connection's SASL exchange.
// Whatever prints it — a crash report's last message, `formatStatus`, the observer's
// view of a mailbox, a log line written by mistake — sees "<redacted>", never the text;
// only the code that hashes or checks it reads the bytes (`withBytes`). A value, owned
// by whoever holds it.

/// A password or other secret: prints as `<redacted>` everywhere, reflection included.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
  private let bytes: [UInt8]

  /// The secret `text` (its UTF-8 bytes).
  public init(_ text: String) { bytes = Array(text.utf8) }
  /// The secret `bytes`, as given.
  public init(bytes: [UInt8]) { self.bytes = bytes }

  /// Its length in bytes, and in characters (for a password policy).
  public var count: Int { bytes.count }
  public var characters: Int { String(decoding: bytes, as: UTF8.self).count }
  public var isEmpty: Bool { bytes.isEmpty }

  /// Runs `body` on the bytes: for the code that hashes or checks the secret, nothing else.
  func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    try bytes.withUnsafeBufferPointer(body)
  }

  public var description: String { "<redacted>" }
  public var debugDescription: String { "<redacted>" }
  public var customMirror: Mirror { Mirror(self, children: []) }
}

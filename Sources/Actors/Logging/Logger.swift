// A logger: a label (who logs), a level and metadata, and the handler its lines go to —
// the shape of swift-log's `Logger`, so code written against it reads the same here.
// A line below the logger's level costs one comparison: its message and metadata are
// autoclosures, built only when the line is written.

/// Logs lines at seven levels, with metadata, to a `LogHandler`.
///
/// ```swift
/// var logger = Logger(label: "shop.orders")     // its handler comes from LoggingSystem
/// logger[metadataKey: "shard"] = "3"
/// logger.info("order placed", metadata: ["id": "\(order.id)"])
/// logger.debug("cart \(cart)")                   // not even built below .debug
/// ```
///
/// A node logs its crash, supervisor and progress reports to `node.logger`.
public struct Logger: Sendable {
  /// Who logs: a dotted name by convention (`chatd`, `shop.orders`).
  public let label: String
  /// Where the lines go; its level and metadata are this logger's.
  public var handler: any LogHandler

  /// A logger whose handler `LoggingSystem`'s factory makes (human lines on stderr at
  /// `.error` unless the program bootstrapped another).
  public init(label: String) {
    self.label = label
    self.handler = LoggingSystem.makeHandler(label)
  }

  /// A logger with this handler.
  public init(label: String, handler: any LogHandler) {
    self.label = label
    self.handler = handler
  }

  /// A logger whose handler `factory` makes for `label`.
  public init(label: String, factory: (String) -> any LogHandler) {
    self.label = label
    self.handler = factory(label)
  }

  /// Lines below this level are dropped.
  @inlinable public var logLevel: Level {
    get { handler.logLevel }
    set { handler.logLevel = newValue }
  }

  /// Metadata every line of this logger carries.
  @inlinable public var metadata: Metadata {
    get { handler.metadata }
    set { handler.metadata = newValue }
  }

  /// One key of the logger's metadata.
  @inlinable public subscript(metadataKey key: String) -> MetadataValue? {
    get { handler[metadataKey: key] }
    set { handler[metadataKey: key] = newValue }
  }

  /// Whether a line at `level` would be written.
  @inlinable public func isLogging(_ level: Level) -> Bool { handler.logLevel <= level }

  /// Logs `message` at `level`; nothing is built if the logger's level is above it.
  @inlinable
  public func log(
    level: Level, _ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil,
    source: @autoclosure () -> String? = nil, file: String = #fileID, function: String = #function, line: UInt = #line
  ) {
    guard handler.logLevel <= level else { return }
    handler.log(
      level: level, message: message(), metadata: metadata(), source: source() ?? Logger.module(of: file), file: file,
      function: function, line: line)
  }

  /// The module part of a `#fileID` (`Actors/Node.swift` → `Actors`).
  @usableFromInline static func module(of fileID: String) -> String {
    guard let slash = fileID.firstIndex(of: "/") else { return fileID }
    return String(fileID[..<slash])
  }
}

extension Logger {
  /// Logs at `.trace`.
  @inlinable
  public func trace(
    _ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil, source: @autoclosure () -> String? = nil,
    file: String = #fileID, function: String = #function, line: UInt = #line
  ) { log(level: .trace, message(), metadata: metadata(), source: source(), file: file, function: function, line: line) }

  /// Logs at `.debug`.
  @inlinable
  public func debug(
    _ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil, source: @autoclosure () -> String? = nil,
    file: String = #fileID, function: String = #function, line: UInt = #line
  ) { log(level: .debug, message(), metadata: metadata(), source: source(), file: file, function: function, line: line) }

  /// Logs at `.info`.
  @inlinable
  public func info(
    _ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil, source: @autoclosure () -> String? = nil,
    file: String = #fileID, function: String = #function, line: UInt = #line
  ) { log(level: .info, message(), metadata: metadata(), source: source(), file: file, function: function, line: line) }

  /// Logs at `.notice`.
  @inlinable
  public func notice(
    _ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil, source: @autoclosure () -> String? = nil,
    file: String = #fileID, function: String = #function, line: UInt = #line
  ) { log(level: .notice, message(), metadata: metadata(), source: source(), file: file, function: function, line: line) }

  /// Logs at `.warning`.
  @inlinable
  public func warning(
    _ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil, source: @autoclosure () -> String? = nil,
    file: String = #fileID, function: String = #function, line: UInt = #line
  ) { log(level: .warning, message(), metadata: metadata(), source: source(), file: file, function: function, line: line) }

  /// Logs at `.error`.
  @inlinable
  public func error(
    _ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil, source: @autoclosure () -> String? = nil,
    file: String = #fileID, function: String = #function, line: UInt = #line
  ) { log(level: .error, message(), metadata: metadata(), source: source(), file: file, function: function, line: line) }

  /// Logs at `.critical`.
  @inlinable
  public func critical(
    _ message: @autoclosure () -> Message, metadata: @autoclosure () -> Metadata? = nil, source: @autoclosure () -> String? = nil,
    file: String = #fileID, function: String = #function, line: UInt = #line
  ) { log(level: .critical, message(), metadata: metadata(), source: source(), file: file, function: function, line: line) }
}

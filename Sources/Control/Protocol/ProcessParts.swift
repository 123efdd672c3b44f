// What the process view shows besides a process's row and tables: its memory part by
// part, and the first messages waiting in its mailbox (each by its Swift type and enum
// cases — never the values inside, which the process's own `formatStatus` would redact).

/// A process's memory, part by part (`ProcessDetail.memoryParts`).
public struct MemoryParts: Sendable, Equatable {
  /// The process object, its inline state included.
  public var object: Int
  /// Of `object`, the state's inline size.
  public var state: Int
  /// Mailbox buffers and the messages taken but not handled.
  public var mailbox: Int
  /// Link, monitor, timer and reply tables.
  public var tables: Int

  public init(object: Int, state: Int, mailbox: Int, tables: Int) {
    self.object = object
    self.state = state
    self.mailbox = mailbox
    self.tables = tables
  }

  var json: JSON {
    .fields(["object": .number(object), "state": .number(state), "mailbox": .number(mailbox), "tables": .number(tables)])
  }

  init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "memory_parts")
    self.init(object: try f.int("object"), state: try f.int("state"), mailbox: try f.int("mailbox"), tables: try f.int("tables"))
  }
}

/// One message waiting in a mailbox.
public struct MessageRow: Sendable, Equatable {
  /// Its Swift type (`ServerMessage<Room>`), or a system message's kind (`exit`, `down`,
  /// `socket event`, `timer: T`, `timeout`).
  public var type: String
  /// Its enum cases (`call(Room.Request.join)`); for system messages, from whom and why.
  public var summary: String

  public init(type: String, summary: String) {
    self.type = type
    self.summary = summary
  }

  var json: JSON { .fields(["type": .string(type), "summary": .string(summary)]) }

  init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "message")
    self.init(type: try f.string("type"), summary: try f.string("summary"))
  }
}

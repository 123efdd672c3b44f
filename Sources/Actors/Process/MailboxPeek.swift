// Looking at what waits in a process's mailbox from outside (Erlang's
// `process_info(Pid, messages)`), without stopping the process: the first few entries,
// each as its Swift type and the names of its enum cases — never the values inside,
// which may carry what a server's `formatStatus` would redact (passwords, chat text).
//
// The mailbox has three parts (Process.swift): `inbound`, under the process's lock, and
// `saved` and `pending`, the owner's alone while it runs. The owner's parts are read only
// when the process waits (suspended in a receive, a call or a sleep: then its
// continuation can only be resumed under the lock held here, so it cannot touch them).
// A process that runs, or sits in a run queue between slices, has taken a batch it is
// working through; that batch is counted, not shown, and what arrived since is.

/// One message waiting in a mailbox, described without its contents.
public struct QueuedMessage: Sendable, Equatable {
  /// The Swift type of the message (`ServerMessage<Room>`), or the kind of system
  /// message (`exit`, `down`, `socket event`, `timer`, `timeout`).
  public let type: String
  /// Its enum cases, outermost first (`call(Room.Request.join)`); for system messages
  /// who sent them and why; empty when the message is not an enum.
  public let summary: String
}

/// The first messages in a process's mailbox.
public struct MailboxPeek: Sendable, Equatable {
  /// Oldest first, after the `inBatch` ones.
  public let messages: [QueuedMessage]
  /// Messages the process has taken into the batch it is working through (it runs or
  /// waits in a run queue): they come before `messages` and are not shown.
  public let inBatch: Int
  /// Messages waiting in all (as `ProcessSnapshot.messageQueueLength`).
  public let total: Int
}

/// Describes messages by their types and enum cases.
enum MessageDescription {
  static func describe<M>(_ message: Message<M>) -> QueuedMessage {
    switch message {
    case .message(let m): return QueuedMessage(type: typeName(of: m), summary: cases(of: m))
    case .timer(_, let m): return QueuedMessage(type: "timer: " + typeName(of: m), summary: cases(of: m))
    case .exit(let from, let reason): return QueuedMessage(type: "exit", summary: "from \(from): \(reason)")
    case .down(_, let pid, let reason): return QueuedMessage(type: "down", summary: "\(pid): \(reason)")
    case .timeout: return QueuedMessage(type: "timeout", summary: "")
    case .io(let socket, let event): return QueuedMessage(type: "socket event", summary: "#\(socket.id) \(eventName(event))")
    }
  }

  static func typeName(of value: Any) -> String { String(describing: type(of: value)) }

  /// `call(Room.Request.join)`: the case's name, and inside it the first enum found in
  /// its payload, two levels deep. Payload values are never printed.
  static func cases(of value: Any, depth: Int = 0) -> String {
    let mirror = Mirror(reflecting: value)
    switch mirror.displayStyle {
    case .optional:
      guard let wrapped = mirror.children.first else { return "nil" }
      return cases(of: wrapped.value, depth: depth)
    case .enum:
      // A case without a payload has no child; its description is its name.
      guard let child = mirror.children.first, let name = child.label else {
        return qualified(value, String(describing: value), depth)
      }
      guard depth < 2 else { return qualified(value, name, depth) }
      let payload = Mirror(reflecting: child.value)
      var inner = ""
      if payload.displayStyle == .tuple {
        for element in payload.children {
          inner = cases(of: element.value, depth: depth + 1)
          if !inner.isEmpty { break }
        }
      } else {
        inner = cases(of: child.value, depth: depth + 1)
      }
      return qualified(value, inner.isEmpty ? name : "\(name)(\(inner))", depth)
    default:
      return ""
    }
  }

  /// Inner cases name their type (`Room.Request.join`), without the module.
  private static func qualified(_ value: Any, _ text: String, _ depth: Int) -> String {
    guard depth > 0 else { return text }
    let full = String(reflecting: type(of: value))
    let parts = full.split(separator: ".", maxSplits: 1)
    return (parts.count == 2 ? String(parts[1]) : full) + "." + text
  }

  static func eventName(_ event: SocketEvent) -> String {
    switch event {
    case .data(let bytes): return "data (\(bytes.count) bytes)"
    default:
      let text = String(describing: event)
      return String(text.prefix { $0 != "(" })
    }
  }
}

extension Process {
  /// The first `limit` messages waiting, described (see the file's header for which).
  /// Not inlinable: looked at rarely, it may run unspecialised.
  @usableFromInline final func peekMailbox(limit: Int) -> MailboxPeek {
    var taken: [Message<M>] = []
    var inBatch = 0
    var total = 0
    lock.withLock {
      total = inbound.count - inboundSignals + privateQueueLength.load(ordering: .relaxed)
      if runState == .waiting {
        var i = 0
        while i < saved.count && taken.count < limit {
          taken.append(saved[i])
          i += 1
        }
        i = 0
        while i < pending.count && taken.count < limit {
          if let m = Process.visible(pending[i]) { taken.append(m) }
          i += 1
        }
      } else {
        inBatch = privateQueueLength.load(ordering: .relaxed)
      }
      var i = 0
      while i < inbound.count && taken.count < limit {
        if let m = Process.visible(inbound[i]) { taken.append(m) }
        i += 1
      }
    }
    // Described outside the lock: reflection takes a while, and senders wait on the lock.
    return MailboxPeek(messages: taken.map(MessageDescription.describe), inBatch: inBatch, total: max(0, total))
  }

  /// A mailbox entry as the process would see it, if it is a message (signals are not).
  static func visible(_ entry: Inbound<M>) -> Message<M>? {
    switch entry {
    case .message(let m): return .message(m)
    case .timer(let ref, let m): return .timer(ref, m)
    case .io(let socket, let event): return .io(socket, event)
    case .signal: return nil
    }
  }
}

extension Node {
  /// The first `limit` messages waiting in `pid`'s mailbox, described by type and enum
  /// case; nil if it has exited. Never waits for the process.
  public func queuedMessages(of pid: Pid, limit: Int = 20) -> MailboxPeek? {
    guard case .mailbox(let peek) = pid.core.control(pid.core, .peek(limit: max(0, limit))), pid.core.isAlive else { return nil }
    return peek
  }
}

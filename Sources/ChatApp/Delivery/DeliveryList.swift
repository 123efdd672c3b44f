// A room's members on this node, laid out for a broadcast: grouped by the variant of a
// line they take (Caps.tagVariant), each with its socket — or, for other endpoints
// (WebSocket, the tests' in-memory ones), the endpoint. Made once per change of members
// or of a member's capabilities, then read by every message: a copy costs one entry
// read and one `Socket.send` of the variant's bytes, looked up once per variant. A walk
// over the members read each member's handle (its capabilities, its endpoint: a cache
// miss per member) and retained it, the handle and the endpoint per copy.
//
// Owner: the process that holds it — a room in its state (Room.State), for its local
// members; a relay worker in its cache (Cluster/RelayWorker.swift), for the members of
// a room on another node that sit here. Any change of the room's members drops it
// (`Room.State.members`; a worker's list is keyed by the recipients it was made for); a
// change of a registered client's capabilities makes every list stale
// (`ChatServices.capabilityChanges`, read when a list is made and before each use).
import Actors
import Synchronization

/// The local recipients of one room's broadcasts, by tag variant.
final class DeliveryList {
  /// A member whose endpoint is a plain IRC socket: the variant's bytes go to it as they
  /// are (what `Socket.deliver` does).
  struct SocketTarget {
    /// The member's client id (a sender without echo-message is skipped by it).
    let id: UInt64
    /// Not retained: the member's handle, in the room's members (or the worker's cache
    /// entry), holds its endpoint, and the list is dropped before any member leaves them —
    /// so while the list exists, every socket in it is alive. Reading it retains nothing.
    let socket: Unmanaged<Socket>
  }

  /// A member with another kind of endpoint.
  struct EndpointTarget {
    let id: UInt64
    let caps: Caps
    let endpoint: any ClientEndpoint
  }

  private struct Lists {
    /// By `Caps.tagVariant`.
    var sockets: [[SocketTarget]] = Array(repeating: [], count: Caps.tagVariants)
    var others: [EndpointTarget] = []
    /// `ChatServices.capabilityChanges` when the lists were made.
    var capabilityChanges: UInt64
  }

  /// Nil until needed after a change.
  private var lists: Lists?

  init() {}

  /// Drops the lists: the members are about to change.
  func invalidate() { lists = nil }

  /// Sends `line` to every local member of `members` but `except` (a sender that did not
  /// ask for its echo); a TAGMSG (`onlyMessageTags`) only to members with message-tags.
  /// Returns the copies sent.
  func send(
    _ line: TaggedLine, members: [UInt64: ChannelMember], except: UInt64?, onlyMessageTags: Bool, _ services: ChatServices
  ) -> Int {
    let changes = services.capabilityChanges.load(ordering: .acquiring)
    if lists?.capabilityChanges != changes { lists = make(members.values.lazy.filter { !$0.isRemote }.map(\.client), changes) }
    return send(line, except: except, onlyMessageTags: onlyMessageTags)
  }

  /// Sends `line` to each of `clients` (all of this node) but `except`. The caller keeps
  /// `clients` alive, unchanged, as long as it keeps this list. Returns the copies sent.
  func send(_ line: TaggedLine, clients: [ClientHandle], except: UInt64?, _ services: ChatServices) -> Int {
    let changes = services.capabilityChanges.load(ordering: .acquiring)
    if lists?.capabilityChanges != changes { lists = make(clients, changes) }
    return send(line, except: except, onlyMessageTags: false)
  }

  private func send(_ line: TaggedLine, except: UInt64?, onlyMessageTags: Bool) -> Int {
    guard let lists else { return 0 }
    var copies = 0
    for variant in 0..<Caps.tagVariants {
      let caps = Caps.ofVariant(variant)
      if onlyMessageTags && !caps.contains(.messageTags) { continue }
      copies += lists.sockets[variant].withUnsafeBufferPointer { targets -> Int in
        guard !targets.isEmpty else { return 0 }
        let bytes = line.bytes(for: caps)
        // Each socket is asked into the cache a few sends ahead of its own.
        for t in targets.prefix(Self.prefetchDistance) { t.socket._withUnsafeGuaranteedRef { $0.prefetchForSend() } }
        var sent = 0
        for i in targets.indices {
          if i + Self.prefetchDistance < targets.count {
            targets[i + Self.prefetchDistance].socket._withUnsafeGuaranteedRef { $0.prefetchForSend() }
          }
          guard targets[i].id != except else { continue }
          targets[i].socket._withUnsafeGuaranteedRef { _ = $0.send(bytes) }
          sent += 1
        }
        return sent
      }
    }
    for t in lists.others where t.id != except {
      if onlyMessageTags && !t.caps.contains(.messageTags) { continue }
      t.endpoint.deliver(line, caps: t.caps)
      copies += 1
    }
    return copies
  }

  private func make(_ clients: some Sequence<ClientHandle>, _ changes: UInt64) -> Lists {
    var lists = Lists(capabilityChanges: changes)
    for client in clients {
      let caps = client.capabilities
      if let socket = client.endpoint as? Socket {
        lists.sockets[caps.tagVariant].append(SocketTarget(id: client.id, socket: Unmanaged.passUnretained(socket)))
      } else {
        lists.others.append(EndpointTarget(id: client.id, caps: caps, endpoint: client.endpoint))
      }
    }
    return lists
  }

  /// How many sockets ahead of the one being sent to are brought into the cache: enough
  /// to cover a miss's latency with the sends in between, few enough to stay in L1.
  private static var prefetchDistance: Int { 8 }

}

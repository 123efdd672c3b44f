// What encoding and decoding need to know beyond the bytes: which node this is, which
// link a message travels on, how pids of either side are written. One per message being
// encoded or decoded, owned by the code doing it (not shared between threads).
@_spi(Distribution) import Actors

final class WireContext {
  let core: DistributionCore
  /// The link the message goes out on or came in from.
  let link: PeerLink
  /// The reply slot a decoded request carried (so it is delivered as a request).
  var decodedReplyCell: AnyReplyCell?
  /// The number of the call an encoded request registered (its ReplyTo).
  var encodedCallID: UInt64?

  init(core: DistributionCore, link: PeerLink) {
    self.core = core
    self.link = link
  }
}

extension WireEncoder {
  /// A new encoder for a message to `link`'s node.
  static func to(_ link: PeerLink) -> WireEncoder { WireEncoder(context: WireContext(core: link.core, link: link)) }
}

/// A process's identity on the wire: its node, that node's incarnation, its number.
struct WirePid: Hashable, Sendable {
  var node: String
  var incarnation: UInt64
  var id: UInt64
}

extension WireEncoder {
  mutating func writePid(_ pid: Pid) {
    let w: WirePid
    if let r = pid.remoteIdentity {
      w = WirePid(node: r.nodeName, incarnation: r.incarnation, id: r.id)
    } else if let context {
      w = WirePid(node: context.core.name, incarnation: context.core.incarnation, id: pid.id)
    } else {
      w = WirePid(node: "", incarnation: 0, id: pid.id)
    }
    w.node.encode(to: &self)
    writeVarint(w.incarnation)
    writeVarint(w.id)
  }
}

extension WireDecoder {
  mutating func readWirePid() throws -> WirePid {
    WirePid(node: try String(from: &self), incarnation: try readVarint(), id: try readVarint())
  }
}

extension Pid: Transportable {
  /// A pid is written as its node, incarnation and number. Read on another node it is a
  /// proxy; read back on its own node it is the process itself — or, if that incarnation
  /// of the node is gone (it rejoined), a pid of nothing: sends to it are dropped.
  public func encode(to e: inout WireEncoder) { e.writePid(self) }
  public init(from d: inout WireDecoder) throws {
    let w = try d.readWirePid()
    guard let context = d.context else { throw WireError.notTransportable("a pid outside a link") }
    self = context.core.pid(for: w)
  }
}

extension Address: Transportable where M: Transportable {
  /// An address is a pid whose process takes `M`: writing it lets its node's peers send
  /// it messages (the process is exported until it ends).
  public func encode(to e: inout WireEncoder) {
    if pid.remoteIdentity == nil { e.context?.core.export(self) }
    e.writePid(pid)
  }
  public init(from d: inout WireDecoder) throws {
    let w = try d.readWirePid()
    guard let context = d.context else { throw WireError.notTransportable("an address outside a link") }
    self = context.core.address(for: w, as: M.self)
  }
}

extension ReplyTo: Transportable where R: Transportable {
  /// The reply slot of a call to another node: its caller's node keeps the slot under a
  /// number, and the callee's node answers that number.
  public func encode(to e: inout WireEncoder) {
    guard let context = e.context else { return e.writeVarint(0) }
    let id = context.link.registerCall(replyCell)
    context.encodedCallID = id
    e.writeVarint(id)
  }
  public init(from d: inout WireDecoder) throws {
    let callID = try d.readVarint()
    guard let context = d.context else { throw WireError.notTransportable("a reply slot outside a link") }
    let link = context.link
    let cell = ReplyCell<R>.forwarding { cell in link.sendReply(callID, cell.remoteOutcome) }
    context.decodedReplyCell = cell
    self = cell.replyTo
  }
}

extension ExitReason: Transportable {
  /// A thrown error crosses as its description (`custom`): the type stays home.
  public func encode(to e: inout WireEncoder) {
    switch self {
    case .normal: e.tag(0)
    case .shutdown: e.tag(1)
    case .shutdownWith(let s):
      e.tag(2)
      s.encode(to: &e)
    case .kill: e.tag(3)
    case .killed: e.tag(4)
    case .noproc: e.tag(5)
    case .noconnection: e.tag(6)
    case .error(let error):
      e.tag(7)
      "error: \(String(describing: error))".encode(to: &e)
    case .custom(let s):
      e.tag(7)
      s.encode(to: &e)
    }
  }
  public init(from d: inout WireDecoder) throws {
    switch try d.tag() {
    case 0: self = .normal
    case 1: self = .shutdown
    case 2: self = .shutdownWith(try d.read())
    case 3: self = .kill
    case 4: self = .killed
    case 5: self = .noproc
    case 6: self = .noconnection
    case 7: self = .custom(try d.read())
    case let t: throw WireError.unknownTag(t, in: "ExitReason")
    }
  }
}

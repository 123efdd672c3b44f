// GenServer messages across nodes: calls (with their reply slot), casts and infos. The
// system requests (stop, state, status) stay local: they are dropped, and logged by the
// sender, if one is sent to another node.
import Actors
import GenServer

extension Never: Transportable {
  public func encode(to encoder: inout WireEncoder) {}
  public init(from decoder: inout WireDecoder) throws { throw WireError.invalid("a value of an empty type") }
}

extension ServerMessage: Transportable
where S.Request: Transportable, S.Reply: Transportable, S.Cast: Transportable, S.Info: Transportable {
  public func encode(to e: inout WireEncoder) {
    switch self {
    case .call(let request, let from):
      e.tag(0)
      request.encode(to: &e)
      from.encode(to: &e)
    case .cast(let message):
      e.tag(1)
      message.encode(to: &e)
    case .info(let info):
      e.tag(2)
      info.encode(to: &e)
    case .system:
      e.context?.core.node.logger.error("a GenServer system request (stop, state, status) cannot be sent to another node: dropped")
      e.tag(3)
    }
  }

  public init(from d: inout WireDecoder) throws {
    switch try d.tag() {
    case 0: self = .call(try S.Request(from: &d), try From<S.Reply>(from: &d))
    case 1: self = .cast(try S.Cast(from: &d))
    case 2: self = .info(try S.Info(from: &d))
    case 3: throw WireError.dropped("a GenServer system request")
    case let t: throw WireError.unknownTag(t, in: "ServerMessage")
    }
  }
}

// A room's requests and replies as they cross between nodes: members on any node call
// the channel's one room. Clients cross as full records (WireClient); the room's own
// messages (history loaded, settings loaded) never leave its node.
import Actors
import Distribution

extension Room.Request: Transportable {
  func encode(to e: inout WireEncoder) {
    switch self {
    case .join(let client, let key, let readMarker):
      e.tag(0)
      e.write(WireClient(client))
      // The read marker rides as a second element (the key "" then standing for none),
      // so a node of the previous build, mid-reload, still reads the key.
      e.write(readMarker.map { [key ?? "", $0] } ?? key.map { [$0] } ?? [])
    case .part(let client, let reason):
      e.tag(1)
      e.write(WireClient(client))
      e.write(reason.map { [$0] } ?? [])
    case .message(let client, let kind, let text, let tags):
      e.tag(2)
      e.write(WireClient(client))
      e.write(kind.rawValue)
      e.write(text)
      e.write(tags)
    case .topic(let client, let topic):
      e.tag(3)
      e.write(WireClient(client))
      e.write(topic.map { [$0] } ?? [])
    case .names(let client, let end):
      e.tag(4)
      e.write(WireClient(client))
      e.write(end)
    case .mode(let client, let params):
      e.tag(5)
      e.write(WireClient(client))
      e.write(params)
    case .kick(let client, let target, let reason):
      e.tag(6)
      e.write(WireClient(client))
      e.write(target)
      e.write(reason.map { [$0] } ?? [])
    case .invite(let client, let target):
      e.tag(7)
      e.write(WireClient(client))
      e.write(WireClient(target))
    case .emit(let source, let text):
      e.tag(8)
      e.write(source)
      e.write(text)
    case .handOff(let old, let new):
      e.tag(9)
      e.write(WireClient(old))
      e.write(WireClient(new))
    case .mayRegister(let client):
      e.tag(10)
      e.write(WireClient(client))
    case .adoptRegistration(let client, let registration):
      e.tag(11)
      e.write(WireClient(client))
      e.write(registration.founder)
      e.write(registration.time)
      e.write(registration.access)
    case .access(let client, let add, let account):
      e.tag(12)
      e.write(WireClient(client))
      e.write(add)
      e.write(account)
    case .unregister(let client):
      e.tag(13)
      e.write(WireClient(client))
    }
  }

  init(from d: inout WireDecoder) throws {
    func client(_ d: inout WireDecoder) throws -> ClientHandle { try d.read(WireClient.self).client }
    func optional(_ d: inout WireDecoder) throws -> String? { try d.read([String].self).first }
    switch try d.tag() {
    case 0:
      let c = try client(&d)
      let fields = try d.read([String].self)
      let key = fields.first.flatMap { $0.isEmpty ? nil : $0 }
      self = .join(c, key: key, readMarker: fields.count > 1 ? fields[1] : nil)
    case 1: self = .part(try client(&d), reason: try optional(&d))
    case 2:
      let c = try client(&d)
      guard let kind = Room.MessageKind(rawValue: try d.read()) else { throw WireError.invalid("a message kind") }
      self = .message(c, kind, text: try d.read(), tags: try d.read())
    case 3: self = .topic(try client(&d), try optional(&d))
    case 4: self = .names(try client(&d), end: try d.read())
    case 5: self = .mode(try client(&d), try d.read())
    case 6: self = .kick(try client(&d), target: try d.read(), reason: try optional(&d))
    case 7: self = .invite(try client(&d), try client(&d))
    case 8: self = .emit(source: try d.read(), text: try d.read())
    case 9: self = .handOff(try client(&d), to: try client(&d))
    case 10: self = .mayRegister(try client(&d))
    case 11:
      let c = try client(&d)
      self = .adoptRegistration(c, ChannelRegistration(founder: try d.read(), time: try d.read(), access: try d.read()))
    case 12: self = .access(try client(&d), add: try d.read(), account: try d.read())
    case 13: self = .unregister(try client(&d))
    case let t: throw WireError.unknownTag(t, in: "Room.Request")
    }
  }
}

extension Room.Reply: Transportable {
  func encode(to e: inout WireEncoder) {
    switch self {
    case .done: e.tag(0)
    case .refused: e.tag(1)
    }
  }
  init(from d: inout WireDecoder) throws {
    switch try d.tag() {
    case 0: self = .done
    case 1: self = .refused
    case let t: throw WireError.unknownTag(t, in: "Room.Reply")
    }
  }
}

/// A room's own messages never cross.
extension Room.Info: Transportable {
  func encode(to e: inout WireEncoder) { e.tag(0) }
  init(from d: inout WireDecoder) throws { throw WireError.dropped("a room's own message") }
}

extension ClientTag: Transportable {
  func encode(to e: inout WireEncoder) {
    e.write(key)
    e.write(value.map { [$0] } ?? [])
  }
  init(from d: inout WireDecoder) throws {
    key = try d.read()
    value = try d.read([String].self).first
  }
}

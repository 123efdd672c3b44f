// A user as it crosses between chatd nodes: who it is (its connection's pid), what its
// own node published of it (nick, settings, capabilities), and the version of that, so
// that a node applies a user's records in order whichever way they came. Every
// reference to a client in a message between nodes is a full record: a node may hear of
// a user first from a room on a third node, before the user's own node introduced it, and
// still knows everything it needs (Cluster/RemoteUsers.swift).
import Actors
import Distribution

/// What a node knows of one user, for other nodes.
struct UserRecord: Sendable {
  /// The connection process (for a record made here, `location` is filled in on encoding).
  var location: PidLocation?
  var version: UInt64
  var nick: String
  var host: String
  var settings: ClientSettings
  var caps: UInt32
  var signon: UInt32
}

extension ClientSettings {
  /// The flags, one bit each, for the wire.
  fileprivate var flagBits: UInt64 {
    (registered ? 1 : 0) | (invisible ? 2 : 0) | (oper ? 4 : 0) | (wallops ? 8 : 0) | (bot ? 16 : 0)
  }
  fileprivate mutating func setFlags(_ bits: UInt64) {
    registered = bits & 1 != 0
    invisible = bits & 2 != 0
    oper = bits & 4 != 0
    wallops = bits & 8 != 0
    bot = bits & 16 != 0
  }
}

extension UserRecord {
  /// Everything but the pid (also what a session handed to another node carries: HandOff/HandOffWire.swift).
  func encodeFields(to e: inout WireEncoder) {
    e.write(version)
    e.write(nick)
    e.write(host)
    e.write(settings.user)
    e.write(settings.realname)
    e.write(settings.flagBits)
    e.write(UInt64(settings.lastActive))
    e.write(settings.away ?? "")
    e.write(settings.quitMessage ?? "")
    e.write(UInt64(caps))
    e.write(UInt64(signon))
    e.write(settings.account.map { [$0] } ?? [])
  }

  init(location: PidLocation?, fieldsFrom d: inout WireDecoder) throws {
    self.location = location
    version = try d.read()
    nick = try d.read()
    host = try d.read()
    var s = ClientSettings()
    s.user = try d.read()
    s.realname = try d.read()
    s.setFlags(try d.read())
    s.lastActive = Int(try d.read(UInt64.self))
    let away: String = try d.read()
    s.away = away.isEmpty ? nil : away
    let quit: String = try d.read()
    s.quitMessage = quit.isEmpty ? nil : quit
    caps = UInt32(truncatingIfNeeded: try d.read(UInt64.self))
    signon = UInt32(truncatingIfNeeded: try d.read(UInt64.self))
    s.account = try d.read([String].self).first
    settings = s
  }
}

/// A client as it crosses: its pid and full record. Read back it is this node's own
/// handle (a client of this node) or the replica of a remote user, created or brought up
/// to date by the record (RemoteUsers.upsert).
struct WireClient: Transportable {
  let client: ClientHandle

  init(_ client: ClientHandle) { self.client = client }

  func encode(to e: inout WireEncoder) {
    client.pid.encode(to: &e)
    client.record(location: client.remote?.location).encodeFields(to: &e)
  }

  init(from d: inout WireDecoder) throws {
    let pid = try Pid(from: &d)
    let record = try UserRecord(location: pid.location, fieldsFrom: &d)
    guard let node = d.node, let services = ChatServices.of(node) else {
      throw WireError.invalid("a chat client read on a node that runs no chatd")
    }
    guard let network = services.network else { throw WireError.invalid("a remote chat client on a node that is not in a network") }
    guard let location = pid.location, location.node != network.nodeName else {
      // One of ours: the handle itself, or — the client has gone meanwhile (its pid then
      // reads as this node's name with a location), or it was a client of an earlier
      // incarnation of this node — a stand-in that nobody will find (sends to it go
      // nowhere, its pid is dead). Never a replica: this node is its own users' source.
      var own = record
      own.location = nil
      client =
        (pid.location == nil ? services.clients.find(pid.id) : nil)
        ?? RemoteUsers.detached(pid: pid, record: own, services: services)
      return
    }
    client = network.users.upsert(pid: pid, at: location, record, services: services)
  }
}

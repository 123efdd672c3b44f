// Cluster-wide names (Erlang's `global`), with Redis as the arbiter: a name has one
// owner, a process of a live member. Registering is one Lua script (a name held by a
// live owner is refused; one held by a process of a dead member, or of an incarnation
// that is gone, is taken over); looking up is another, which drops a name whose owner's
// node is no longer a live member — so a name is released when its node dies, at the
// next look. A live member is one whose incarnation Redis still holds, not buried (as
// membership decides it): a lease past its expiry that nobody buried yet, or that went
// unrenewed while Redis itself was away, still counts, since its owner may renew it.
// When the owner process ends, its node releases the name at once.
//
// Owner: the registrar process of each node watches that node's owners; Redis holds the
// names (`otter:{cluster}:global:<name>` = "<node> <incarnation> <id>").
@_spi(Distribution) import Actors
import Redis

/// Cluster-wide names for processes, one owner each.
///
/// ```swift
/// let names = try await GlobalNames.start(dist, redis: client)
/// guard try await names.register("presence", presence.address, ctx) else { /* taken */ }
/// let p = try await names.whereis("presence", as: PresenceMessage.self, ctx)
/// ```
public struct GlobalNames: Sendable {
  let dist: Distribution
  let redis: RedisClient
  let prefix: String
  let registrar: Address<RegistrarMessage>

  /// Starts this node's registrar. The distribution must have been started with Redis
  /// (names follow its membership).
  public static func start(_ dist: Distribution, redis: RedisClient) async throws -> GlobalNames {
    guard dist.membership != nil else {
      throw DistributionError.invalid("global names need a distribution started with Redis (its membership says who is alive)")
    }
    let prefix = "otter:{\(dist.core.cluster)}"
    let registrar = dist.core.node.spawn(RegistrarMessage.self) { ctx in
      ctx.label = "global names \(dist.name)"
      var owned: [Pid: [String: String]] = [:]
      while let message = try await ctx.receive() {
        switch message {
        case .message(.watch(let pid, let name, let value)):
          if owned[pid] == nil { ctx.monitor(pid) }
          owned[pid, default: [:]][name] = value
        case .message(.forget(let name)):
          for pid in owned.keys { owned[pid]?[name] = nil }
        case .down(_, let pid, _):
          for (name, value) in owned.removeValue(forKey: pid) ?? [:] {
            _ = try? await redis.on(ctx).eval(releaseScript, keys: ["\(prefix):global:\(name)"], args: [value])
          }
        default: continue
        }
      }
    }
    return GlobalNames(dist: dist, redis: redis, prefix: prefix, registrar: registrar)
  }

  private func key(_ name: String) -> String { "\(prefix):global:\(name)" }
  private var livenessKeys: [String] { ["\(prefix):incarnations"] }

  /// Registers `address` (a process of this node) under `name` for the whole cluster.
  /// False if a live process of a live member holds it.
  public func register<M: Transportable>(_ name: String, _ address: Address<M>, _ caller: some RedisCaller) async throws -> Bool {
    guard !name.isEmpty else { throw DistributionError.invalid("an empty global name") }
    guard address.pid.remoteIdentity == nil else { throw DistributionError.invalid("only a process of this node can be registered here") }
    let value = "\(dist.name) \(dist.incarnation) \(address.pid.id)"
    dist.export(address)
    let reply = try await redis.on(caller).eval(registerScript, keys: [key(name)] + livenessKeys, args: [value])
    guard reply.string == "OK" else { return false }
    registrar.send(.watch(address.pid, name, value))
    return true
  }

  /// Takes `name` for `pid` (a process of this node) as its owner, with nothing to send
  /// to under it: a unique name (a nick) that is free again when the process ends or its
  /// node dies. False if a live process of a live member holds it.
  public func claim(_ name: String, owner pid: Pid, _ caller: some RedisCaller) async throws -> Bool {
    guard !name.isEmpty else { throw DistributionError.invalid("an empty global name") }
    guard pid.remoteIdentity == nil else { throw DistributionError.invalid("only a process of this node can own a name here") }
    let value = "\(dist.name) \(dist.incarnation) \(pid.id)"
    let reply = try await redis.on(caller).eval(registerScript, keys: [key(name)] + livenessKeys, args: [value])
    guard reply.string == "OK" else { return false }
    registrar.send(.watch(pid, name, value))
    return true
  }

  /// Moves `name` from `previous` — a process of another node, or of this one — to
  /// `pid`, a process of this node, if `previous` still holds it: one step in Redis, so
  /// the name is never free in between (a session handed from one node to another keeps
  /// its nick). False if another process holds it, or nobody; true also when `pid`
  /// holds it already (a retry).
  public func transfer(_ name: String, from previous: PidLocation, to pid: Pid, _ caller: some RedisCaller) async throws -> Bool {
    guard !name.isEmpty else { throw DistributionError.invalid("an empty global name") }
    guard pid.remoteIdentity == nil else { throw DistributionError.invalid("only a process of this node can own a name here") }
    let old = "\(previous.node) \(previous.incarnation) \(previous.number)"
    let value = "\(dist.name) \(dist.incarnation) \(pid.id)"
    let reply = try await redis.on(caller).eval(transferScript, keys: [key(name)], args: [old, value])
    guard reply.string == "OK" else { return false }
    registrar.send(.watch(pid, name, value))
    return true
  }

  /// Releases `name` if this node's process holds it.
  public func unregister(_ name: String, _ caller: some RedisCaller) async throws {
    guard let current = try await redis.on(caller).get(key(name))?.string, current.hasPrefix("\(dist.name) \(dist.incarnation) ") else {
      return
    }
    _ = try await redis.on(caller).eval(releaseScript, keys: [key(name)], args: [current])
    registrar.send(.forget(name))
  }

  /// The process registered as `name`, if its node is a live member (a name whose owner's
  /// node is gone is released by this look).
  public func whereis<M: Transportable>(_ name: String, as type: M.Type, _ caller: some RedisCaller) async throws -> Address<M>? {
    let reply = try await redis.on(caller).eval(whereisScript, keys: [key(name)] + livenessKeys)
    guard let value = reply.string else { return nil }
    let parts = value.split(separator: " ")
    guard parts.count == 3, let incarnation = UInt64(parts[1]), let id = UInt64(parts[2]) else { return nil }
    return dist.core.address(for: WirePid(node: String(parts[0]), incarnation: incarnation, id: id), as: M.self)
  }

  /// Sends to the process registered as `name`; false if there is none.
  @discardableResult
  public func send<M: Transportable>(_ message: M, to name: String, _ caller: some RedisCaller) async throws -> Bool {
    guard let address = try await whereis(name, as: M.self, caller) else { return false }
    address.send(message)
    return true
  }
}

enum RegistrarMessage: Sendable {
  case watch(Pid, String, String)
  case forget(String)
}

/// Is the owner in ARGV-like `value` ("<node> <incarnation> <id>") a live member: is
/// that incarnation of its node registered (not buried)? KEYS: the incarnations hash.
private let liveOwner = """
  local function live(value, incarnations)
    local node, inc = string.match(value, '^(%S+) (%d+) %d+$')
    if not node then return false end
    return redis.call('HGET', incarnations, node) == inc
  end
  """

/// KEYS: name, incarnations. ARGV: value. "OK", or the live holder's value.
private let registerScript = RedisScript(
  liveOwner + "\n" + """
    local cur = redis.call('GET', KEYS[1])
    if cur and cur ~= ARGV[1] and live(cur, KEYS[2]) then return cur end
    redis.call('SET', KEYS[1], ARGV[1])
    return 'OK'
    """)

/// KEYS: name, incarnations. The live holder's value, or nil (a dead one is dropped).
private let whereisScript = RedisScript(
  liveOwner + "\n" + """
    local cur = redis.call('GET', KEYS[1])
    if not cur then return false end
    if live(cur, KEYS[2]) then return cur end
    redis.call('DEL', KEYS[1])
    return false
    """)

/// KEYS: name. ARGV: the previous owner's value, the new one. "OK" if the name had
/// either (it has the new one now), else its value (or nil).
private let transferScript = RedisScript(
  """
  local cur = redis.call('GET', KEYS[1])
  if cur == ARGV[1] or cur == ARGV[2] then
    redis.call('SET', KEYS[1], ARGV[2])
    return 'OK'
  end
  return cur
  """)

/// KEYS: name. ARGV: value. Deletes the name if it still has that value.
private let releaseScript = RedisScript(
  """
  if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
  return 0
  """)

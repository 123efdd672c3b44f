// Posting into a chat network from any other process (Socket.IO's emitter, with an
// acknowledgement): the emitter joins the network as a node of its own kind — it holds
// no users and gets none of their traffic — finds the channel's room through Redis, and
// calls it over a direct link. The call returns once the room has taken the message:
// sent to its members on every node and recorded in the history. A channel nobody is in
// has no room: that is an error, not a silent drop.
import Actors
import Distribution
import Foundation
import GenServer
import Redis

/// A connection to a chat network for posting into its channels.
///
/// ```swift
/// let emitter = try await ChatEmitter.connect(cluster: "redis://127.0.0.1:6379")
/// try await emitter.emit("#deploys", "build 1234 is live", as: "ci")
/// await emitter.close()
/// ```
public final class ChatEmitter: Sendable {
  let node: Node
  let ownsNode: Bool
  let redis: RedisClient
  let dist: Distribution
  let names: GlobalNames

  private init(node: Node, ownsNode: Bool, redis: RedisClient, dist: Distribution, names: GlobalNames) {
    self.node = node
    self.ownsNode = ownsNode
    self.redis = redis
    self.dist = dist
    self.names = names
  }

  /// Joins the network coordinated by the Redis at `url` (as `chatd --cluster`).
  /// `clusterName` and `secret` as the network's nodes were given them (the secret
  /// defaults to the one the network keeps in Redis).
  public static func connect(
    cluster url: String, clusterName: String = "chatd", secret: String? = nil, on node: Node? = nil
  ) async throws(EmitError) -> ChatEmitter {
    let theNode: Node
    do {
      theNode = try node ?? Node(schedulers: 1, name: "chatd-emit")
    } catch {
      throw .network("cannot start: \(error)")
    }
    var config = ChatConfig()
    config.cluster = url
    config.clusterName = clusterName
    config.clusterSecret = secret
    // A name no other process will hold: host and OS pid.
    config.nodeName = "emit-\(ProcessInfo.processInfo.hostName.prefix(20))-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
      .map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" }.reduce(into: "") { $0.append($1) }
    do {
      let network = try await ChatNetwork.start(config, role: "emitter", on: theNode)
      return ChatEmitter(node: theNode, ownsNode: node == nil, redis: network.redis, dist: network.dist, names: network.names)
    } catch {
      if node == nil { theNode.shutdown() }
      throw .network("\(error)")
    }
  }

  /// Posts `text` into `channel` as `name` (shown as `name!emit@<this node>`), and
  /// returns once the channel's room has taken it. Throws `.noSuchChannel` if nobody is
  /// in the channel, `.refused` if the room would not post it (an empty or multi-line
  /// text), `.network` if the room could not be reached within `timeout`.
  public func emit(_ channel: String, _ text: String, as name: String = "emitter", timeout: Duration = .seconds(10)) async throws(EmitError)
  {
    guard Names.isChannel(channel) else { throw .invalid("\"\(channel)\" is not a channel name (it starts with #)") }
    guard Names.isValidNick(name, maxLength: 64) else { throw .invalid("\"\(name)\" is not a valid nick for --as") }
    guard !text.isEmpty, !text.contains("\r"), !text.contains("\n"), !text.contains("\0") else {
      throw .invalid("the text must be one non-empty line")
    }
    let key = Names.fold(channel)
    let source = "\(name)!emit@\(dist.name)"
    let (reply, request) = node.makeReply(Result<Room.Reply, EmitError>.self)
    let names = self.names
    let dist = self.dist
    node.spawn(Never.self, options: SpawnOptions(label: "emit \(channel)")) { ctx in
      let deadline = ContinuousClock.now + timeout
      var last = "no answer"
      while ContinuousClock.now < deadline {
        do {
          guard let room = try await names.whereis(ChatNetwork.roomName(key), as: ServerMessage<Room>.self, ctx) else {
            reply.reply(.failure(.noSuchChannel(channel)))
            return
          }
          if let peer = room.pid.remoteNode, !dist.connectedNodes.contains(peer),
            let member = dist.members.first(where: { $0.name == peer })
          {
            try await dist.connect(to: peer, at: member.address, incarnation: member.incarnation)
          }
          reply.reply(.success(try await ctx.call(GenServerRef(room), .emit(source: source, text: text), timeout: .seconds(5))))
          return
        } catch {
          last = "\(error)"
          try? await ctx.sleep(for: .milliseconds(100))
        }
      }
      reply.reply(.failure(.network("\(channel) could not be reached: \(last)")))
    }
    let outcome: Result<Room.Reply, EmitError>
    do {
      outcome = try await node.receiveResponse(request, timeout: .after(timeout + .seconds(1)))
    } catch {
      throw .network("no answer within \(timeout)")
    }
    switch outcome {
    case .success(.done): return
    case .success(.refused): throw .refused(channel)
    case .failure(let e): throw e
    }
  }

  /// Leaves the network (the nodes see this one go at once).
  public func close() async {
    await dist.leave()
    await redis.stop(node)
    if ownsNode { node.shutdown() }
  }
}

/// Why a post did not go through.
public enum EmitError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Nobody is in the channel: it has no room to post into.
  case noSuchChannel(String)
  /// The room would not post it.
  case refused(String)
  /// The arguments cannot be posted (the message says why).
  case invalid(String)
  /// The network could not be joined or the room reached.
  case network(String)

  public var description: String {
    switch self {
    case .noSuchChannel(let c): return "no such channel \(c): nobody is in it"
    case .refused(let c): return "\(c) refused the message"
    case .invalid(let why): return why
    case .network(let why): return "network: \(why)"
    }
  }
}

// Telling a dead member from a slow one before its lease runs out. A link that breaks
// says little: the peer may have died, or the network between us may have failed. But
// if the peer's address then refuses connections, no process listens there any more —
// its OS process is gone (a kill -9, a crash) — and waiting out its lease would only
// keep its names taken and its users listed. So the member is declared down in Redis at
// once. Anything else (the address accepts, the connect times out, the host is
// unreachable) proves nothing, and the lease decides as before. This is what lets the
// lease be long enough that a node which is merely busy — a loaded machine, a pause —
// keeps its place, while a crashed one is gone in well under a second.
//
// Owner: none; each probe is a short-lived process of its own, started from a link's
// `nodeDown`, that ends after one connect.
import Actors
import Glibc

enum GoneProbe {
  /// How long a probe waits for its connect: a refusal comes back at once.
  static let connectTimeout: Duration = .seconds(2)
  /// Connects a probe tries, and the time between them.
  static let attempts = 5
  static let spacing: Duration = .milliseconds(200)

  /// Watches `core`'s links: when one to a member still listed by `membership` goes
  /// down, probes the member's address, and declares it down if the address refuses.
  static func watch(_ core: DistributionCore, membership: Membership) -> UInt64 {
    let node = core.node
    return core.watch { event in
      guard case .nodeDown(let peer, _) = event else { return }
      guard let info = membership.members.first(where: { $0.name == peer && $0.name != membership.current.name }) else {
        node.logger.debug("membership: \(peer)'s link went down; not a member any more")
        return
      }
      node.spawn(Never.self, options: SpawnOptions(label: "gone probe \(peer)")) { ctx in
        // A process being killed may still take a connection or two while the kernel
        // closes its sockets: ask a few times before believing it is there.
        var refused = false
        for attempt in 0..<attempts {
          if attempt > 0 { try await ctx.sleep(for: spacing) }
          refused = await refuses(info.address, ctx)
          if refused { break }
        }
        guard refused else {
          ctx.node.logger.debug("membership: \(peer)'s address \(info.address) does not refuse connections: its lease decides")
          return
        }
        let reason = "its address \(info.address) refuses connections (the process is gone)"
        if await membership.declareDown(peer, incarnation: info.incarnation, reason: reason, ctx) {
          ctx.node.logger.notice("membership: declared \(peer) down: \(reason)")
        } else {
          ctx.node.logger.debug(
            "membership: \(peer) was not declared down (not registered as \(info.incarnation) any more, or Redis did not answer)")
        }
      }
    }
  }

  /// Whether nothing listens at `address` ("host:port") now: a TCP connect is refused.
  /// False when it connects, times out or fails otherwise, or `address` does not parse.
  static func refuses<M: Sendable>(_ address: String, _ ctx: Context<M>) async -> Bool {
    guard let (host, port) = try? LinkProcess.split(address) else { return false }
    do {
      let socket = try await ctx.connect(tcp: host, port: port, timeout: .after(connectTimeout))
      socket.close()
      return false
    } catch SocketError.system(_, let errno) where errno == ECONNREFUSED {
      return true
    } catch {
      return false
    }
  }
}

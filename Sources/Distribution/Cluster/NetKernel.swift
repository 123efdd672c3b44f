// The node's distribution process (Erlang's net_kernel): it owns the listener and hands
// each accepted connection to a link process of its own, starts links to dial, and
// watches the exported processes so they stop being reachable when they end.
//
// Owner: the listener socket and the monitors of exports belong to this process.
@_spi(Distribution) import Actors

enum NetKernelMessage: Sendable {
  /// Watch an exported process (forget it when it ends).
  case watch(Pid)
  /// Connect to `peer` at `address` unless a link to it exists.
  case dial(peer: String, incarnation: UInt64, address: String)
  case stop
  /// Dial the members that should be connected and are not (every `retry`).
  case retryDials
}

enum NetKernel {
  /// How often members that should be connected and are not are dialed again.
  static let retry = Duration.milliseconds(500)

  static func run(_ ctx: Context<NetKernelMessage>, core: DistributionCore, listener: Socket) async throws {
    ctx.label = "dist net_kernel \(core.name)"
    ctx.trapExit = true
    try ctx.activate(listener, .once)
    ctx.startTimer(retry, .retryDials)
    while let message = try await ctx.receive() {
      switch message {
      case .io(let s, .accepted(let socket)) where s === listener:
        let link = ctx.spawn(LinkMessage.self) { c in
          guard let socket = try? await c.receiveSocket(timeout: .seconds(5)) else { return }
          await LinkProcess.run(c, core: core, side: .accepted(socket))
        }
        try? ctx.transfer(socket, to: link.pid)
        try ctx.activate(listener, .once)
      case .io(let s, .error(let e)) where s === listener:
        core.node.logger.error("distribution listener failed: \(e)")
        try ctx.activate(listener, .once)
      case .message(.watch(let pid)):
        ctx.monitor(pid)
      case .down(_, let pid, _):
        core.forget(pid)
      case .message(.dial(let peer, let incarnation, let address)):
        if let existing = core.link(to: peer), !existing.isDown, existing.peerIncarnation == incarnation || incarnation == 0 { continue }
        ctx.spawn(LinkMessage.self) { c in
          await LinkProcess.run(c, core: core, side: .dialing(peer: peer, incarnation: incarnation, address: address))
        }
      case .message(.stop):
        listener.close()
        return
      case .exit(_, let reason):
        // Trapped so that a link process's end does not take the kernel with it; told to
        // stop (the node shutting down), it stops.
        if case .normal = reason { continue }
        listener.close()
        return
      case .timer(_, .retryDials):
        for m in core.membersToDial { ctx.address.send(.dial(peer: m.name, incarnation: m.incarnation, address: m.address)) }
        ctx.startTimer(retry, .retryDials)
      default: continue
      }
    }
  }
}

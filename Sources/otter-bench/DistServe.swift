// The other node of the `dist` benchmark: `otter-bench --serve-dist NAME` starts a node
// named NAME with its distribution on a free loopback port, registers an echo, a
// control server (it makes sinks) and a counter server, prints "PORT <n>" and serves
// until its standard input closes (or it is killed, which the node-down measurement
// does). The child OS process owns its node; the parent only talks to it over the link.
import Actors
import Distribution
import DistributionExamples
import Foundation
import GenServer

/// Runs the child node; never returns.
func serveDist(name: String) async -> Never {
  func fail(_ why: String) -> Never {
    FileHandle.standardError.write(Data("otter-bench --serve-dist: \(why)\n".utf8))
    exit(1)
  }
  do {
    let node = try Node(name: name)
    let dist = try await Distribution.start(DistributionConfiguration(name: name, secret: DistBenchNames.secret), on: node)
    let echo = node.spawn(Echo.self) { ctx in try await Echo.serve(ctx) }
    try dist.register(DistBenchNames.echo, echo)
    guard let control = try await node.start(DistControl(node: node)), let counter = try await node.start(Counter()) else {
      fail("a server did not start")
    }
    try dist.register(DistBenchNames.control, control.address)
    try dist.register(DistBenchNames.counter, counter.address)
    let port = dist.address.split(separator: ":").last.map(String.init) ?? "0"
    FileHandle.standardOutput.write(Data("PORT \(port)\n".utf8))
  } catch {
    fail("\(error)")
  }
  var byte: UInt8 = 0
  while read(0, &byte, 1) > 0 {}
  exit(0)
}

// What the OS process child tests share: the test child binary (otter-test-child, a
// script of steps), specs made from its steps, and ways to find a child's OS process
// and tell whether an OS process is gone.
import Glibc
import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// The built otter-test-child (the test is skipped, saying how to build it, if missing).
func testChildPath() throws -> String { try builtExecutable("otter-test-child") }

/// An OS process spec running otter-test-child with `steps`; quick to stop and to be
/// counted stable (short shutdown timeout and minimum uptime).
func testChild(
  _ steps: [String], readiness: Readiness = .spawned, shutdownTimeout: Duration = .seconds(2), minUptime: Duration = .milliseconds(200)
) throws -> OSProcessSpec {
  var spec = OSProcessSpec(try testChildPath(), arguments: steps)
  spec.readiness = readiness
  spec.shutdownTimeout = shutdownTimeout
  spec.minUptime = minUptime
  return spec
}

/// The OS pid of child `id`'s OS process, if it runs.
func osPid(of id: String, in sup: GenServerRef<Supervisor>, _ node: Node) async throws -> Int32? {
  try await node.whichChildren(sup).first { $0.id == id }?.os?.osPid
}

/// Whether OS process `pid` has ended: no /proc entry, or a zombie (its parent has not
/// reaped it yet, or it was orphaned to an init that does not reap).
func isGone(_ pid: Int32) -> Bool {
  guard let file = fopen("/proc/\(pid)/stat", "r") else { return true }
  defer { fclose(file) }
  var buffer = [CChar](repeating: 0, count: 512)
  guard fgets(&buffer, Int32(buffer.count), file) != nil else { return true }
  let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  guard let close = line.lastIndex(of: ")") else { return true }
  let state = line[line.index(after: close)...].drop { $0 == " " }.first
  return state == "Z" || state == "X"
}

/// The parent pid of OS process `pid` (0 if it cannot be read).
func parentPid(of pid: Int32) -> Int32 {
  guard let file = fopen("/proc/\(pid)/stat", "r") else { return 0 }
  defer { fclose(file) }
  var buffer = [CChar](repeating: 0, count: 512)
  guard fgets(&buffer, Int32(buffer.count), file) != nil else { return 0 }
  let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  guard let close = line.lastIndex(of: ")") else { return 0 }
  let fields = line[line.index(after: close)...].split(separator: " ")
  return fields.count > 1 ? Int32(fields[1]) ?? 0 : 0
}

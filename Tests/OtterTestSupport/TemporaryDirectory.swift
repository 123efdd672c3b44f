import Actors
// Scratch directories for tests (data directories, Unix sockets, discovery pointers):
// each test gets a fresh one, and none outlives the test run.
import Foundation
import Glibc
import Synchronization

/// Directories made by `temporaryDirectory` and not removed yet; whatever is left is
/// removed when the test process exits.
private let undeleted = Locked<Set<String>>([])

/// Removes, at exit, what the tests did not; installed with the first directory.
private let sweepAtExit: Void = {
  atexit {
    for path in undeleted.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
  }
}()

/// A new, empty directory of its own: `/tmp/otter-<label>-XXXXXX` with permissions `mode`.
/// Under /tmp whatever TMPDIR says, so that Unix socket paths inside stay short. Remove it
/// with `removeDirectory`; one left over is removed when the test process exits.
public func temporaryDirectory(_ label: String = "test", mode: mode_t = 0o700) -> String {
  _ = sweepAtExit
  var template = Array("/tmp/otter-\(label)-XXXXXX".utf8CString)
  let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
  precondition(made != nil, "mkdtemp: \(String(cString: strerror(errno)))")
  let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  chmod(path, mode)
  undeleted.withLock { _ = $0.insert(path) }
  return path
}

/// Removes `path` and everything in it.
public func removeDirectory(_ path: String) {
  try? FileManager.default.removeItem(atPath: path)
  undeleted.withLock { _ = $0.remove(path) }
}

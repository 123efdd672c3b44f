// What every process and thread of a chaos run shares: where the server is, how nicks
// and channels are named, which of the server's sockets are which session's (for the
// killer), and a few live counters the driver watches while it drains.
import Synchronization

/// Settings of a chaos run plus its shared tables (`Sendable`: constants, atomics and
/// a mutex).
final class ChaosContext: Sendable {
  let host: String
  let port: Int
  let nickPrefix: String
  let channelPrefix = "#chaos"
  let verbose: Bool
  let log: Log

  /// Messages acknowledged so far (all sessions), and when the last one was.
  let acked = Atomic<Int>(0)
  let lastAck = Atomic<UInt64>(0)
  /// Each connected session by its socket's local address ("127.0.0.1:40123"), which
  /// is the peer address the server lists for it.
  private let sessions = Mutex<[String: SessionKey]>([:])

  init(host: String, port: Int, nickPrefix: String, verbose: Bool, log: Log) {
    self.host = host
    self.port = port
    self.nickPrefix = nickPrefix
    self.verbose = verbose
    self.log = log
  }

  func channelName(_ index: Int) -> String { channelPrefix + String(index) }

  /// The index of one of the run's channels (`#chaos3` → 3).
  func channelIndex(_ name: Substring) -> Int? {
    guard name.hasPrefix(channelPrefix) else { return nil }
    return Int(name.dropFirst(channelPrefix.count))
  }

  func connected(_ address: String, _ key: SessionKey) { sessions.withLock { $0[address] = key } }
  func disconnected(_ address: String) { _ = sessions.withLock { $0.removeValue(forKey: address) } }
  func session(at address: String) -> SessionKey? { sessions.withLock { $0[address] } }
}

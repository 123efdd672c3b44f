// Why a control endpoint could not start: typed, so that a program embedding it (chatd)
// can tell a socket another node serves from a directory it cannot make, and tell its
// user which setting to change. The descriptions are the endpoint's own words.
import Actors
import Glibc

/// Why a control endpoint did not start (the reason inside `StartError.failed(.error(_))`).
public enum EndpointError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Another live node, OS process `osPid`, already serves `path`.
  case inUse(path: String, osPid: Int32)
  /// The socket's directory `directory` is not a directory (`ENOTDIR`) or cannot be
  /// created (`errno`).
  case directory(String, errno: Int32)
  /// Listening on `path` failed.
  case listen(path: String, SocketError)
  /// The discovery directory cannot take the pointer to the endpoint.
  case discovery(DiscoveryError)

  public var description: String {
    switch self {
    case .inUse(let path, let pid): return "control endpoint: another node (OS process \(pid)) serves \(path)"
    case .directory(let directory, let e) where e == ENOTDIR: return "control endpoint: \(directory) is not a directory"
    case .directory(let directory, let e): return "control endpoint: cannot create \(directory): \(String(cString: strerror(e)))"
    case .listen(_, let error): return "control endpoint: \(error)"
    case .discovery(let error): return "control endpoint: \(error)"
    }
  }
}

// The Redis a master starts when it is given none (`chatd --workers` without
// `--cluster`): Debian's redis-server as a supervised OS process, its data (an
// append-only file: the network's history survives a restart of it or of the master)
// under the master's data directory, reached by a Unix socket only there (mode 0700:
// nobody else on the machine talks to it), started when it says it is ready
// (`--supervised systemd`: READY=1 on NOTIFY_SOCKET).
import Foundation
import Supervision

enum EmbeddedRedis {
  /// The child spec and the URL the workers join.
  static func child(dataDirectory: String) throws(StartupError) -> (spec: ChildSpec, url: String) {
    let directory = URL(fileURLWithPath: dataDirectory).appendingPathComponent("redis").standardizedFileURL.path
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
    } catch {
      throw StartupError(
        .cannotCreate, "cannot create \(directory) for the embedded Redis: \(error.localizedDescription) (use another --data-dir)")
    }
    let socket = directory + "/redis.sock"
    // sun_path holds 107 bytes and a terminator.
    guard socket.utf8.count < 108 else {
      throw StartupError(
        .cannotCreate, "the embedded Redis's socket path \(socket) is longer than a Unix socket allows (use a shorter --data-dir)")
    }
    var process = OSProcessSpec(
      "redis-server",
      arguments: [
        "--port", "0", "--unixsocket", socket, "--unixsocketperm", "700", "--dir", directory,
        "--appendonly", "yes", "--save", "", "--supervised", "systemd", "--daemonize", "no", "--loglevel", "warning",
      ])
    process.readiness = .notify(timeout: .seconds(60))  // an append-only file is replayed before READY
    process.shutdownTimeout = .seconds(10)
    return (ChildSpec.osProcess(id: "redis", process), "unix://" + socket)
  }
}

// swift-tools-version:6.0
// Otter: Erlang/OTP's model of fault-tolerant servers, in Swift on Linux.
import PackageDescription

// chatd's executable holds the Swift runtime and Foundation (release builds only, so
// debug links stay quick): their shared libraries kept ~4 MB more of chatd's memory
// resident than the same code linked in (the link drops what chatd never calls, and
// fault-around maps less of what is left). `-static-stdlib` links the runtime; the ChatApp objects were compiled
// against the shared Foundation, whose libraries name their own dependencies, so
// Foundation's static archives are listed here as one group (they refer to each other).
// lld packs the relative relocations of the position-independent executable (DT_RELR:
// 2 MB of relocation records read at every start become a few KB), and the executable
// exports no symbols (the runtime's static-link default exports all of them, which
// adds a dynamic symbol table of 0.5 MB). docs/MEMORY.md has the measurements.
let staticStandardLibrary =
  ["-static-stdlib", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"]
  + ["-Xlinker", "--start-group"]
  + [
    "Foundation", "CoreFoundation", "_FoundationICU", "FoundationEssentials", "FoundationInternationalization", "_FoundationCShims",
    "_FoundationCollections",
  ]
  .flatMap { ["-Xlinker", "-l\($0)"] } + ["-Xlinker", "--end-group"]

let strict: [SwiftSetting] = [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

let package = Package(
  name: "Otter",
  products: [
    .library(name: "Actors", targets: ["Actors"]),
    .library(name: "GenServer", targets: ["GenServer"]),
    .library(name: "Supervision", targets: ["Supervision"]),
    .library(name: "BinaryMatch", targets: ["BinaryMatch"]),
    .library(name: "ChatApp", targets: ["ChatApp"]),
    .library(name: "Control", targets: ["Control"]),
    .library(name: "Redis", targets: ["Redis"]),
    .library(name: "Distribution", targets: ["Distribution"]),
    .library(name: "TLS", targets: ["TLS"]),
    .executable(name: "chatd", targets: ["chatd"]),
    .executable(name: "observer", targets: ["observer"]),
    .executable(name: "chatbench", targets: ["chatbench"]),
    .executable(name: "chatbench-floor", targets: ["chatbench-floor"]),
    .executable(name: "otter-bench", targets: ["otter-bench"]),
  ],
  targets: [
    // Linux system calls Swift cannot import cleanly (packed epoll_event, thread-locals).
    .target(name: "COtterSys"),
    // Processes, mailboxes, links, monitors, timers, schedulers.
    .target(name: "Actors", dependencies: ["COtterSys"], swiftSettings: strict),
    // The gen_server behaviour on Actors processes.
    .target(name: "GenServer", dependencies: ["Actors"], swiftSettings: strict),
    // Supervision trees, dynamic supervisors, applications.
    .target(name: "Supervision", dependencies: ["Actors", "GenServer", "COtterSys"], swiftSettings: strict),
    // Erlang's bit syntax: match and build binaries segment by segment. Stands alone.
    .target(name: "BinaryMatch", swiftSettings: strict),
    // Example codecs written with BinaryMatch (IPv4, TCP, PNG, WebSocket frames, length
    // prefixes): exercised by BinaryMatchTests and measured by otter-bench; not a product.
    .target(name: "BinaryMatchExamples", dependencies: ["BinaryMatch"], swiftSettings: strict),
    // Debian's SQLite (libsqlite3-dev), for chatd's history.
    .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
    // Debian's libsodium (libsodium-dev): chatd's account passwords (Argon2id) and SCRAM.
    .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
    // Debian's OpenSSL 3 (libssl-dev), for TLS.
    .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
    // TLS on Otter's sockets: sessions run by the socket itself through its security seam.
    .target(name: "TLS", dependencies: ["Actors", "COpenSSL"], swiftSettings: strict),
    // A Redis client on Otter's sockets: RESP3, pipelining, pub/sub, streams, cluster.
    .target(name: "Redis", dependencies: ["Actors", "GenServer", "Supervision", "WebSocketAccept"], swiftSettings: strict),
    // Otter nodes across OS processes and machines: links, remote pids, membership in Redis.
    .target(name: "Distribution", dependencies: ["Actors", "GenServer", "Supervision", "Redis", "WebSocketAccept"], swiftSettings: strict),
    // What the distribution tests, otter-dist-node and otter-bench share: an echo and a
    // counter server whose messages cross nodes. Not a product.
    .target(name: "DistributionExamples", dependencies: ["Actors", "Distribution", "GenServer"], swiftSettings: strict),
    // A small node for the distribution tests and benchmarks, driven on stdin.
    .executableTarget(
      name: "otter-dist-node", dependencies: ["Distribution", "DistributionExamples", "Actors", "GenServer", "Redis", "Control"],
      swiftSettings: strict),
    // The OS process the supervision tests supervise: a script of steps (ready, exit,
    // raise, print, grow, fds, …) and a supervising node to kill -9. Not a product.
    .executableTarget(name: "otter-test-child", dependencies: ["Actors", "Supervision"], swiftSettings: strict),
    // A node's control endpoint (Unix socket) and its client: what `observer` attaches to.
    .target(name: "Control", dependencies: ["Actors", "GenServer", "Supervision", "COtterSys"], swiftSettings: strict),
    // The observer's screens without a terminal: its model, keys, command line, layouts.
    .target(name: "ObserverUI", dependencies: ["Control"], swiftSettings: strict),
    .executableTarget(
      name: "observer", dependencies: ["ObserverUI", "Control", "Actors", "COtterSys", "Redis", "Distribution"], swiftSettings: strict),
    // The chat daemon: IRC and WebSocket transports, rooms, presence, history.
    // SHA-1 and Sec-WebSocket-Accept: shared by chatd and chatbench (which must not depend on chatd).
    .target(name: "WebSocketAccept", swiftSettings: strict),
    .target(
      name: "ChatApp",
      dependencies: [
        "Actors", "GenServer", "Supervision", "BinaryMatch", "Control", "CSQLite", "CSodium", "WebSocketAccept", "COtterSys", "Redis",
        "Distribution", "TLS",
      ],
      swiftSettings: strict),
    // Linked with the Swift runtime and Foundation inside (release builds): 6 MB less
    // resident with no client than with their shared libraries (docs/MEMORY.md).
    .executableTarget(
      name: "chatd", dependencies: ["ChatApp"], swiftSettings: strict,
      linkerSettings: [.unsafeFlags(staticStandardLibrary, .when(configuration: .release))]),
    // IRC load generator on Otter (the ircload.c scenarios), and chaos runs on chatd
    // (kills through chatd's control endpoint, hence Control).
    .executableTarget(
      name: "chatbench", dependencies: ["Actors", "COtterSys", "WebSocketAccept", "Control", "TLS"], swiftSettings: strict),
    // The least a chat server can do for chatbench's clients, in C: chatbench's `floor`
    // server, a yardstick for CPU per delivery and memory.
    .executableTarget(name: "chatbench-floor"),
    .executableTarget(
      name: "otter-bench",
      dependencies: [
        "COtterSys", "Actors", "GenServer", "Supervision", "BinaryMatch", "BinaryMatchExamples", "Control", "Redis",
        "Distribution", "DistributionExamples",
      ],
      swiftSettings: strict),
    // What every test target shares: a node per test, bounded waits, recorders, scratch
    // directories, a TCP client, churn checks (heap, processes, descriptors). Under Tests/
    // (it imports XCTest); not a product.
    .target(name: "OtterTestSupport", dependencies: ["Actors", "COtterSys"], path: "Tests/OtterTestSupport", swiftSettings: strict),
    // The IRC client chatd's tests talk through (it reads chatd's own IRCMessage).
    .target(
      name: "IRCTestSupport", dependencies: ["OtterTestSupport", "ChatApp", "CSodium"], path: "Tests/IRCTestSupport", swiftSettings: strict),
    // Real redis-server processes for tests: one on a free port or a Unix socket, a
    // three-master cluster; stopped and restarted on demand.
    .target(name: "RedisTestSupport", dependencies: ["OtterTestSupport"], path: "Tests/RedisTestSupport", swiftSettings: strict),
    .testTarget(
      name: "RedisTests", dependencies: ["Redis", "Actors", "Supervision", "OtterTestSupport", "RedisTestSupport"],
      swiftSettings: strict),
    .testTarget(
      name: "DistributionTests",
      dependencies: [
        "Distribution", "DistributionExamples", "Actors", "GenServer", "Redis", "BinaryMatch", "OtterTestSupport", "RedisTestSupport",
      ],
      swiftSettings: strict),
    .testTarget(name: "ActorsTests", dependencies: ["Actors", "OtterTestSupport"], swiftSettings: strict),
    // TLS sessions on real sockets, against each other and against the openssl tool.
    .testTarget(name: "TLSTests", dependencies: ["TLS", "Actors", "OtterTestSupport"], swiftSettings: strict),
    .testTarget(name: "GenServerTests", dependencies: ["GenServer", "OtterTestSupport"], swiftSettings: strict),
    .testTarget(name: "SupervisionTests", dependencies: ["Supervision", "OtterTestSupport"], swiftSettings: strict),
    .testTarget(name: "BinaryMatchTests", dependencies: ["BinaryMatch", "BinaryMatchExamples"], swiftSettings: strict),
    .testTarget(
      name: "ChatAppTests",
      dependencies: [
        "ChatApp", "Actors", "GenServer", "Supervision", "Control", "Redis", "OtterTestSupport", "IRCTestSupport", "RedisTestSupport",
        "TLS",
      ],
      swiftSettings: strict),
    .testTarget(
      name: "ControlTests", dependencies: ["Control", "ObserverUI", "Actors", "GenServer", "Supervision", "OtterTestSupport"],
      swiftSettings: strict),
    // chatd on the web: WebSocket codec, HTTP, and end-to-end tests (Python, Chromium, nginx;
    // Redis and the control endpoint for two nodes behind nginx).
    .testTarget(
      name: "ChatWebTests",
      dependencies: ["ChatApp", "BinaryMatch", "WebSocketAccept", "Control", "OtterTestSupport", "RedisTestSupport"],
      swiftSettings: strict),
    // chatd's network with real OS processes: a redis-server and several chatd nodes,
    // driven by IRC clients; failures made with signals (kill -9, SIGSTOP).
    .testTarget(
      name: "ChatNetworkTests",
      dependencies: ["ChatApp", "Actors", "Control", "OtterTestSupport", "IRCTestSupport", "RedisTestSupport"],
      swiftSettings: strict),
    // chatbench's pure parts (IRC lines, accounting, flags, its WebSocket client — checked
    // against chatd's codec, hence ChatApp here; chatbench itself does not depend on it).
    .testTarget(name: "ChatBenchTests", dependencies: ["chatbench", "Actors", "ChatApp", "OtterTestSupport"], swiftSettings: strict),
  ]
)

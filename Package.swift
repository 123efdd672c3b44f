// swift-tools-version:6.0
// Otter: Erlang/OTP's model of fault-tolerant servers, in Swift on Linux.
import PackageDescription

let package = Package(
  name: "Otter",
  products: [
    .library(name: "Actors", targets: ["Actors"]),
    .executable(name: "otter-bench", targets: ["otter-bench"]),
  ],
  targets: [
    // Linux system calls Swift cannot import cleanly (packed epoll_event, thread-locals).
    .target(name: "COtterSys"),
    // Processes, mailboxes, links, monitors, timers, schedulers.
    .target(name: "Actors", dependencies: ["COtterSys"], swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]),
    .executableTarget(name: "otter-bench", dependencies: ["Actors"], swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]),
    .testTarget(name: "ActorsTests", dependencies: ["Actors"]),
  ]
)

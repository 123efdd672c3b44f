// What the control endpoint's tests share: a server with a secret, and a known tree to
// look at.
@testable import Actors
@testable import Control
@testable import GenServer
@testable import Supervision

/// A server with a secret in its state, which its `formatStatus` redacts.
struct Vault: SyncGenServer {
  struct State {
    var opened = 0
    var password = "hunter2"
  }
  func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> { .ok(State()) }
  func handleCall(_ request: Int, from: From<Int>, state: inout State, _ ctx: ServerContext<Self>) throws -> CallResult<Self> {
    state.opened += request
    return .reply(state.opened)
  }
  func formatStatus(_ state: State) -> String { "opened \(state.opened) times, password <redacted>" }
}

/// A worker: a handler process labelled `id` that ignores what it is sent.
func plainWorker(_ id: String, restart: Restart = .permanent) -> ChildSpec {
  ChildSpec(id: id, restart: restart) { ctx in
    ctx.spawnLink(Int.self, state: 0, options: SpawnOptions(label: id)) { n, _, _ in
      n += 1
      return .continue
    }.pid
  }
}

/// The tree the tests know:
///
///     app            one_for_one, 3 in 5 s   (registered "app")
///     ├ vault        worker (Vault, registered "vault")
///     ├ rooms        supervisor: rest_for_one, 2 in 10 s
///     │ ├ lobby      worker
///     │ └ general    worker, transient
///     ├ sessions     dynamic supervisor, 3 children
///     └ control      the control endpoint
struct KnownTree {
  let root: GenServerRef<Supervisor>
  let sessions: GenServerRef<DynamicSupervisor<String>>
  let path: String

  static func start(on node: Node, path: String, discovery: String? = nil) async throws -> KnownTree {
    let template = DynamicChildSpec<String>(restart: .transient) { ctx, name in
      ctx.spawnLink(Int.self, state: 0, options: SpawnOptions(label: "session \(name)")) { _, _, _ in .continue }.pid
    }
    let sessionsSpec = ChildSpec(id: "sessions", type: .supervisor) { ctx in
      try await ctx.startLink(DynamicSupervisor(intensity: 5, period: .seconds(5), template: template), name: "sessions")?.pid
    }
    let rooms = Supervisor(
      .init(strategy: .restForOne, intensity: 2, period: .seconds(10)),
      children: [
        plainWorker("lobby"), plainWorker("general", restart: .transient),
      ])
    let app = Supervisor(
      .init(strategy: .oneForOne, intensity: 3, period: .seconds(5)),
      children: [
        .server(id: "vault", Vault(), name: "vault"),
        .supervisor(id: "rooms", rooms),
        sessionsSpec,
        Control.endpoint(EndpointOptions(path: path, discoveryDirectory: discovery)),
      ])
    guard let root = try await node.start(app, name: "app") else { throw ControlError(.internal, "no root") }
    guard let sessions = node.whereis("sessions", as: ServerMessage<DynamicSupervisor<String>>.self) else {
      throw ControlError(.internal, "no sessions")
    }
    let ref = GenServerRef(sessions)
    for name in ["ann", "bob", "cy"] { _ = try await node.startChild(ref, name) }
    return KnownTree(root: root, sessions: ref, path: path)
  }
}

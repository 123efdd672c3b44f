// The echo of the distribution examples, tests and benchmarks: a message type that
// crosses nodes and the process that answers it. Values and a stateless loop.
import Actors
import Distribution

/// What an echo takes and answers.
public enum Echo: Transportable, Equatable {
  /// Answer `.pong(n)` to `replyTo`.
  case ping(Int, replyTo: Address<Echo>)
  case pong(Int)
  /// Free text (an echo ignores it, except "crash" and "leave").
  case text(String)

  public func encode(to w: inout WireEncoder) {
    switch self {
    case .ping(let n, let to):
      w.tag(0)
      w.write(n)
      w.write(to)
    case .pong(let n):
      w.tag(1)
      w.write(n)
    case .text(let s):
      w.tag(2)
      w.write(s)
    }
  }

  public init(from r: inout WireDecoder) throws {
    switch try r.tag() {
    case 0: self = .ping(try r.read(), replyTo: try r.read())
    case 1: self = .pong(try r.read())
    case 2: self = .text(try r.read())
    case let t: throw WireError.unknownTag(t, in: "Echo")
    }
  }

  /// The echo process: pings are answered; `.text("crash")` ends it with an error,
  /// `.text("leave")` normally; `onText` sees every text first.
  public static func serve(_ ctx: Context<Echo>, onText: (String) -> Void = { _ in }) async throws {
    while let m = try await ctx.next() {
      switch m {
      case .ping(let n, let to): to.send(.pong(n))
      case .text(let t):
        onText(t)
        if t == "crash" { throw EchoCrash() }
        if t == "leave" { return }
      case .pong: break
      }
    }
  }
}

/// How an echo told to crash ends.
public struct EchoCrash: Error, CustomStringConvertible {
  public init() {}
  public var description: String { "asked to crash" }
}

// Code that calls servers from inside a process and from outside looks the same: both
// `Context` and `Node` are `ServerCaller`s, so client APIs (the supervisor's, for
// instance) are written once.
import Actors

/// Something that can call a server: a process's `Context`, or a `Node` from outside.
public protocol ServerCaller {
  func call<S: ServerTypes>(_ server: GenServerRef<S>, _ request: S.Request, timeout: Timeout) async throws -> S.Reply
}

extension Context: ServerCaller {}
extension Node: ServerCaller {}

// What many of the runtime's tests share: a message type and an error to throw.
@testable import Actors

/// A message type used by many tests.
enum TestMsg: Sendable, Equatable {
  case int(Int)
  case text(String)
  case ping(Address<TestMsg>)
  case pong
  case stop
}

struct Boom: Error, Equatable, CustomStringConvertible {
  let code: Int
  var description: String { "boom \(code)" }
}

// Reading one HTTP request head off a socket, within a deadline and a size limit, for a
// process that serves one request per connection (the metrics endpoint's sessions). The
// calling process owns the socket; nothing is kept between calls.
import Actors

extension HTTPRequest {
  /// What came of waiting for a request head.
  enum Arrival: Sendable {
    /// A request, and any bytes that came after its head.
    case request(HTTPRequest, rest: [UInt8])
    /// Something to answer with an error: malformed (400), too large (431), too slow
    /// (408), an unsupported version (505).
    case refused(HTTPError)
    /// The peer closed or the socket failed before a whole head came: nothing to answer.
    case gone
  }

  /// Reads from `socket` until a whole request head has come (at most `maxHeadLength`
  /// bytes, within `timeout`) and parses it.
  static func read<M>(from socket: Socket, _ ctx: Context<M>, timeout: Duration) async -> Arrival {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    var received: [UInt8] = []
    while true {
      if let end = headEnd(in: received) {
        do {
          return .request(try parse(received[..<end]), rest: Array(received[end...]))
        } catch {
          return .refused(error)
        }
      }
      if received.count > maxHeadLength { return .refused(HTTPError(431, "request head over \(maxHeadLength) bytes")) }
      let chunk: [UInt8]?
      do {
        chunk = try await ctx.read(socket, timeout: .after(clock.now.duration(to: deadline)))
      } catch SocketError.timeout {
        return .refused(HTTPError(408, "the request head did not arrive in time"))
      } catch {
        return .gone
      }
      guard let chunk else { return .gone }
      received += chunk
    }
  }
}

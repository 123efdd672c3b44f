// The control protocol, version 1: line-delimited JSON over a Unix stream socket.
//
// A client writes one request per line and reads one response line per request, in
// order:
//
//   → {"v":1,"id":7,"op":"process","pid":"<0.42.0>"}
//   ← {"v":1,"id":7,"ok":true,"result":{...}}
//   ← {"v":1,"id":7,"ok":false,"error":{"code":"no_such_process","message":"..."}}
//
// `v` is the protocol version (1 if absent; another number gets `unsupported_version`),
// `id` is any JSON value and is echoed back, `op` names the operation; its parameters are
// further fields of the same object. Unknown fields are refused (a misspelt option must
// not pass silently). The operations and their results are listed in `Op` and in
// docs/ARCHITECTURE.md ("Control endpoint").
//
// Versioning: what version 1 promises stays. Additions keep the version — a new
// operation (`hello` lists the ones a node has; an older node answers `unknown_op`), a
// new field in a result (readers ignore fields they do not know), a new optional request
// parameter whose absence means what it meant before (so a client need not send it to
// an older node, which would refuse it). Removing or changing the meaning of anything
// takes version 2.

/// Constants and request/response framing of the control protocol.
public enum ControlProtocol {
  /// The version this build speaks.
  public static let version = 1
  /// Longest request line accepted (the line is discarded, the connection stays open).
  public static let maximumRequestBytes = 64 * 1024

  /// The operations.
  public enum Op: String, Sendable, CaseIterable {
    /// Who the node is: `{"protocol", "node", "os_pid", "socket", "schedulers", "ops"}`.
    case hello
    /// The system header: a `SystemSummary`.
    case stats
    /// Processes ranked: a `TopPage`. Parameters `sort` (`r`/`reductions`,
    /// `rr`/`reductions_rate`, `mq`/`message_queue`, `m`/`memory`), `limit`, `offset`.
    case top
    /// The supervision tree: a `SupervisionTree`. Parameters `child_limit` (children
    /// listed per supervisor), `timeout_ms` (for supervisors to answer).
    case tree
    /// Several at once: `{"system", "top"?, "tree"?, "processes"?, "sockets"?}`.
    /// Parameters `top` (false by default, true or the top parameters), `tree` (true by
    /// default, false or the tree parameters), `processes` and `sockets` (true/false,
    /// default true).
    case snapshot
    /// One process in full: a `ProcessDetail`, with its state described by the process
    /// itself (GenServer status, redacted by the server's `formatStatus`), its memory by
    /// part and its first queued messages (type and enum cases). Parameters `pid`,
    /// `state_timeout_ms`, `messages` (how many to list, 0...1000, default 20).
    case process
    /// Every process, without state: `{"processes": [ProcessDetail]}`.
    case processes
    /// Sends an exit signal: parameters `pid`, `reason` (`kill` by default; `shutdown`,
    /// `normal`, or any other text as a custom reason). `{"pid", "reason", "sent"}`.
    case kill
    /// Every socket with its counters: `{"sockets": [SocketRow]}`.
    case sockets
    /// Stops a child of a static supervisor with its shutdown protocol and starts it
    /// again (terminate then restart; an OS process child is waited for until ready):
    /// parameters `supervisor` (its pid), `child` (the child's id). Answered once the
    /// request is checked, `{"supervisor", "child", "restarting": true}`; the restart
    /// goes on in the node (the tree shows it; a failure is logged).
    case restart
    /// Where the node's memory is: a `MemoryBreakdown` (resident set, allocator, the
    /// parts the node can attribute, process memory by type).
    case memory
  }

  /// The response line to a request that succeeded.
  static func success(id: JSON?, _ result: JSON) -> JSON {
    .fields(["v": .int(Int64(version)), "id": id, "ok": .bool(true), "result": result])
  }

  /// The response line to a request that failed.
  static func failure(id: JSON?, _ error: ControlError) -> JSON {
    .fields(["v": .int(Int64(version)), "id": id, "ok": .bool(false), "error": error.json])
  }
}

/// A request as the node reads it.
struct ControlRequest {
  let id: JSON?
  /// A built-in operation, or nil for one the application added (`name`).
  let op: ControlProtocol.Op?
  let name: String
  let fields: Fields

  /// Fields every request may have.
  static let envelope: Set<String> = ["v", "id", "op"]

  /// Parses a request line. On failure, the id (if one could be read) to answer with.
  /// `added`: the operations the application added to the endpoint.
  static func parse(_ line: [UInt8], added: Set<String> = []) -> Result<ControlRequest, RequestFailure> {
    let json: JSON
    do {
      json = try JSON.parse(line)
    } catch {
      return .failure(RequestFailure(id: nil, error: ControlError(.badJSON, error.description)))
    }
    let id = json["id"]
    do throws(ControlError) {
      let fields = try Fields(json, "request")
      if let v = fields.value("v") {
        guard let n = v.intValue, n == Int64(ControlProtocol.version) else {
          throw ControlError(.unsupportedVersion, "protocol version \(v) is not spoken here; this node speaks \(ControlProtocol.version)")
        }
      }
      let name = try fields.string("op")
      let op = ControlProtocol.Op(rawValue: name)
      guard op != nil || added.contains(name) else {
        let known = ControlProtocol.Op.allCases.map(\.rawValue) + added.sorted()
        throw ControlError(.unknownOp, "no operation \"\(name)\"; known: \(known.joined(separator: ", "))")
      }
      return .success(ControlRequest(id: id, op: op, name: name, fields: fields))
    } catch {
      return .failure(RequestFailure(id: id, error: error))
    }
  }
}

/// A request that could not be read, and the id to answer it with.
struct RequestFailure: Error {
  let id: JSON?
  let error: ControlError
}

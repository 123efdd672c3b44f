// Test support for chatd on the web: HTTP heads and a WebSocket client on the shared
// TestConnection (the client built from the server's own codec), chatd started on free
// ports, and finding the external tools the end-to-end tests drive.
import Actors
import Foundation
import Glibc
import OtterTestSupport

@testable import ChatApp

extension TestConnection {
  /// The HTTP response head (through the empty line), as text.
  func readHead() throws -> String {
    while true {
      if let end = HTTPRequest.headEnd(in: buffer) {
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeFirst(end)
        return head
      }
      guard try fill() else { throw TestError("closed before the response head ended") }
    }
  }
}

/// A WebSocket client for tests: masks its frames, decodes the server's with the same
/// codec (which must then find them unmasked).
final class TestWebSocket {
  let connection: TestConnection
  let codec = WebSocket.Codec.shared
  var responseHead = ""

  init(port: Int, path: String = "/ws", protocols: [String] = [WebSocket.textSubprotocol], extraHeaders: String = "") throws {
    connection = try TestConnection(port: port)
    var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    if !protocols.isEmpty { request += "Sec-WebSocket-Protocol: \(protocols.joined(separator: ", "))\r\n" }
    request += extraHeaders + "\r\n"
    try connection.send(request)
    responseHead = try connection.readHead()
    guard responseHead.hasPrefix("HTTP/1.1 101 ") else { throw TestError("handshake refused: \(responseHead)") }
  }

  /// Sends a frame, masked with a random key.
  func send(_ opcode: WebSocket.Opcode, _ payload: [UInt8], fin: Bool = true) throws {
    try connection.send(codec.encode(opcode, payload, fin: fin, maskKey: UInt32.random(in: 0...UInt32.max)))
  }

  func send(line: String) throws { try send(.text, Array(line.utf8)) }

  /// The next frame from the server: opcode and payload (fragments are not joined).
  func receive() throws -> (opcode: UInt8, fin: Bool, payload: [UInt8]) {
    while true {
      switch codec.decodeHeader(connection.buffer, requireMask: false) {
      case .failure(let f): throw TestError("bad frame from the server: \(f)")
      case .incomplete: break
      case .header(let h, let n):
        let total = n + Int(h.payloadLength)
        if connection.buffer.count >= total {
          let payload = Array(connection.buffer[n..<total])
          connection.buffer.removeFirst(total)
          return (h.opcode, h.fin, payload)
        }
      }
      guard try connection.fill() else { throw TestError("closed while waiting for a frame") }
    }
  }

  /// Reads frames until a text (or binary) message containing `text`.
  @discardableResult
  func expect(containing text: String, max: Int = 200) throws -> String {
    for _ in 0..<max {
      let frame: (opcode: UInt8, fin: Bool, payload: [UInt8])
      do { frame = try receive() } catch { throw TestError("\(error) while waiting for a message with \(text)") }
      let s = String(decoding: frame.payload, as: UTF8.self)
      if frame.opcode == 8 { throw TestError("closed (\(s)) while waiting for \(text)") }
      if s.contains(text) { return s }
    }
    throw TestError("no message containing \(text)")
  }

  /// Reads until the close frame; returns its code (nil for none) and reason.
  func expectClose(max: Int = 200) throws -> (code: UInt16?, reason: String) {
    for _ in 0..<max {
      let frame = try receive()
      if frame.opcode == 8 {
        let p = frame.payload
        if p.count < 2 { return (nil, "") }
        return (UInt16(p[0]) << 8 | UInt16(p[1]), String(decoding: p[2...], as: UTF8.self))
      }
    }
    throw TestError("no close frame")
  }
}

/// chatd with its web listener on a free port, IRC on another, history in memory only;
/// its log kept in `capture` if given (at the config's level).
/// A chatd serving HTTPS and WSS only (no plain web port), with a self-signed
/// certificate made in `directory`.
func startChatOverHTTPS(in directory: String) async throws -> ChatServer {
  let certificate = try TestCertificate.make(in: directory)
  return try await startChat { config in
    config.webPort = 0
    config.webTLSPort = freePort()
    config.tlsCertificateFile = certificate.certificateFile
    config.tlsKeyFile = certificate.keyFile
  }
}

func startChat(capture: LogCapture? = nil, _ tweak: (inout ChatConfig) -> Void = { _ in }) async throws -> ChatServer {
  // A port found free may be taken before chatd binds it (by any process of the
  // machine: another test's connection, irctest beside CI). Such a start is tried again
  // on new ports, a few times; any other failure is the test's.
  var attempt = 1
  while true {
    var config = ChatConfig()
    config.port = 0
    config.webPort = freePort()
    config.metricsPort = nil
    config.history = false
    config.floodProtection = false
    config.dataDirectory = temporaryDirectory("chatweb")
    tweak(&config)
    do {
      return try await start(config, capture: capture)
    } catch let e as StartupError where e.status == .inUse && attempt < 5 {
      removeDirectory(config.dataDirectory)
      attempt += 1
    }
  }
}

/// Starts chatd with `config`, on a node of its own (logging to `capture` if given).
private func start(_ config: ChatConfig, capture: LogCapture?) async throws -> ChatServer {
  guard let capture else { return try await ChatServer.start(config) }
  let node = try Node(logger: capture.logger(level: config.logLevel))
  do {
    return try await ChatServer.start(config, on: node)
  } catch {
    node.shutdown()
    throw error
  }
}

func stopChat(_ server: ChatServer) async {
  server.stop()
  _ = await server.run()
  removeDirectory(server.config.dataDirectory)
}

/// Registers an IRC client (over a plain socket) as `nick`.
func ircClient(port: Int, nick: String) throws -> TestConnection {
  let c = try TestConnection(port: port)
  try c.send("NICK \(nick)\r\nUSER \(nick) 0 * :\(nick)\r\n")
  try c.expectLine(containing: " 001 ")
  return c
}

/// Registers a WebSocket client as `nick`.
func webClient(port: Int, nick: String, protocols: [String] = [WebSocket.textSubprotocol]) throws -> TestWebSocket {
  let ws = try TestWebSocket(port: port, protocols: protocols)
  try ws.send(line: "NICK \(nick)")
  try ws.send(line: "USER \(nick) 0 * :\(nick)")
  try ws.expect(containing: " 001 ")
  return ws
}

/// The repository's root (for scripts/web and the Python venv under .build).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The first executable among `candidates` (absolute paths or names on PATH).
func findTool(_ candidates: [String]) -> String? {
  let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
  for c in candidates {
    if c.hasPrefix("/") {
      if FileManager.default.isExecutableFile(atPath: c) { return c }
      continue
    }
    for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(c)") {
      return "\(dir)/\(c)"
    }
  }
  return nil
}

/// A Python with the `websockets` package: $OTTER_PYTHON, the venv scripts/setup.sh
/// makes under .build, or python3 if it has the package. nil: the test skips.
func pythonWithWebsockets() -> String? {
  var candidates: [String] = []
  if let p = ProcessInfo.processInfo.environment["OTTER_PYTHON"] { candidates.append(p) }
  candidates.append(repositoryRoot.appendingPathComponent(".build/pyvenv/bin/python").path)
  candidates.append("python3")
  for c in candidates {
    guard let python = findTool([c]) else { continue }
    if (try? runTool(python, ["-c", "import websockets"], timeout: 20).status) == 0 { return python }
  }
  return nil
}

/// Runs `tool` with a time limit (killed past it); its exit status and combined output.
func runTool(_ tool: String, _ arguments: [String], timeout: Double, environment: [String: String] = [:]) throws -> (
  status: Int32, output: String
) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: tool)
  process.arguments = arguments
  var env = ProcessInfo.processInfo.environment
  for (k, v) in environment { env[k] = v }
  process.environment = env
  let outputFile = NSTemporaryDirectory() + "chatweb-tool-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
  _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
  let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
  defer {
    try? handle.close()
    try? FileManager.default.removeItem(atPath: outputFile)
  }
  process.standardOutput = handle
  process.standardError = handle
  try process.run()
  let deadline = Date().addingTimeInterval(timeout)
  while process.isRunning && Date() < deadline { usleep(20_000) }
  var timedOut = false
  if process.isRunning {
    timedOut = true
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }
  let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
  return (timedOut ? -9 : process.terminationStatus, output + (timedOut ? "\n[killed after \(timeout) s]" : ""))
}

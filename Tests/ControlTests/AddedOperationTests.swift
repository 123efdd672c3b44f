// An operation an application adds to its control endpoint (chatd's `handoff`): hello
// lists it, a request runs it with its parameters and answers its result or its error,
// a parameter it does not take is refused as for the built-in ones, and a node without
// it answers unknown_op.
import Foundation
import OtterTestSupport
import XCTest

@testable import Actors
@testable import Control

final class AddedOperationTests: XCTestCase {
  func testAnAddedOperationIsListedRunAndChecked() async throws {
    let dir = temporaryDirectory()
    defer { removeDirectory(dir) }
    try await withNode(name: "added") { node in
      let greet = ControlOperation(parameters: ["name"]) { parameters, node in
        guard let name = parameters["name"]?.stringValue else { return .failure(ControlError(.badRequest, "greet: name is required")) }
        return .success(.fields(["greeting": .string("hello \(name) from \(node.name)")]))
      }
      let endpoint = try await Control.start(
        on: node, EndpointOptions(path: "\(dir)/control.sock", discoveryDirectory: nil, operations: ["greet": greet]))
      let client = try ControlClient(path: endpoint.path)
      let ops = try client.hello()["ops"]?.arrayValue?.compactMap(\.stringValue) ?? []
      XCTAssertTrue(ops.contains("greet") && ops.contains("stats"), "\(ops)")
      let answer = try client.request(operation: "greet", [(key: "name", value: .string("you"))])
      XCTAssertEqual(answer["greeting"]?.stringValue, "hello you from added")
      XCTAssertThrowsError(try client.request(operation: "greet")) {
        XCTAssertEqual($0 as? ControlClientError, .remote(ControlError(.badRequest, "greet: name is required")))
      }
      XCTAssertThrowsError(try client.request(operation: "greet", [(key: "nmae", value: .string("x"))])) {
        guard case .remote(let e)? = $0 as? ControlClientError else { return XCTFail("\($0)") }
        XCTAssertEqual(e.code, .badRequest, e.message)
      }
      XCTAssertThrowsError(try client.request(operation: "wave")) {
        guard case .remote(let e)? = $0 as? ControlClientError else { return XCTFail("\($0)") }
        XCTAssertEqual(e.code, .unknownOp)
        XCTAssertTrue(e.message.hasSuffix(", greet"), e.message)
      }
      client.close()
      await endpoint.stop(on: node)
    }
  }
}

import XCTest
@testable import BinaryMatch
final class PlaceholderTests: XCTestCase { func testNothing() {} }

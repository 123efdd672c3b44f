// The tests' own SCRAM-SHA-256 client (IRCTestSupport/ScramClient.swift) reproduces RFC
// 7677's example exchange byte for byte: when it logs in to chatd, the server is checked
// against the RFC, not against its own code.
import IRCTestSupport
import XCTest

final class ScramClientTests: XCTestCase {
  func testRFC7677Example() throws {
    // RFC 7677 §3: user "user", password "pencil".
    var client = ScramClient(username: "user", password: "pencil", clientNonce: "rOprNGfwEbeRWgbNEkqO")
    XCTAssertEqual(client.clientFirst, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
    let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    XCTAssertEqual(
      try client.clientFinal(serverFirst: serverFirst),
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    XCTAssertTrue(client.verifies(serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
    XCTAssertFalse(client.verifies(serverFinal: "v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
  }
}

// chatd's SHA-1, reached from a file that imports only ChatApp: the module has a type
// named ChatApp, so `ChatApp.SHA1` does not name it where chatbench's SHA1 is in scope.
@testable import ChatApp

func chatdSHA1(_ bytes: [UInt8]) -> [UInt8] { SHA1.digest(bytes) }

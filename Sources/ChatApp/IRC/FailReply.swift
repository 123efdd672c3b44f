// IRCv3 standard replies' FAIL: `FAIL <command> <code> [<context>...] :<description>`.
// The error a command's parser returns (CHATHISTORY, SEARCH), and the line it becomes.
// A value: no owner.

/// What is wrong with a command, as the client will be told.
struct FailReply: Error, Equatable {
  var command: String
  var code: String
  var context: [String]
  var description: String

  /// The FAIL line, from `server`.
  func message(from server: String) -> IRCMessage {
    IRCMessage(source: server, "FAIL", [command, code] + context + [description])
  }
}

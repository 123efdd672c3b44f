// chatd's configuration file (`chatd --config FILE`): the command line's settings, one
// `flag = value` a line. A line is turned into the argument `--flag=value` and handed to
// `ChatCommandLine.parse`, the one parser: the file accepts exactly the flags the command
// line does, with the same values and the same errors, and a flag added there is a
// setting here with nothing else to change. Only the line number is this file's own.
// Nothing here is state: reading a file returns the settings it gave.
import Foundation

/// chatd's configuration file: `key = value` lines, where a key is a long flag without
/// its `--` (`port = 6667`, `oper = alice:secret`, `no-history = true`), `#` lines are
/// comments, blank lines are ignored, and a repeated key acts as a repeated flag.
public enum ChatConfigFile {
  /// The settings `--config FILE` gives over the defaults, and the flags that gave them.
  static func read(_ path: String) throws(UsageError) -> (ChatConfig, Set<String>) {
    func cannot(_ reason: String) -> UsageError { UsageError(description: "--config: cannot read \(path): \(reason)") }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw cannot(String(cString: strerror(errno))) }
    let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    var status = stat()
    if fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { throw cannot("it is a directory") }
    guard let data = try? handle.readToEnd() ?? Data() else { throw cannot(String(cString: strerror(errno))) }
    guard let text = String(data: data, encoding: .utf8) else { throw cannot("it is not UTF-8 text") }
    return try settings(text, file: path)
  }

  /// The settings `text` gives over the defaults, as chatd would run with them had it
  /// no other flags; an error is `FILE:LINE: what is wrong` (or `FILE: ` and what is
  /// wrong with settings taken together), naming the file as `file`.
  public static func parse(_ text: String, file: String) throws(UsageError) -> ChatConfig {
    var (config, given) = try settings(text, file: file)
    let command: ChatCommand
    do throws(UsageError) {
      command = try ChatCommandLine.parse([], over: config, given: &given, finish: true)
    } catch {
      throw UsageError(description: "\(file): \(error.description)")
    }
    guard case .run(let finished) = command else { return config }
    return finished
  }

  /// The settings `text` gives over the defaults, line by line, in order, and the flags
  /// that gave them; an error is `FILE:LINE: what is wrong`.
  static func settings(_ text: String, file: String) throws(UsageError) -> (ChatConfig, Set<String>) {
    var config = ChatConfig()
    var given: Set<String> = []
    // Split on any line end: "\r\n" (a file edited on Windows) is one Character in Swift,
    // so splitting on "\n" alone would glue such a file into one line.
    for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      func problem(_ message: String) -> UsageError { UsageError(description: "\(file):\(index + 1): \(message)") }
      let line = rawLine.trimmingCharacters(in: .whitespaces)
      // Only whole lines are comments: a `#` after a value is part of it (a password
      // may hold one), as in sshd_config and systemd units.
      if line.isEmpty || line.hasPrefix("#") { continue }
      guard let equals = line.firstIndex(of: "=") else {
        throw problem("expected \"setting = value\", got \"\(line)\"")
      }
      let key = line[..<equals].trimmingCharacters(in: .whitespaces)
      let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
      guard !key.isEmpty else { throw problem("expected \"setting = value\", got \"\(line)\" (no setting before the =)") }
      if key.hasPrefix("-") {
        throw problem("write the setting without dashes: \"\(key.drop { $0 == "-" })\", not \"\(key)\"")
      }
      if key == "config" { throw problem("a config file cannot name another (--config belongs on the command line)") }
      let command: ChatCommand
      do throws(UsageError) {
        command = try ChatCommandLine.parse(["--\(key)=\(value)"], over: config, given: &given, finish: false)
      } catch  where error == .unknownOption("--\(key)") {
        throw problem("unknown setting \"\(key)\"" + (suggestion(for: key).map { " (did you mean \"\($0)\"?)" } ?? ""))
      } catch {
        throw problem(error.description)
      }
      guard case .run(let next) = command else {
        throw problem("\"\(key)\" is a command-line flag, not a setting")
      }
      config = next
    }
    return (config, given)
  }

  /// Flags that act on the command itself, not on the settings: no file may hold them.
  static let commandLineOnly: Set<String> = ["help", "version", "config", "check-config"]

  /// The settings a file may hold, as `chatd --help` lists them (for suggestions only:
  /// what is accepted is what the parser accepts).
  static var settingNames: [String] {
    ChatCommandLine.documentedFlags.map { String($0.dropFirst(2)) }.filter { !commandLineOnly.contains($0) }
  }

  /// The setting `key` was most likely meant to be: one or two edits away (a letter
  /// wrong, missing, extra, or two swapped), one for a short key.
  static func suggestion(for key: String) -> String? {
    let limit = key.count <= 4 ? 1 : 2
    let scored = settingNames.map { ($0, editDistance(key.lowercased(), $0)) }.filter { $0.1 <= limit }
    return scored.min { $0.1 < $1.1 }?.0
  }

  /// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of
  /// neighbours ("prot" is one swap from "port").
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
      }
    }
    return d[a.count][b.count]
  }
}

extension ChatCommandLine {
  /// Every long flag `chatd --help` documents, in its order.
  static var documentedFlags: [String] {
    help.split(separator: "\n").flatMap { line -> [String] in
      let words = line.split(separator: " ")
      guard line.hasPrefix("  "), words.first?.hasPrefix("-") == true else { return [] }
      return words.prefix { $0.hasPrefix("-") }.map { String($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }
        .filter { $0.hasPrefix("--") }
    }
  }
}

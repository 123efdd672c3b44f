// observer: attach to a running Otter node and watch its supervision tree and processes
// (the live view), or print them once (--once, --json, --dot). `observer --help` lists
// the options and keys; the work is in ObserverUI (screens, keys, options) and Control
// (the client), this is the command.
import Control
import Glibc
import ObserverUI

func fail(_ message: String, status: ObserverExit) -> Never {
  var text = "observer: \(message)\n"
  text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
  exit(status.rawValue)
}

func emit(_ text: String) {
  var bytes = Array(text.utf8)
  var done = 0
  while done < bytes.count {
    let n = bytes.withUnsafeMutableBytes { write(STDOUT_FILENO, $0.baseAddress! + done, $0.count - done) }
    if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else { exit(ObserverExit.failure.rawValue) }
  }
  bytes.removeAll()
}

let options: ObserverOptions
do {
  options = try ObserverOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
  fail("\(error)\nusage: observer [--socket PATH] [--once | --json | --dot | --memory | --list] (observer --help for more)", status: .usage)
}

switch options.mode {
case .help:
  emit(ObserverOptions.usage + "\n" + Screen.helpText + "\n")
  exit(ObserverExit.ok.rawValue)
case .version:
  emit("observer (Otter), control protocol \(ControlProtocol.version)\n")
  exit(ObserverExit.ok.rawValue)
case .list:
  emit(ObserverTarget.list(options))
  exit(ObserverExit.ok.rawValue)
default:
  break
}

let path: String
do {
  path = try ObserverTarget.resolve(options)
} catch {
  fail(error.description, status: error.exit)
}

if options.mode != .interactive {
  do {
    let client = try ControlClient(path: path, timeout: options.timeout)
    emit(try OneShot.output(options, client: client))
    exit(ObserverExit.ok.rawValue)
  } catch {
    fail(error.description, status: error.observerExit)
  }
}

// The live view. Check the node answers before taking over the terminal, so that a
// wrong path is an ordinary error message.
do {
  _ = try ControlClient(path: path, timeout: options.timeout).hello()
} catch {
  fail(error.description, status: error.observerExit)
}
let terminal: Terminal
do {
  terminal = try Terminal()
} catch {
  fail("\(error)", status: .usage)
}
var view = LiveView(options: options, path: path, terminal: terminal)
let status = view.run()
terminal.leave()
exit(status)

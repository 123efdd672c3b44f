// otter-bench: Otter's speed and memory figures, side by side with peers when installed.
//
//   swift run -c release otter-bench                 # everything, as a table
//   swift run -c release otter-bench ring pingpong   # some benchmarks
//   swift run -c release otter-bench --json          # one JSON object per line
//   swift run -c release otter-bench --quick         # smaller sizes
//   swift run -c release otter-bench --list
import Foundation

let allBenchmarks: [Benchmark] =
  runtimeBenchmarks + genServerBenchmarks + supervisionBenchmarks + ioBenchmarks + bitMatchBenchmarks + snapshotBenchmarks
  + redisBenchmarks + distBenchmarks

// Internal: the echo server the `echo` and `conns` benchmarks start in a child process.
if CommandLine.arguments.dropFirst().first == "--serve-echo" { try serveEcho() }
// Internal: the other node of the `dist` benchmark, in a child process.
if CommandLine.arguments.dropFirst().first == "--serve-dist" {
  await serveDist(name: CommandLine.arguments.dropFirst(2).first ?? "otter-bench-b")
}

var options = BenchOptions()
var json = false
var selected: [String] = []
for arg in CommandLine.arguments.dropFirst() {
  switch arg {
  case "--json": json = true
  case "--quick": options.quick = true
  case "--no-peers": options.peers = false
  case "--list":
    for b in allBenchmarks { print(b.name.padding(toLength: 14, withPad: " ", startingAt: 0) + b.summary) }
    exit(0)
  case "-h", "--help":
    print(
      """
      usage: otter-bench [--json] [--quick] [--no-peers] [--list] [NAME...]
        NAME         run only these benchmarks (see --list); default: all
        --json       one JSON object per line: {"bench","value","unit",...}
        --quick      smaller sizes
        --no-peers   do not run Erlang or other peers even if installed
      """)
    exit(0)
  default:
    if arg.hasPrefix("-") {
      FileHandle.standardError.write(Data("otter-bench: unknown option \(arg) (try --help)\n".utf8))
      exit(2)
    }
    selected.append(arg)
  }
}
let unknown = selected.filter { name in !allBenchmarks.contains { $0.name == name } }
if !unknown.isEmpty {
  FileHandle.standardError.write(Data("otter-bench: unknown benchmark \(unknown.joined(separator: ", ")) (try --list)\n".utf8))
  exit(2)
}
let toRun = selected.isEmpty ? allBenchmarks : allBenchmarks.filter { selected.contains($0.name) }
var rows: [Row] = []
for b in toRun {
  progress("== \(b.name)")
  do {
    let r = try await b.run(options)
    if json { for row in r { emit(Output.json(row) + "\n") } }
    rows += r
  } catch {
    FileHandle.standardError.write(Data("otter-bench: \(b.name) failed: \(error)\n".utf8))
    exit(1)
  }
}
if !json { emit(Output.table(rows)) }

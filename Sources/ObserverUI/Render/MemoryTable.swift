// The node's memory as lines of a table: the resident set and its parts, the
// allocator's bytes in use and theirs, each with how it was counted, then process memory
// by type. Shared by the live view's memory view and `observer --memory`.
import Control

/// Lays out a `MemoryBreakdown`.
enum MemoryTable {
  /// One line: its text and whether it is a heading.
  struct Line: Equatable {
    let text: String
    let heading: Bool
  }

  /// The table's lines, at most `width` columns each (the notes are cut to fit).
  static func lines(_ m: MemoryBreakdown, width: Int) -> [Line] {
    let nameWidth = 30
    let valueWidth = 10
    var out: [Line] = []
    func row(_ name: String, _ bytes: String, _ note: String, heading: Bool = false) {
      let text = Format.fit(name, nameWidth) + Format.right(bytes, valueWidth) + "  " + note
      out.append(Line(text: Format.clip(text, max(1, width)), heading: heading))
    }
    row("RSS", Format.bytes(m.residentTotal), "resident, as the kernel counts it (VmRSS)", heading: true)
    row(
      "├─ mapped files", Format.bytes(m.residentFiles), "the program and its libraries (Swift runtime, Foundation, ICU): shared with others"
    )
    row("\(m.residentShared > 0 ? "├" : "└")─ anonymous", Format.bytes(m.residentAnonymous), "private memory (RssAnon):")
    let guide = m.residentShared > 0 ? "│  " : "   "
    let free = m.mallocFree > 0 ? "; \(Format.bytes(m.mallocFree)) of it free for reuse" : ""
    row(guide + "├─ malloc heap", Format.bytes(m.mallocHeap), "obtained from the kernel by malloc (mallinfo2)" + free)
    row(
      guide + "├─ scheduler stacks", Format.bytes(m.schedulerStacksResident),
      "in memory of \(Format.bytes(m.schedulerStacksReserved)) reserved (mincore)")
    row(guide + "├─ main thread stack", Format.bytes(m.mainStack), "VmStk: the size of its mapping")
    if m.otherAnonymous >= 0 {
      row(
        guide + "└─ other", Format.bytes(m.otherAnonymous),
        "the rest: other threads' stacks (\(m.threads) threads in all), the runtime's own mappings")
    } else {
      row(
        guide + "└─ other", "0 B",
        "the heap above counts \(Format.bytes(-m.otherAnonymous)) not in memory (given back, or never touched)")
    }
    if m.residentShared > 0 { row("└─ shared", Format.bytes(m.residentShared), "shared memory (RssShmem)") }

    row("malloc in use", Format.bytes(m.mallocInUse), "handed out by malloc and not freed (mallinfo2)", heading: true)
    for part in m.parts {
      row("├─ " + part.name + (part.count.map { " (\(Format.grouped($0)))" } ?? ""), Format.bytes(part.bytes), part.counted)
    }
    row(
      "└─ not attributed", Format.bytes(m.unattributed),
      "Swift runtime metadata, Foundation, Swift Tasks, what process states point to, allocator overhead")

    if !m.processTypes.isEmpty {
      // As wide as the longest type, if the screen allows (generic types run long).
      let typeWidth = max(nameWidth - 2, min(m.processTypes.map(\.type.count).max() ?? 0, width - 22))
      let title = Format.fit("processes by type", typeWidth + 2) + Format.right("count", 9) + Format.right("memory", 11)
      out.append(Line(text: Format.clip(title, max(1, width)), heading: true))
      for t in m.processTypes {
        let text = "  " + Format.fit(t.type, typeWidth) + Format.right(Format.grouped(t.count), 9) + Format.right(Format.bytes(t.bytes), 11)
        out.append(Line(text: Format.clip(text, max(1, width)), heading: false))
      }
    }
    return out
  }

  /// `observer --memory`: the table, as text.
  static func text(_ m: MemoryBreakdown, node: String) -> String {
    "memory of \(node)\n" + lines(m, width: 200).map(\.text).joined(separator: "\n") + "\n"
  }
}

// The one reader of the history's full-text index: a thread with its own SQLite
// connection to the history database (WAL: it reads a committed snapshot while the
// writer goes on writing), answering SEARCH requests the writer hands it once the
// appends queued before them are committed — so a client finds its own messages, and a
// slow search never holds up an append.
//
// Owner: the history writer (History/HistoryWriter.swift), which makes it after the
// index exists and stops it before closing its own connection. It writes nothing;
// `jobs` is the queue's, the connection this thread's alone.
import COtterSys
import Foundation
import GenServer

/// The thread that answers searches.
// `@unchecked Sendable`: `jobs` and `stopping` are read and written only with `condition`
// locked; the database is opened, used and closed by the searcher's thread alone.
final class HistorySearcher: @unchecked Sendable {
  private typealias Job = (request: HistoryStore.Request, reply: From<HistoryStore.Reply>)

  private let path: String
  private let condition = NSCondition()
  private var jobs: [Job] = []
  private var stopping = false
  private let closed = DispatchGroup()

  /// Opens the database (which must exist, with its index) and starts the thread.
  init(path: String) throws {
    self.path = path
    let db = try SQLiteDatabase(path: path)
    closed.enter()
    let thread = Thread { [self] in
      otter_set_thread_name("chatd-search")
      self.serve(MessageIndex(db))
      db.close()
      self.closed.leave()
    }
    thread.start()
  }

  func enqueue(_ request: HistoryStore.Request, _ reply: From<HistoryStore.Reply>) {
    condition.lock()
    defer { condition.unlock() }
    guard !stopping else {
      reply.reply(.unavailable("the history is closing"))
      return
    }
    jobs.append((request, reply))
    condition.signal()
  }

  /// Answers what is queued, closes the database and ends; waits (5 s at most).
  func stop() {
    condition.lock()
    stopping = true
    condition.broadcast()
    condition.unlock()
    _ = closed.wait(timeout: .now() + 5)
  }

  private func serve(_ index: MessageIndex) {
    while true {
      condition.lock()
      while jobs.isEmpty && !stopping { condition.wait() }
      let taken = jobs
      jobs = []
      let last = stopping
      condition.unlock()
      for job in taken { job.reply.reply(answer(job.request, index)) }
      if last { return }
    }
  }

  private func answer(_ request: HistoryStore.Request, _ index: MessageIndex) -> HistoryStore.Reply {
    guard case .search(let key, let query) = request else { return .unavailable("not a search") }
    do {
      return .entries(try index.search(query, channel: key))
    } catch {
      FileHandle.standardError.write(Data("chatd: history: \(request.what): \(error)\n".utf8))
      return .unavailable("the history database could not be searched")
    }
  }
}

import Synchronization

/// How a store that lives in the worker (SQLite, memory) lets ``BotStore/take(count:wait:)``
/// sleep until a job is queued: every write that queues one calls ``notify()``; a taker reads
/// the generation before it looks at the queue and sleeps only if no job came since.
final class WorkSignal: Sendable {
    private let state = Mutex<(generation: UInt64, waiters: [CheckedContinuation<Void, Never>])>((0, []))

    /// The count of notifications so far.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every taker.
    func notify() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    /// Sleeps until a notification after `seen` (at once if one came already) or `limit`.
    func wait(after seen: UInt64, upTo limit: Duration) async {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: limit)
            self?.notify()
        }
        await withCheckedContinuation { continuation in
            let already = state.withLock { state in
                if state.generation != seen { return true }
                state.waiters.append(continuation)
                return false
            }
            if already { continuation.resume() }
        }
        timer.cancel()
    }
}

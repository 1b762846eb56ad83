import Synchronization

/// How a store that lives in the worker (SQLite, memory) lets ``BotStore/take(count:wait:)``
/// sleep until a job is queued: every write that queues one calls ``notify()``; a taker reads
/// the generation before it looks at the queue and sleeps only if no job came since.
///
/// A taker's time limit wakes that taker alone and is no notification: an earlier version woke
/// everyone when a limit passed *or was cancelled*, so each wake-up cancelled a timer that
/// caused the next one, and every worker that had once queued a job spun on its own wake-ups.
final class WorkSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// The count of notifications so far.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every taker.
    func notify() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        waiters.values.forEach { $0.resume() }
    }

    /// Sleeps until a notification after `seen` (at once if one came already) or `limit`.
    func wait(after seen: UInt64, upTo limit: Duration) async {
        let waiter = state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        var timer: Task<Void, Never>?
        await withCheckedContinuation { continuation in
            let already = state.withLock { state in
                if state.generation != seen { return true }
                state.waiters[waiter] = continuation
                return false
            }
            guard !already else { return continuation.resume() }
            // Started once the waiter is registered, so its limit cannot pass unseen.
            timer = Task.placed { [weak self] in
                // Cancelled: the waiter was woken already, and nobody else must be.
                do { try await TaskPlacement.sleep(for: limit) } catch { return }
                self?.timeOut(waiter)
            }
        }
        timer?.cancel()
    }

    /// Wakes one taker whose limit passed, if it still waits.
    private func timeOut(_ waiter: UInt64) {
        state.withLock { $0.waiters.removeValue(forKey: waiter) }?.resume()
    }
}

import Synchronization

/// What ``SQLiteGroupCommit`` needs of the connection state it guards: the database to run a
/// transaction on.
protocol SQLiteConnectionState: Sendable {
    var database: SQLiteDatabase { get }
}

/// The one way to an SQLite connection: reads under its lock, and writes in group commits.
///
/// Writes that arrive while a transaction is being committed go into the next one together.
/// Concurrent callers (the engine finishes the jobs of several chats at once; webhook
/// deliveries and their acknowledgements arrive in parallel) then cost one commit per group
/// instead of one each, and wait suspended instead of blocked on a lock: with two cores, a
/// thread parked on a contended lock is half the machine. The caller that finds no commit under
/// way commits the group on its own thread (a worker keeps its thread count), then whatever
/// queued meanwhile, and hands over to a new task after a few groups so that its own caller is
/// not kept waiting behind everyone else's writes. On a worker's event loop (one thread for all
/// its tasks) the group waits for the loop's next turn instead, gathering the writes of the
/// tasks queued before it.
///
/// A group runs on a draft of the connection state that replaces it only when the commit
/// succeeds. When a group's transaction fails, each write runs again in a transaction of its
/// own, so one write that cannot be kept does not fail the ones beside it (a full disk fails
/// them all, each with its own error).
final class SQLiteGroupCommit<State: SQLiteConnectionState>: Sendable {
    /// One write: runs on the group's draft of the state and returns how to tell its caller,
    /// called only once the group is committed.
    typealias Write = @Sendable (inout State) throws(SQLiteDatabase.Failure) -> @Sendable () -> Void

    private struct Pending: Sendable {
        let write: Write
        let fail: @Sendable (StoreError) -> Void
    }

    private struct Queue: Sendable {
        var pending: [Pending] = []
        var committing = false
    }

    /// Groups one caller commits before a new task takes over.
    private static var groupsPerTurn: Int { 4 }

    private let state = Mutex<State?>(nil)
    private let queue = Mutex(Queue())
    private let closedError: StoreError

    /// - Parameter closedError: what a call gets while no connection is open.
    init(closedError: StoreError) {
        self.closedError = closedError
    }

    /// Runs `body` with the connection state under its lock: opening, closing, and reads.
    func withState<Value, Failure: Error>(_ body: (inout State?) throws(Failure) -> Value) throws(Failure) -> Value {
        try state.withLock { state throws(Failure) in try body(&state) }
    }

    /// Runs `body` on the open connection under its lock, outside any group (a read, or a write
    /// that makes its own transaction).
    func read<Value>(_ body: (inout State) throws(SQLiteDatabase.Failure) -> Value) throws(StoreError) -> Value {
        try state.withLock { state throws(StoreError) -> Value in
            guard var open = state else { throw closedError }
            do throws(SQLiteDatabase.Failure) {
                let value = try body(&open)
                state = open
                return value
            } catch {
                throw error.storeError
            }
        }
    }

    /// Runs `body` in the next group's transaction; returns its value once that is committed.
    func write<Value: Sendable>(_ body: @escaping @Sendable (inout State) throws(SQLiteDatabase.Failure) -> Value)
        async throws(StoreError) -> Value
    {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, StoreError>, Never>) in
            let pending = Pending(
                write: { state throws(SQLiteDatabase.Failure) in
                    let value = try body(&state)
                    return { continuation.resume(returning: .success(value)) }
                },
                fail: { continuation.resume(returning: .failure($0)) })
            let leads = queue.withLock { queue in
                queue.pending.append(pending)
                guard !queue.committing else { return false }
                queue.committing = true
                return true
            }
            guard leads else { return }
            if TaskPlacement.executor is EventLoopTaskExecutor {
                // A worker's tasks share one thread, where nothing arrives while a commit runs:
                // the group is committed on the loop's next turn instead, and the writes of
                // every task that runs before it (the other chats' finished jobs) join it.
                Task.placed { self.commitQueued() }
            } else {
                commitQueued()
            }
        }
        return try result.get()
    }

    /// Commits the queued groups, one transaction each, until none is left or this caller's
    /// turn is over (a new task then goes on).
    private func commitQueued() {
        for _ in 0..<Self.groupsPerTurn {
            let group = queue.withLock { queue in
                defer { queue.pending.removeAll(keepingCapacity: true) }
                if queue.pending.isEmpty { queue.committing = false }
                return queue.pending
            }
            guard !group.isEmpty else { return }
            commit(group)
        }
        Task.placed { self.commitQueued() }
    }

    private func commit(_ group: [Pending]) {
        let completions = state.withLock { state -> [@Sendable () -> Void] in
            guard let open = state else {
                return group.map { pending in { pending.fail(self.closedError) } }
            }
            var draft = open
            do throws(SQLiteDatabase.Failure) {
                let done = try open.database.transaction { () throws(SQLiteDatabase.Failure) in
                    try group.map { pending throws(SQLiteDatabase.Failure) in try pending.write(&draft) }
                }
                state = draft
                return done
            } catch {
                guard group.count > 1 else { return [{ group[0].fail(error.storeError) }] }
            }
            // Each alone: a write that cannot be kept fails by itself.
            return group.map { pending in
                var draft = state ?? open
                do throws(SQLiteDatabase.Failure) {
                    let done = try draft.database.transaction { () throws(SQLiteDatabase.Failure) in try pending.write(&draft) }
                    state = draft
                    return done
                } catch {
                    let failure = error.storeError
                    return { pending.fail(failure) }
                }
            }
        }
        // Callers resume outside the lock.
        for complete in completions { complete() }
    }
}

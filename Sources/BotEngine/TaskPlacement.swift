import NIOCore
import Synchronization

/// Runs the jobs of the tasks that prefer it on one NIO event loop, in the order they come.
///
/// A worker runs its whole engine and its HTTP client on one such loop: an update, its store
/// intake, its job and its Bot API call then never cross threads. On Swift's shared pool, every
/// hand-off between the pool and the HTTP client's loop was a wake-up of another thread
/// (futex or eventfd); with 100 busy workers that was about a dozen context switches per update.
/// A job enqueued from the loop itself joins the loop's queue without a wake-up.
public final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop the jobs run on.
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Where the engine's unstructured tasks run.
///
/// Swift's unstructured tasks (`Task { }`) do not inherit their creator's executor preference,
/// but they copy its task-locals: the engine creates its tasks with ``Task/placed(operation:)``,
/// which reads the preference from here. Unset (tests, tools), tasks run on Swift's global pool
/// as `Task { }` would.
public enum TaskPlacement {
    /// The executor the current task tree's new tasks prefer.
    @TaskLocal public static var executor: (any TaskExecutor)?

    /// Runs `operation` in a new task on `executor`, with `executor` as the preference of every
    /// task it places: the entry point for work that starts outside any task (the protocol
    /// thread's frames).
    @discardableResult
    public static func start<Success: Sendable>(
        on executor: (any TaskExecutor)?, operation: sending @escaping () async -> Success
    ) -> Task<Success, Never> {
        Task(executorPreference: executor) {
            await $executor.withValue(executor) { await operation() }
        }
    }
}

extension TaskPlacement {
    /// Suspends for `duration`, like `Task.sleep(for:)` (and throws `CancellationError` when the
    /// task is cancelled), but on the preferred event loop's timer when there is one.
    ///
    /// `Task.sleep` arms a timer of Swift's global executor: whether it fires or is cancelled,
    /// Dispatch's timer thread and one of its workers wake up for it, and the engine waits with
    /// a limit for every job it takes. A timer on the loop is a heap entry that a cancellation
    /// removes without waking anyone.
    public static func sleep(for duration: Duration) async throws {
        guard let loop = (executor as? EventLoopTaskExecutor)?.eventLoop else {
            return try await Task.sleep(for: duration)
        }
        let sleeper = LoopSleeper()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                sleeper.begin(continuation, timer: loop.scheduleTask(in: TimeAmount(duration)) { sleeper.end(nil) })
            }
        } onCancel: {
            sleeper.end(CancellationError())
        }
    }
}

/// One ``TaskPlacement/sleep(for:)`` on a loop: whichever comes first, the timer or the
/// cancellation, resumes the sleeper; the other finds nothing to do.
private final class LoopSleeper: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, any Error>?
        var timer: Scheduled<Void>?
        var ended: (any Error)??
    }
    private let state = Mutex(State())

    func begin(_ continuation: CheckedContinuation<Void, any Error>, timer: Scheduled<Void>) {
        let endedAlready = state.withLock { state -> (any Error)?? in
            guard state.ended == nil else { return state.ended }
            state.continuation = continuation
            state.timer = timer
            return nil
        }
        if let endedAlready {
            // Cancelled before the sleep began.
            timer.cancel()
            if let error = endedAlready { continuation.resume(throwing: error) } else { continuation.resume() }
        }
    }

    /// `error` nil: the time passed; else the sleep was cancelled.
    func end(_ error: (any Error)?) {
        let (continuation, timer) = state.withLock { state in
            if state.ended == nil { state.ended = .some(error) }
            defer {
                state.continuation = nil
                state.timer = nil
            }
            return (state.continuation, state.timer)
        }
        guard let continuation else { return }
        if let error {
            timer?.cancel()
            continuation.resume(throwing: error)
        } else {
            continuation.resume()
        }
    }
}

extension Task where Failure == Never {
    /// A new unstructured task on the executor the current task tree prefers
    /// (``TaskPlacement/executor``), carrying the task-locals as `Task { }` does.
    @discardableResult
    public static func placed(operation: sending @escaping () async -> Success) -> Task<Success, Never> {
        Task(executorPreference: TaskPlacement.executor, operation: operation)
    }
}

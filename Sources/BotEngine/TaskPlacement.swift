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
                sleeper.begin(continuation, timer: loop.scheduleTask(in: TimeAmount(duration)) { sleeper.end(.elapsed) })
            }
        } onCancel: {
            sleeper.end(.cancelled)
        }
    }
}

/// One ``TaskPlacement/sleep(for:)`` on a loop: whichever comes first, the timer or the
/// cancellation, resumes the sleeper; the other finds nothing to do.
private final class LoopSleeper: Sendable {
    enum Ending { case elapsed, cancelled }

    private struct State {
        var continuation: CheckedContinuation<Void, any Error>?
        var timer: Scheduled<Void>?
        var ending: Ending?
    }
    private let state = Mutex(State())

    func begin(_ continuation: CheckedContinuation<Void, any Error>, timer: Scheduled<Void>) {
        let endedAlready = state.withLock { state -> Ending? in
            if state.ending == nil {
                state.continuation = continuation
                state.timer = timer
            }
            return state.ending
        }
        // Ended before the sleep began: cancelled already, or a timer of next to no time.
        if let endedAlready {
            timer.cancel()
            Self.resume(continuation, endedAlready)
        }
    }

    func end(_ ending: Ending) {
        let (continuation, timer) = state.withLock { state in
            if state.ending == nil { state.ending = ending }
            defer {
                state.continuation = nil
                state.timer = nil
            }
            return (state.continuation, state.timer)
        }
        guard let continuation else { return }
        timer?.cancel()
        Self.resume(continuation, ending)
    }

    private static func resume(_ continuation: CheckedContinuation<Void, any Error>, _ ending: Ending) {
        switch ending {
        case .elapsed: continuation.resume()
        case .cancelled: continuation.resume(throwing: CancellationError())
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

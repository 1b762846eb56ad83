import BotmasterSystem
import Dispatch
import Glibc
import NIOPosix

/// The one thread the master starts its workers from, alive as long as the master.
///
/// Linux ties a parent-death signal (`PR_SET_PDEATHSIG`, which `botworker` asks for so that it
/// ends with its master) to the *thread* that created the child, not to the process. A worker
/// spawned from a thread of Swift's cooperative pool got SIGTERM, drained and exited 0 when the
/// pool retired that thread after a few idle seconds, while the master lived on. A thread that
/// never exits keeps the signal for the death of the master itself.
enum SpawnThread {
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    /// Runs `body` on the spawn thread and waits for it. The wait blocks the caller for as long
    /// as a `posix_spawn` takes, as the spawn itself did when it ran on the caller's thread; it
    /// cannot deadlock, because the spawn thread waits for nothing of the caller's.
    static func run<Result: Sendable>(_ body: @escaping @Sendable () throws(SystemError) -> Result) throws(SystemError) -> Result {
        let done = DispatchSemaphore(value: 0)
        let outcome = OutcomeBox<Result>()
        pool.submit { state in
            if case .active = state {
                do throws(SystemError) { outcome.value = .success(try body()) } catch { outcome.value = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        // Only a pool that was shut down leaves no outcome, and this one never is.
        guard let result = outcome.value else { throw SystemError(call: "posix_spawn", subject: "spawn thread stopped", code: ECANCELED) }
        return try result.get()
    }
}

/// Carries the outcome from the spawn thread to the waiting caller; the semaphore orders the
/// write before the read.
private final class OutcomeBox<Value: Sendable>: @unchecked Sendable {
    var value: Swift.Result<Value, SystemError>?
}

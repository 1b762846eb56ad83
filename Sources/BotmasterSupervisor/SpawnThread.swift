import BotmasterSystem
import Dispatch
import Glibc
import NIOPosix

/// The threads the master starts its workers from, alive as long as the master.
///
/// Linux ties a parent-death signal (`PR_SET_PDEATHSIG`, which `botworker` asks for so that it
/// ends with its master) to the *thread* that created the child, not to the process. A worker
/// spawned from a thread of Swift's cooperative pool got SIGTERM, drained and exited 0 when the
/// pool retired that thread after a few idle seconds, while the master lived on. Threads that
/// never exit keep the signal for the death of the master itself. There are two: a
/// `posix_spawn` waits for its child's `exec`, and at a fleet's start one thread's wait is the
/// other's turn to spawn.
enum SpawnThread {
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    /// Runs `body` on the spawn threads once for each of `items` and waits for all of them;
    /// their outcomes in order. The wait blocks the caller for as long as the spawns take, as a
    /// spawn did when it ran on the caller's thread; it cannot deadlock, because the spawn
    /// threads wait for nothing of the caller's.
    static func runAll<Item: Sendable, Result: Sendable>(
        _ items: [Item], _ body: @escaping @Sendable (Item) throws(SystemError) -> Result
    ) -> [Swift.Result<Result, SystemError>] {
        let done = DispatchGroup()
        let outcomes = items.map { _ in OutcomeBox<Result>() }
        for (item, outcome) in zip(items, outcomes) {
            done.enter()
            pool.submit { state in
                if case .active = state {
                    do throws(SystemError) { outcome.value = .success(try body(item)) } catch { outcome.value = .failure(error) }
                }
                done.leave()
            }
        }
        done.wait()
        // Only a pool that was shut down leaves no outcome, and this one never is.
        return outcomes.map { $0.value ?? .failure(SystemError(call: "posix_spawn", subject: "spawn thread stopped", code: ECANCELED)) }
    }
}

/// Carries the outcome from a spawn thread to the waiting caller; the group's wait orders the
/// write before the read.
private final class OutcomeBox<Value: Sendable>: @unchecked Sendable {
    var value: Swift.Result<Value, SystemError>?
}

import BotmasterIPC
import BotmasterSystem
import Synchronization

/// The newest heartbeat of one worker process, written by the I/O thread that reads its
/// channel and read by the supervisor's tick. Heartbeats are the one frequent frame, so they
/// update this directly instead of travelling through the supervisor's event queue.
final class WorkerLiveStats: Sendable {
    struct Snapshot: Sendable {
        var heartbeat: Heartbeat?
        var receivedAt: MonotonicTime?
    }

    private let state = Mutex(Snapshot())

    func record(_ heartbeat: Heartbeat, at time: MonotonicTime) {
        state.withLock {
            $0.heartbeat = heartbeat
            $0.receivedAt = time
        }
    }

    var snapshot: Snapshot { state.withLock { $0 } }
}

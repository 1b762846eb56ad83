import BotmasterIPC
import BotmasterSystem
import Synchronization

/// The newest heartbeat of one worker process, written by the I/O thread that reads its
/// channel and read by the supervisor's tick. Heartbeats are the one frequent frame, so they
/// update this directly instead of travelling through the supervisor's event queue.
final class WorkerLiveStats: Sendable {
    private let newest = Mutex<Heartbeat?>(nil)
    /// When the newest heartbeat arrived, in monotonic nanoseconds (0: none yet), apart from the
    /// heartbeat: the tick reads it for every worker four times a second, and a lock-free load of
    /// one word does not copy (and retain) the heartbeat's counters each time.
    private let arrival = Atomic<UInt64>(0)

    func record(_ heartbeat: Heartbeat, at time: MonotonicTime) {
        newest.withLock { $0 = heartbeat }
        arrival.store(time.nanoseconds, ordering: .releasing)
    }

    /// The newest heartbeat, if one has arrived.
    var heartbeat: Heartbeat? { newest.withLock { $0 } }

    /// When the newest heartbeat arrived, if one has.
    var receivedAt: MonotonicTime? {
        let nanoseconds = arrival.load(ordering: .acquiring)
        return nanoseconds == 0 ? nil : MonotonicTime(nanoseconds: nanoseconds)
    }
}

import BotmasterControl
import BotmasterIPC
import BotmasterSystem
import Synchronization

/// The newest heartbeat of one worker process, written by the I/O thread that reads its
/// channel (or taken from the process's heartbeat page by the supervisor's tick) and read by
/// the tick. Heartbeats are the one frequent message, so they update this directly instead of
/// travelling through the supervisor's event queue.
final class WorkerLiveStats: Sendable {
    private let newest = Mutex<Heartbeat?>(nil)
    /// When the newest heartbeat arrived, in monotonic nanoseconds (0: none yet), apart from the
    /// heartbeat: the tick reads it for every worker it looks at, and a lock-free load of one
    /// word does not copy (and retain) the heartbeat's counters each time.
    private let arrival = Atomic<UInt64>(0)
    /// The update source the newest heartbeat named (``BotCounters/source(inHeartbeatExtra:)``),
    /// or ``noSource``.
    private let source = Atomic<UInt64>(noSource)
    /// The page the process writes its heartbeats to instead of its channel, when it was given
    /// one (``WorkerLauncher``). Read on the supervisor's actor only (its tick and status).
    let page: SharedCounterPage?

    /// Why the process broke the protocol, once it has: set before the violation's event is
    /// sent, so an exit reaped before that event is handled still counts as the violation.
    private let violation = Mutex<String?>(nil)

    private static let noSource = UInt64.max

    init(page: SharedCounterPage? = nil) {
        self.page = page
    }

    /// Keeps a heartbeat that arrived at `time`; `true` when it names another update source
    /// than the heartbeat before it (the bot's webhook route follows the source).
    func record(_ heartbeat: Heartbeat, at time: MonotonicTime) -> Bool {
        newest.withLock { $0 = heartbeat }
        arrival.store(time.nanoseconds, ordering: .releasing)
        let named = BotCounters.source(inHeartbeatExtra: heartbeat.extra) ?? Self.noSource
        return source.exchange(named, ordering: .relaxed) != named
    }

    /// What the heartbeat page held.
    enum PageReading: Equatable {
        /// Nothing new (or a write under way: the next tick reads it).
        case nothing
        /// A new heartbeat, recorded; whether it names another update source.
        case heartbeat(sourceChanged: Bool)
        /// Counters that are no heartbeat (fewer than its fixed three).
        case malformed(String)
    }

    /// Takes a heartbeat the process wrote to its page since the last look, as arrived `now`.
    /// The page is not looked at while the newest heartbeat is younger than `notBefore` (the
    /// worker's interval less half a tick): its next one is not due yet, and a look at 1,000
    /// pages is 1,000 cache misses, which four looks per heartbeat made a fifth of an idle
    /// master's time. A heartbeat is then seen by the first tick after it was written, as with
    /// a look every tick, while the worker keeps its schedule.
    func readPage(at now: MonotonicTime, notBefore: Duration = .zero) -> PageReading {
        // The time first: it is in this object, which the tick has in cache; the page object
        // and the page itself are two more cache misses.
        if let last = receivedAt, now - last < notBefore { return .nothing }
        guard let page, case .counters(let counters) = page.read() else { return .nothing }
        guard let heartbeat = Heartbeat(counters: counters) else {
            return .malformed("its heartbeat page holds \(counters.count) counters; a heartbeat has at least \(Heartbeat.fixedFieldCount)")
        }
        return .heartbeat(sourceChanged: record(heartbeat, at: now))
    }

    /// Keeps the first reason the process broke the protocol.
    func reportViolation(_ reason: String) {
        violation.withLock { $0 = $0 ?? reason }
    }

    /// Why the process broke the protocol, if it did.
    var violationReported: String? { violation.withLock { $0 } }

    /// The newest heartbeat, if one has arrived.
    var heartbeat: Heartbeat? { newest.withLock { $0 } }

    /// When the newest heartbeat arrived, if one has.
    var receivedAt: MonotonicTime? {
        let nanoseconds = arrival.load(ordering: .acquiring)
        return nanoseconds == 0 ? nil : MonotonicTime(nanoseconds: nanoseconds)
    }
}

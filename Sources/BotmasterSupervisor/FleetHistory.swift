import BotmasterControl
import BotmasterSystem
import DequeModule
import Synchronization

/// The last samples of every bot and of the whole fleet, for the dashboard's sparklines:
/// messages and errors in each interval, and memory and CPU at its end. The master keeps it in
/// memory (an hour at the default interval); it starts empty when the master starts.
public final class FleetHistory: Sendable {
    private struct Counters {
        var messages: UInt64
        var errors: UInt64
        var pid: Int32?
    }

    private struct State {
        var bots: [String: Deque<HistorySeries.Sample>] = [:]
        var fleet: Deque<HistorySeries.Sample> = []
        var last: [String: Counters] = [:]
    }

    private let state = Mutex(State())
    private let capacity: Int
    public let interval: Duration

    public init(interval: Duration, capacity: Int) {
        self.interval = interval
        self.capacity = max(capacity, 1)
    }

    /// Records the interval that ends now. A bot's counters start again with each new process, so
    /// a counter lower than the last one (or a new pid) counts from zero, as Prometheus' `rate`
    /// reads a counter reset.
    public func record(_ status: FleetStatus, atMs: Int64) {
        state.withLock { state in
            var total = HistorySeries.Sample(atMs: atMs, messages: 0, errors: 0, pssBytes: nil, cpuPercent: nil)
            var seen: Set<String> = []
            for worker in status.workers {
                seen.insert(worker.id)
                let previous = state.last[worker.id]
                let restarted = previous == nil || previous?.pid != worker.pid
                func delta(_ now: UInt64, _ before: UInt64?) -> UInt64 {
                    // No process: its last heartbeat's counters stay in status, counted already.
                    guard worker.pid != nil, previous != nil else { return 0 }
                    guard let before, !restarted, now >= before else { return now }
                    return now - before
                }
                let sample = HistorySeries.Sample(
                    atMs: atMs, messages: delta(worker.messages, previous?.messages), errors: delta(worker.errors, previous?.errors),
                    pssBytes: worker.pid == nil ? nil : worker.pssBytes, cpuPercent: worker.pid == nil ? nil : worker.cpuPercent)
                state.last[worker.id] = Counters(messages: worker.messages, errors: worker.errors, pid: worker.pid)
                Self.append(sample, to: &state.bots[worker.id, default: []], capacity: capacity)
                total.messages += sample.messages
                total.errors += sample.errors
                if let pss = sample.pssBytes { total.pssBytes = (total.pssBytes ?? 0) + pss }
                if let cpu = sample.cpuPercent { total.cpuPercent = (total.cpuPercent ?? 0) + cpu }
            }
            // Removed bots take their history with them.
            for id in state.bots.keys where !seen.contains(id) {
                state.bots[id] = nil
                state.last[id] = nil
            }
            Self.append(total, to: &state.fleet, capacity: capacity)
        }
    }

    /// One bot's samples (`nil`: the fleet's), oldest first; `nil` for a bot it has not seen.
    public func series(of id: String?) -> HistorySeries? {
        let samples = state.withLock { state in id.map { state.bots[$0].map(Array.init) } ?? Array(state.fleet) }
        return samples.map { HistorySeries(intervalMs: interval.millisecondsClamped, samples: $0) }
    }

    /// A series with no samples yet.
    public var empty: HistorySeries { HistorySeries(intervalMs: interval.millisecondsClamped, samples: []) }

    private static func append(_ sample: HistorySeries.Sample, to samples: inout Deque<HistorySeries.Sample>, capacity: Int) {
        samples.append(sample)
        if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
    }
}

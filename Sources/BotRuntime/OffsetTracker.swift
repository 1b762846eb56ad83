import HeapModule

/// Which update ids a polling worker may confirm to the Bot API.
///
/// `getUpdates` with `offset = N` makes Telegram forget every update below N, so the offset
/// must never pass an update whose work is not finished: otherwise a crash loses it. The
/// tracker keeps the ids in flight (received, not yet answered, dead-lettered or dropped) and
/// offers as the offset the lowest of them, or one past the highest id seen when none is in
/// flight. After a crash the next process polls from that offset and reads again what was lost
/// with the old one.
public struct OffsetTracker: Sendable {
    private var inFlight: Set<Int64> = []
    /// The ids in flight as a min-heap; finished ids leave it lazily, when they reach the top.
    private var order = Heap<Int64>()
    private var highestSeen: Int64?

    public init() {}

    /// Number of updates in flight.
    public var count: Int { inFlight.count }

    /// Whether `updateID` is in flight (a re-read of an update still being worked on).
    public func isInFlight(_ updateID: Int64) -> Bool { inFlight.contains(updateID) }

    /// Records a newly received update; `false` if it is already in flight.
    @discardableResult
    public mutating func begin(_ updateID: Int64) -> Bool {
        highestSeen = max(highestSeen ?? updateID, updateID)
        guard inFlight.insert(updateID).inserted else { return false }
        order.insert(updateID)
        return true
    }

    /// Records that an update's work is over (answered, dead-lettered or dropped).
    public mutating func finish(_ updateID: Int64) {
        guard inFlight.remove(updateID) != nil else { return }
        // Each id enters and leaves the heap once: O(log n) amortized, however jobs finish.
        while let lowest = order.min, !inFlight.contains(lowest) { order.removeMin() }
    }

    /// The offset to poll with: every update below it is finished. `nil` before anything was seen.
    public var offset: Int64? {
        if let lowest = order.min { return lowest }
        return highestSeen.map { $0 + 1 }
    }
}

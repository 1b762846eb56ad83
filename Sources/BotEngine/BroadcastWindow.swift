/// Which audience positions of a running broadcast are on their way, and the cursor below
/// which every position has a recorded outcome. Pure, so the rules are tested with plain
/// values; ``BroadcastRunner`` is its edge.
///
/// A position stays in flight until its outcome is recorded in the store, so a cursor written
/// with any record never passes a position whose record is not in yet: a process that resumes
/// at the stored cursor finds every earlier chat done, and checks the ones above it one by one.
struct BroadcastWindow: Sendable, Equatable {
    private(set) var inFlight: Set<Int> = []
    /// The next position to look at.
    private(set) var next: Int
    /// Most sends in flight at once.
    let limit: Int

    init(cursor: Int, limit: Int) {
        next = cursor
        self.limit = max(limit, 1)
    }

    /// Sends in flight at once for a broadcast of `rate` a second: enough to keep the rate when
    /// each call takes up to about 60 ms (Telegram from far away), one at a time for slow ones.
    static func limit(forRate rate: Double) -> Int {
        min(max(Int((rate / 16).rounded(.up)), 1), 64)
    }

    /// Whether another send may start.
    var hasRoom: Bool { inFlight.count < limit }

    /// Every position below this one has a recorded outcome.
    var cursor: Int { inFlight.min() ?? next }

    /// `position` goes out now.
    mutating func dispatch(_ position: Int) {
        inFlight.insert(position)
        next = max(next, position + 1)
    }

    /// `position` had an outcome already (before a restart).
    mutating func skip(_ position: Int) {
        next = max(next, position + 1)
    }

    /// `position`'s outcome is recorded. A position whose send was given up (the broadcast
    /// stops) is never finished: the cursor must not pass it.
    mutating func finish(_ position: Int) {
        inFlight.remove(position)
    }
}

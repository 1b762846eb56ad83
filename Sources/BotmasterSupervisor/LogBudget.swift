import BotmasterSystem

/// How many bytes of a worker's output the master writes to its log: `rate` bytes per second
/// on average, bursts of up to `burst`. Output beyond it is dropped and counted, so one bot
/// printing flat out cannot take the master's CPU or the disk.
struct LogBudget: Sendable {
    let rate: Double
    let burst: Double
    private var available: Double
    private var updatedAt: MonotonicTime

    /// - Parameter bytesPerSecond: the worker's `[limits] log_rate`; bursts of four seconds'
    ///   worth (at least 64 KB) pass whole.
    init(bytesPerSecond: UInt64, now: MonotonicTime) {
        rate = Double(max(bytesPerSecond, 1))
        burst = max(rate * 4, 64 * 1024)
        available = burst
        updatedAt = now
    }

    /// Takes `count` bytes from the budget if they fit; false means drop them.
    mutating func admit(_ count: Int, now: MonotonicTime) -> Bool {
        if now > updatedAt {
            available = min(burst, available + Double((now - updatedAt).nanosecondsClamped) / 1e9 * rate)
            updatedAt = now
        }
        guard Double(count) <= available else { return false }
        available -= Double(count)
        return true
    }
}

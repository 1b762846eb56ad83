/// Per-bot supervision limits: the `[limits]` table of `workers/<id>.toml`. The defaults are the
/// predecessor's proven numbers (DESIGN.md, seed 003).
public struct WorkerLimits: Sendable, Equatable {
    /// Resident memory above which the worker is restarted gracefully. Default 150 MB.
    public var memoryBytes: UInt64 = 150 * 1024 * 1024
    /// How often the worker sends a heartbeat. Default 45 s.
    public var heartbeatInterval: Duration = .seconds(45)
    /// Time without a heartbeat after which the worker counts as hung and is killed. Default 5 min.
    public var heartbeatTimeout: Duration = .seconds(300)
    /// Wait between a worker's exit and its restart. Default 45 s: long enough for Telegram to
    /// forget the old poller, so the new one gets no 409.
    public var restartCooldown: Duration = .seconds(45)
    /// Restarts allowed in a rolling hour before the bot goes `errored`. Default 5.
    public var maxRestartsPerHour: Int = 5
    /// Time a worker has to drain before SIGKILL. Default 90 s.
    public var stopTimeout: Duration = .seconds(90)
    /// Time a worker over its memory cap has to exit before SIGKILL, instead of the whole stop
    /// timeout: a leak keeps growing while it drains. Default 5 s.
    public var memoryGrace: Duration = .seconds(5)
    /// Bytes per second of the worker's output the master writes to its log (bursts of four
    /// seconds' worth pass); the excess is dropped and counted. Default 1 MB/s.
    public var logBytesPerSecond: UInt64 = 1024 * 1024
    /// Time from spawn to the hello frame before the start counts as failed (for a plain
    /// process: the time it must stay up to count as started). Default 30 s.
    public var startTimeout: Duration = .seconds(30)

    public init() {}
}

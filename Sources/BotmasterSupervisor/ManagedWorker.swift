import BotmasterConfig
import BotmasterSystem
import Glibc
import NIOCore

/// One restart, as `status` and the API show it.
public struct RestartRecord: Codable, Sendable, Equatable {
    /// Wall-clock time of the exit, in milliseconds since the epoch.
    public var wallClockMs: Int64
    /// Why the worker ended.
    public var reason: ExitReason
}

/// The supervisor's record of one bot: its definition, its lifecycle, and the process that
/// currently runs it, if any. A class owned by the supervisor actor: the tick and the event
/// handlers update it in place, with no copy of the whole record per check, and a handler
/// that awaits in the middle of an update cannot write back a stale copy.
final class ManagedWorker {
    // The fields the supervisor's tick reads for every worker four times a second come first:
    // Swift lays a final class's fields out in the order declared, and behind the definition
    // (hundreds of bytes) they were more cache misses per worker per tick.
    var lifecycle: WorkerLifecycle
    /// The newest heartbeat, written by the I/O thread (or taken from the heartbeat page).
    var stats = WorkerLiveStats()
    /// The running process, while there is one.
    var pid: pid_t?
    /// When the channel reached EOF while the process was still alive.
    var channelClosedAt: MonotonicTime?
    /// When the next memory sample is due.
    var nextMemoryCheck: MonotonicTime

    var definition: WorkerDefinition
    let log: RotatingLogFile
    /// Its output's rate limit and what was dropped over it, across restarts.
    let logVolume: WorkerLogVolume
    /// The master's end of the IPC channel, while it is open.
    var channel: (any Channel)?
    /// Memory and CPU of its process group at the last sample.
    var usage: WorkerUsage?
    /// The running process's `/proc` counter files, open between samples (two descriptors,
    /// counted in ``DescriptorBudget/perWorker``).
    var counterFiles: ProcessCounterFiles?
    /// Recent restarts, newest last, at most ``restartRecordLimit``.
    var restartRecords: [RestartRecord] = []
    /// Removed from the fleet by a reload: dropped from the table once it has stopped.
    var retiring = false

    static let restartRecordLimit = 20

    init(definition: WorkerDefinition, lifecycle: WorkerLifecycle, log: RotatingLogFile, nextMemoryCheck: MonotonicTime) {
        self.definition = definition
        self.lifecycle = lifecycle
        self.log = log
        self.logVolume = WorkerLogVolume(bytesPerSecond: definition.limits.logBytesPerSecond)
        self.nextMemoryCheck = nextMemoryCheck
    }

    func remember(_ reason: ExitReason) {
        restartRecords.append(RestartRecord(wallClockMs: WallClock.nowMilliseconds(), reason: reason))
        if restartRecords.count > Self.restartRecordLimit { restartRecords.removeFirst() }
    }
}

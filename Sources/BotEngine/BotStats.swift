import BotmasterIPC
import Synchronization

/// The bot runtime's counters, written by the pipeline and read by the heartbeat (another
/// thread), hence atomics. Their order in the heartbeat is ``heartbeatCounters``.
public final class BotStats: Sendable {
    /// Where updates come from right now, as the heartbeat reports it.
    public enum Source: UInt64, Sendable {
        case starting = 0
        case polling = 1
        case webhook = 2
        /// Webhook mode whose setWebhook failed, polling instead (`AUTO_SWITCH_MODE=true`).
        case pollingAfterWebhookFailed = 3
        /// getUpdates answers 409: another poller or a webhook is using this token.
        case conflict = 4
        /// setWebhook failed and falling back to polling is off.
        case webhookFailed = 5
    }

    public let received = Atomic<UInt64>(0)
    public let duplicates = Atomic<UInt64>(0)
    public let batches = Atomic<UInt64>(0)
    public let jobsSucceeded = Atomic<UInt64>(0)
    public let jobFailures = Atomic<UInt64>(0)
    public let deadLettered = Atomic<UInt64>(0)
    public let rateLimited = Atomic<UInt64>(0)
    public let breakerState = Atomic<UInt64>(0)
    public let handoffs = Atomic<UInt64>(0)
    public let inFlight = Atomic<UInt64>(0)
    public let pollConflicts = Atomic<UInt64>(0)
    public let source = Atomic<UInt64>(Source.starting.rawValue)
    public let store = Atomic<UInt64>(Store.memory.rawValue)
    /// Broadcast messages sent by this process.
    public let broadcastSent = Atomic<UInt64>(0)
    /// Broadcast chats not reached (blocked, invalid, failed) by this process.
    public let broadcastUnreached = Atomic<UInt64>(0)
    /// Broadcasts sending now (0 or 1: a bot sends one at a time).
    public let broadcastsRunning = Atomic<UInt64>(0)
    /// Chats the running broadcast has still to reach.
    public let broadcastRemaining = Atomic<UInt64>(0)

    /// Where the state is and whether it can be used, as the heartbeat reports it (the names
    /// status shows are in `BotCounters`).
    public enum Store: UInt64, Sendable {
        case memory = 0
        case redis = 1
        /// Redis calls are failing.
        case redisUnreachable = 2
        case sqlite = 3
        /// SQLite calls fail for another reason than the ones below.
        case sqliteError = 4
        /// The database is held by another process (a predecessor still stopping).
        case sqliteLocked = 5
        /// The database cannot be read (damaged, not a database, a newer schema).
        case sqliteCorrupt = 6
        /// The database or its directory cannot be written.
        case sqliteReadOnly = 7
        /// The disk is full.
        case sqliteFull = 8

        /// The healthy state of a store.
        package init(_ kind: BotSettings.Store) {
            switch kind {
            case .memory: self = .memory
            case .redis: self = .redis
            case .sqlite: self = .sqlite
            }
        }

        /// The state of a store whose calls fail.
        package init(_ kind: BotSettings.Store, failing: StoreError.Kind) {
            switch (kind, failing) {
            case (.memory, _): self = .memory
            case (.redis, _): self = .redisUnreachable
            case (.sqlite, .locked): self = .sqliteLocked
            case (.sqlite, .corrupt): self = .sqliteCorrupt
            case (.sqlite, .readOnly): self = .sqliteReadOnly
            case (.sqlite, .full): self = .sqliteFull
            case (.sqlite, .unavailable), (.sqlite, .failed), (.sqlite, .fenced): self = .sqliteError
            }
        }
    }

    public init() {}

    static func add(_ counter: borrowing Atomic<UInt64>, _ value: UInt64 = 1) {
        counter.wrappingAdd(value, ordering: .relaxed)
    }

    /// Every counter, in the order the heartbeat carries them after its three fixed fields
    /// (documented in `docs/worker-protocol.md`).
    public var heartbeatCounters: [UInt64] {
        [
            received.load(ordering: .relaxed), duplicates.load(ordering: .relaxed), batches.load(ordering: .relaxed),
            jobsSucceeded.load(ordering: .relaxed), jobFailures.load(ordering: .relaxed), deadLettered.load(ordering: .relaxed),
            rateLimited.load(ordering: .relaxed), breakerState.load(ordering: .relaxed), handoffs.load(ordering: .relaxed),
            inFlight.load(ordering: .relaxed), pollConflicts.load(ordering: .relaxed), source.load(ordering: .relaxed),
            store.load(ordering: .relaxed), broadcastSent.load(ordering: .relaxed), broadcastUnreached.load(ordering: .relaxed),
            broadcastsRunning.load(ordering: .relaxed), broadcastRemaining.load(ordering: .relaxed),
        ]
    }
}

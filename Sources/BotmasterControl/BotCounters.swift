/// A bot runtime's counters in the status document, from its last heartbeat.
public struct BotCounters: Codable, Sendable, Equatable {
    public var received: UInt64
    public var duplicates: UInt64
    public var batches: UInt64
    public var jobsOK: UInt64
    /// Failed job attempts (each retry counts).
    public var jobFailures: UInt64
    public var deadLettered: UInt64
    /// 429 answers obeyed.
    public var rateLimited: UInt64
    /// `closed`, `open` or `half_open`.
    public var breaker: String
    /// Chats handed to an operator now.
    public var handoffs: UInt64
    /// Updates received and not yet answered (in memory), or jobs taken from the Redis stream
    /// and not yet finished.
    public var inFlight: UInt64
    /// getUpdates answers of 409 (another poller or a webhook uses the token).
    public var pollConflicts: UInt64
    /// `starting`, `polling`, `webhook`, `polling_after_webhook_failed`, `conflict` or `webhook_failed`.
    public var source: String
    /// Where the bot's state is and whether it can be used: `sqlite`, `redis` or `memory`, or
    /// a failing store (``storeProblem``): `redis_unreachable`, `sqlite_locked`,
    /// `sqlite_corrupt`, `sqlite_read_only`, `sqlite_full`, `sqlite_error`. While a store fails,
    /// webhook updates get 503, polled ones wait unconfirmed, finished jobs wait to be recorded.
    public var store: String
    /// Broadcast messages sent by the current worker process.
    public var broadcastSent: UInt64 = 0
    /// Broadcast chats the current worker process did not reach (blocked, invalid, failed).
    public var broadcastUnreached: UInt64 = 0
    /// Broadcasts sending now (a bot sends one at a time).
    public var broadcastsRunning: UInt64 = 0
    /// Chats the running broadcast has still to reach.
    public var broadcastRemaining: UInt64 = 0

    public init(
        received: UInt64, duplicates: UInt64, batches: UInt64, jobsOK: UInt64, jobFailures: UInt64, deadLettered: UInt64,
        rateLimited: UInt64, breaker: String, handoffs: UInt64, inFlight: UInt64, pollConflicts: UInt64, source: String,
        store: String = "memory"
    ) {
        self.received = received
        self.duplicates = duplicates
        self.batches = batches
        self.jobsOK = jobsOK
        self.jobFailures = jobFailures
        self.deadLettered = deadLettered
        self.rateLimited = rateLimited
        self.breaker = breaker
        self.handoffs = handoffs
        self.inFlight = inFlight
        self.pollConflicts = pollConflicts
        self.source = source
        self.store = store
    }

    /// The update sources a heartbeat names by their position here.
    static let sources = ["starting", "polling", "webhook", "polling_after_webhook_failed", "conflict", "webhook_failed"]
    /// The code of `webhook` in a heartbeat: the worker takes updates by webhook.
    public static let webhookSource = UInt64(sources.firstIndex(of: "webhook")!)

    /// The raw update source a bot worker's heartbeat names (its 12th appended value), without
    /// reading the rest; `nil` for a worker that appends none.
    public static func source(inHeartbeatExtra values: [UInt64]) -> UInt64? {
        values.count >= 12 ? values[11] : nil
    }

    /// Reads the counters a bot worker appends to its heartbeat, in the order the protocol
    /// documents; `nil` for a worker that appends none.
    public init?(heartbeatExtra values: [UInt64]) {
        guard values.count >= 12 else { return nil }
        let breakers = ["closed", "open", "half_open"]
        let stores = Self.storeStates
        let sources = Self.sources
        self.init(
            received: values[0], duplicates: values[1], batches: values[2], jobsOK: values[3], jobFailures: values[4],
            deadLettered: values[5], rateLimited: values[6], breaker: values[7] < 3 ? breakers[Int(values[7])] : "unknown",
            handoffs: values[8], inFlight: values[9], pollConflicts: values[10],
            source: values[11] < UInt64(sources.count) ? sources[Int(values[11])] : "unknown",
            // A worker from before the stores sends 12 values.
            store: values.count > 12 && values[12] < UInt64(stores.count) ? stores[Int(values[12])] : "memory")
        // Workers from before broadcasts send 13 values.
        if values.count >= 17 {
            broadcastSent = values[13]
            broadcastUnreached = values[14]
            broadcastsRunning = values[15]
            broadcastRemaining = values[16]
        }
    }

    /// The store states by their number in the heartbeat (`BotStats.Store` in the worker).
    static let storeStates = [
        "memory", "redis", "redis_unreachable", "sqlite", "sqlite_error", "sqlite_locked", "sqlite_corrupt", "sqlite_read_only",
        "sqlite_full",
    ]

    /// The store kind alone: `sqlite`, `redis` or `memory`.
    public var storeKind: String {
        if store.hasPrefix("sqlite") { return "sqlite" }
        if store.hasPrefix("redis") { return "redis" }
        return "memory"
    }

    /// Whether the bot's state survives its worker (`memory` does not).
    public var storeDurable: Bool { storeKind != "memory" }

    /// A sentence for people when the store cannot be used, else `nil`.
    public var storeProblem: String? {
        switch store {
        case "redis_unreachable": "Redis calls fail; updates wait or get 503 until it answers"
        case "sqlite_locked": "the bot's database is held by another process (a previous worker still stopping)"
        case "sqlite_corrupt": "the bot's database cannot be read (damaged, or written by a newer botworker); see the worker's log"
        case "sqlite_read_only": "the bot's database or its directory cannot be written"
        case "sqlite_full": "the disk holding the bot's database is full"
        case "sqlite_error": "SQLite calls fail; see the worker's log"
        default: nil
        }
    }

    /// A sentence for people when the source is in trouble, else `nil`.
    public var sourceProblem: String? {
        switch source {
        case "conflict": "getUpdates answers 409: another poller or a webhook is using this token"
        case "webhook_failed": "setWebhook fails; updates are not arriving"
        case "polling_after_webhook_failed": "setWebhook failed; polling instead (AUTO_SWITCH_MODE)"
        default: nil
        }
    }

    enum CodingKeys: String, CodingKey {
        case received, duplicates, batches, breaker, handoffs, source, store
        case jobsOK = "jobs_ok", jobFailures = "job_failures", deadLettered = "dead_lettered", rateLimited = "rate_limited"
        case inFlight = "in_flight", pollConflicts = "poll_conflicts"
        case broadcastSent = "broadcast_sent", broadcastUnreached = "broadcast_unreached"
        case broadcastsRunning = "broadcasts_running", broadcastRemaining = "broadcast_remaining"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        received = try container.decode(UInt64.self, forKey: .received)
        duplicates = try container.decode(UInt64.self, forKey: .duplicates)
        batches = try container.decode(UInt64.self, forKey: .batches)
        jobsOK = try container.decode(UInt64.self, forKey: .jobsOK)
        jobFailures = try container.decode(UInt64.self, forKey: .jobFailures)
        deadLettered = try container.decode(UInt64.self, forKey: .deadLettered)
        rateLimited = try container.decode(UInt64.self, forKey: .rateLimited)
        breaker = try container.decode(String.self, forKey: .breaker)
        handoffs = try container.decode(UInt64.self, forKey: .handoffs)
        inFlight = try container.decode(UInt64.self, forKey: .inFlight)
        pollConflicts = try container.decode(UInt64.self, forKey: .pollConflicts)
        source = try container.decode(String.self, forKey: .source)
        store = try container.decodeIfPresent(String.self, forKey: .store) ?? "memory"
        broadcastSent = try container.decodeIfPresent(UInt64.self, forKey: .broadcastSent) ?? 0
        broadcastUnreached = try container.decodeIfPresent(UInt64.self, forKey: .broadcastUnreached) ?? 0
        broadcastsRunning = try container.decodeIfPresent(UInt64.self, forKey: .broadcastsRunning) ?? 0
        broadcastRemaining = try container.decodeIfPresent(UInt64.self, forKey: .broadcastRemaining) ?? 0
    }
}

/// The document `botmaster status --json` prints (and, later, `GET /api/workers/status` serves).
/// Field names are the product's contract; add fields, never rename them.
public struct FleetStatus: Codable, Sendable, Equatable {
    public var master: MasterStatus
    public var workers: [WorkerStatus]

    public init(master: MasterStatus, workers: [WorkerStatus]) {
        self.master = master
        self.workers = workers
    }
}

/// The master's own line of the status document.
public struct MasterStatus: Codable, Sendable, Equatable {
    public var pid: Int32
    public var uptimeMs: Int64
    public var version: String
    /// Enabled bots the master supervises.
    public var workersTotal: Int
    /// Of those, how many are `running`.
    public var workersRunning: Int
    /// Reloads attempted since the master started (SIGUSR2 or `botmaster reload`).
    public var reloads: Int
    /// The last reload's outcome, or `null` before the first.
    public var lastReload: ReloadStatus?
    /// The HTTP fleet source's state, or `null` when `BOTMASTER_FLEET_URL` is not set.
    public var fleetSource: FleetSourceStatus?
    /// Cluster mode's view, or `null` outside cluster mode.
    public var cluster: ClusterStatus?

    public init(
        pid: Int32, uptimeMs: Int64, version: String, workersTotal: Int, workersRunning: Int, reloads: Int = 0,
        lastReload: ReloadStatus? = nil, fleetSource: FleetSourceStatus? = nil, cluster: ClusterStatus? = nil
    ) {
        self.fleetSource = fleetSource
        self.cluster = cluster
        self.pid = pid
        self.uptimeMs = uptimeMs
        self.version = version
        self.workersTotal = workersTotal
        self.workersRunning = workersRunning
        self.reloads = reloads
        self.lastReload = lastReload
    }

    enum CodingKeys: String, CodingKey {
        case pid
        case uptimeMs = "uptime_ms"
        case version
        case workersTotal = "workers_total"
        case workersRunning = "workers_running"
        case reloads
        case lastReload = "last_reload"
        case fleetSource = "fleet_source"
        case cluster
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pid = try container.decode(Int32.self, forKey: .pid)
        uptimeMs = try container.decode(Int64.self, forKey: .uptimeMs)
        version = try container.decode(String.self, forKey: .version)
        workersTotal = try container.decode(Int.self, forKey: .workersTotal)
        workersRunning = try container.decode(Int.self, forKey: .workersRunning)
        reloads = try container.decodeIfPresent(Int.self, forKey: .reloads) ?? 0
        lastReload = try container.decodeIfPresent(ReloadStatus.self, forKey: .lastReload)
        fleetSource = try container.decodeIfPresent(FleetSourceStatus.self, forKey: .fleetSource)
        cluster = try container.decodeIfPresent(ClusterStatus.self, forKey: .cluster)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pid, forKey: .pid)
        try container.encode(uptimeMs, forKey: .uptimeMs)
        try container.encode(version, forKey: .version)
        try container.encode(workersTotal, forKey: .workersTotal)
        try container.encode(workersRunning, forKey: .workersRunning)
        try container.encode(reloads, forKey: .reloads)
        try container.encode(lastReload, forKey: .lastReload)
        try container.encodeIfPresent(fleetSource, forKey: .fleetSource)
        try container.encodeIfPresent(cluster, forKey: .cluster)
    }
}

/// The outcome of the last reload.
public struct ReloadStatus: Codable, Sendable, Equatable {
    /// When it happened, milliseconds since the epoch.
    public var atMs: Int64
    /// Whether the new fleet was applied; `false` means nothing changed.
    public var ok: Bool
    /// What changed, or why the reload was rejected.
    public var message: String

    public init(atMs: Int64, ok: Bool, message: String) {
        self.atMs = atMs
        self.ok = ok
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case atMs = "at_ms"
        case ok, message
    }
}

/// One worker's line of the status document.
public struct WorkerStatus: Codable, Sendable, Equatable {
    public var id: String
    /// The process id, or `null` when no process runs.
    public var pid: Int32?
    /// `starting`, `running`, `stopping`, `stopped`, `backoff`, `errored` or `disabled` (the
    /// bot's definition says `enabled = false`).
    public var state: String
    /// Restarts since the master started.
    public var restarts: Int
    /// Why the worker last ended (`exit 1`, `signal 9 (SIGKILL)`, `hung …`, `memory …`), or `null`.
    public var lastExit: String?
    /// Time since the current process started, or `null` when none runs.
    public var uptimeMs: Int64?
    /// Resident memory of the worker's process group at the last sample (shared pages counted
    /// in every process that maps them), or `null` before the first.
    public var rssBytes: UInt64?
    /// Proportional set size of the process group: each shared page divided among the
    /// processes that share it, so the fleet's figures add up to the memory it holds. The
    /// memory cap applies to this figure.
    public var pssBytes: UInt64?
    /// Unique set size of the process group: the pages no other process maps, what stopping
    /// the worker gives back.
    public var ussBytes: UInt64?
    /// CPU used by the process group since the sample before, in percent of one core (200 is
    /// two cores busy), rounded to a tenth; `null` until two samples of the process exist.
    public var cpuPercent: Double?
    /// CPU time the process group has used since the worker started, in seconds (with the
    /// time of children its members waited for).
    public var cpuSeconds: Double?
    /// How many processes the group had at the last sample.
    public var processes: Int?
    /// Counters from the last heartbeat.
    public var messages: UInt64
    public var errors: UInt64
    /// Time since the last hello or heartbeat, or `null` when none came from this process.
    public var lastHeartbeatMsAgo: Int64?
    /// The bot's memory cap (`[limits] memory`), for "how close to the cap" at a glance.
    public var memoryLimitBytes: UInt64?
    /// The bot runtime's counters, or `null` for a worker that is not a bot (or has not reported yet).
    public var bot: BotCounters?

    public init(
        id: String, pid: Int32?, state: String, restarts: Int, lastExit: String?, uptimeMs: Int64?,
        rssBytes: UInt64?, messages: UInt64, errors: UInt64, lastHeartbeatMsAgo: Int64?, memoryLimitBytes: UInt64? = nil,
        pssBytes: UInt64? = nil, ussBytes: UInt64? = nil, cpuPercent: Double? = nil, cpuSeconds: Double? = nil, processes: Int? = nil,
        bot: BotCounters? = nil
    ) {
        self.id = id
        self.pid = pid
        self.state = state
        self.restarts = restarts
        self.lastExit = lastExit
        self.uptimeMs = uptimeMs
        self.rssBytes = rssBytes
        self.messages = messages
        self.errors = errors
        self.lastHeartbeatMsAgo = lastHeartbeatMsAgo
        self.memoryLimitBytes = memoryLimitBytes
        self.pssBytes = pssBytes
        self.ussBytes = ussBytes
        self.cpuPercent = cpuPercent
        self.cpuSeconds = cpuSeconds
        self.processes = processes
        self.bot = bot
    }

    /// The state of a bot whose definition says `enabled = false`.
    public static let disabledState = "disabled"

    enum CodingKeys: String, CodingKey {
        case id, pid, state, restarts, bot
        case lastExit = "last_exit"
        case uptimeMs = "uptime_ms"
        case rssBytes = "rss_bytes"
        case pssBytes = "pss_bytes"
        case ussBytes = "uss_bytes"
        case cpuPercent = "cpu_percent"
        case cpuSeconds = "cpu_seconds"
        case processes
        case messages, errors
        case lastHeartbeatMsAgo = "last_heartbeat_ms_ago"
        case memoryLimitBytes = "memory_limit_bytes"
    }

    /// Encodes `null` for absent values rather than leaving keys out, so every consumer sees
    /// the same set of keys.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(pid, forKey: .pid)
        try container.encode(state, forKey: .state)
        try container.encode(restarts, forKey: .restarts)
        try container.encode(lastExit, forKey: .lastExit)
        try container.encode(uptimeMs, forKey: .uptimeMs)
        try container.encode(rssBytes, forKey: .rssBytes)
        try container.encode(pssBytes, forKey: .pssBytes)
        try container.encode(ussBytes, forKey: .ussBytes)
        try container.encode(cpuPercent, forKey: .cpuPercent)
        try container.encode(cpuSeconds, forKey: .cpuSeconds)
        try container.encode(processes, forKey: .processes)
        try container.encode(messages, forKey: .messages)
        try container.encode(errors, forKey: .errors)
        try container.encode(lastHeartbeatMsAgo, forKey: .lastHeartbeatMsAgo)
        try container.encode(memoryLimitBytes, forKey: .memoryLimitBytes)
        try container.encode(bot, forKey: .bot)
    }
}

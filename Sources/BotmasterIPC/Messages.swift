/// Worker → master: the first frame a worker sends, as soon as it starts.
public struct Hello: Codable, Sendable, Equatable {
    /// Protocol version the worker speaks; must equal ``ProtocolVersion/current``.
    public var protocolVersion: Int
    /// The worker's own pid, so the master can tell a wrapper script from the real process.
    public var pid: Int32
    /// The bot id the worker believes it runs (from `BOTMASTER_BOT_ID`).
    public var bot: String
    /// Free-form name and version of the runtime, for status output.
    public var runtime: String

    public init(protocolVersion: Int = ProtocolVersion.current, pid: Int32, bot: String, runtime: String) {
        self.protocolVersion = protocolVersion
        self.pid = pid
        self.bot = bot
        self.runtime = runtime
    }

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol"
        case pid, bot, runtime
    }
}

/// Master → worker: the answer to ``Hello``. From here on the worker is running.
public struct Welcome: Codable, Sendable, Equatable {
    /// Protocol version the master speaks.
    public var protocolVersion: Int
    /// How often the worker must send a heartbeat, in milliseconds.
    public var heartbeatIntervalMs: Int
    /// The log level the worker starts with (`trace`, `debug`, `info`, `warning`, `error`).
    public var logLevel: String
    /// The bot's live-tunable settings as a JSON object; empty until a later protocol use fills it.
    public var settings: [String: JSONValue]

    public init(
        protocolVersion: Int = ProtocolVersion.current,
        heartbeatIntervalMs: Int,
        logLevel: String,
        settings: [String: JSONValue] = [:]
    ) {
        self.protocolVersion = protocolVersion
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.logLevel = logLevel
        self.settings = settings
    }

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol"
        case heartbeatIntervalMs = "heartbeat_interval_ms"
        case logLevel = "log_level"
        case settings
    }
}

/// Master → worker: new live settings, applied without a restart. Fields left out stay as they are.
public struct ConfigUpdate: Codable, Sendable, Equatable {
    /// New heartbeat interval in milliseconds, if it changed.
    public var heartbeatIntervalMs: Int?
    /// New live settings, replacing the previous object as a whole, if they changed.
    public var settings: [String: JSONValue]?

    public init(heartbeatIntervalMs: Int? = nil, settings: [String: JSONValue]? = nil) {
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.settings = settings
    }

    enum CodingKeys: String, CodingKey {
        case heartbeatIntervalMs = "heartbeat_interval_ms"
        case settings
    }
}

/// Master → worker: switch the log level.
public struct LogLevelChange: Codable, Sendable, Equatable {
    /// One of `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`.
    public var level: String

    public init(level: String) { self.level = level }
}

/// Master → worker: stop taking new work, finish what is in hand, exit with status 0.
public struct Drain: Codable, Sendable, Equatable {
    /// Time the master waits before it sends SIGKILL, in milliseconds.
    public var deadlineMs: Int
    /// Why: `shutdown`, `restart`, `memory`, `reload`, `removed`.
    public var reason: String

    public init(deadlineMs: Int, reason: String) {
        self.deadlineMs = deadlineMs
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case deadlineMs = "deadline_ms"
        case reason
    }
}

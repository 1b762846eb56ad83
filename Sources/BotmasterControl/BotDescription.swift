/// What `botmaster describe <id>` and `GET /api/workers/<id>` show of one bot: its status,
/// where it is defined, every setting with its source, its recent restarts and its log files.
public struct BotDescription: Codable, Sendable, Equatable {
    /// One restart, newest last.
    public struct Restart: Codable, Sendable, Equatable {
        /// Wall-clock time of the exit, in milliseconds since the epoch.
        public var atMs: Int64
        /// The reason's kind, as the restart counter's `reason` label has it.
        public var kind: String
        /// The reason, as `status` writes it.
        public var reason: String

        public init(atMs: Int64, kind: String, reason: String) {
            self.atMs = atMs
            self.kind = kind
            self.reason = reason
        }

        enum CodingKeys: String, CodingKey {
            case atMs = "at_ms"
            case kind, reason
        }
    }

    public var worker: WorkerStatus
    public var restartHistory: [Restart]
    /// `workers/<file>` or `fleet source`.
    public var definedIn: String
    /// Every setting in effect, with where it came from.
    public var settings: [SettingLine]
    /// The worker's log file and its rotated predecessors that exist, newest first.
    public var logFiles: [String]

    public init(worker: WorkerStatus, restartHistory: [Restart], definedIn: String, settings: [SettingLine], logFiles: [String]) {
        self.worker = worker
        self.restartHistory = restartHistory
        self.definedIn = definedIn
        self.settings = settings
        self.logFiles = logFiles
    }

    enum CodingKeys: String, CodingKey {
        case worker, settings
        case restartHistory = "restart_history"
        case definedIn = "defined_in"
        case logFiles = "log_files"
    }
}

/// One setting of a bot as `botmaster describe` shows it: the value in effect and where it
/// came from.
public struct SettingLine: Codable, Sendable, Equatable {
    /// The key as a bot's file spells it, sections joined with a dot (`limits.memory`).
    public var key: String
    /// The value in effect, written as the file would take it (`"150MB"`, `"45s"`).
    public var value: String
    /// `workers/<file>`, `fleet source`, `default`, or the master's setting it follows
    /// (`BOTMASTER_STORE`, `BOTMASTER_LOG_LEVEL`, `the master's nice`).
    public var source: String

    public init(key: String, value: String, source: String) {
        self.key = key
        self.value = value
        self.source = source
    }
}

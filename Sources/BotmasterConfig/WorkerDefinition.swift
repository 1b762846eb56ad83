import BotmasterIPC

/// How the master talks to a worker.
public enum WorkerProtocol: String, Sendable, Equatable {
    /// Speaks the pipe protocol: hello, heartbeats, drain, config updates.
    case botmaster
    /// A plain process: supervised by exit status, memory and logs only, as supervisord would.
    case none
}

/// Where a bot is defined.
public enum DefinitionOrigin: Sendable, Equatable {
    /// A `workers/<id>.toml` file (written by hand, by `botmaster add` or by the fleet API).
    case file
    /// The HTTP fleet source (`BOTMASTER_FLEET_URL`), which also gave its token; only the
    /// token's fingerprint is ever shown.
    case fleetSource(tokenFingerprint: String)

    /// What messages and listings name the fleet source by, where a file's path would be.
    public static let fleetSourceName = "fleet source"
}

/// One bot, as defined by `workers/<id>.toml` or by the HTTP fleet source.
public struct WorkerDefinition: Sendable, Equatable {
    /// The bot id: the file name without `.toml` unless the file sets `id`.
    public var id: String
    /// The file it came from (`fleet source` for a bot of the HTTP fleet source), for messages.
    public var file: String
    /// Where it is defined.
    public var origin: DefinitionOrigin = .file
    /// argv of the worker; `nil` means the bundled `botworker`.
    public var command: [String]?
    /// How the master talks to it.
    public var workerProtocol: WorkerProtocol
    /// Extra environment for the worker, on top of the master's own.
    public var environment: [String: String]
    /// Whether the master runs it at all.
    public var enabled: Bool
    /// Supervision limits.
    public var limits: WorkerLimits
    /// The worker's log level (`log_level`), or `nil` for the master's. Changes apply live.
    public var logLevel: String?
    /// The bot runtime's settings when the file defines a bot (`token_env` or `token_file`).
    public var bot: BotSettings?
    /// The worker's nice value (`nice`, -20 to 19, like systemd's `Nice=`), or `nil` for the
    /// master's own. Changes apply live.
    public var nice: Int?

    public init(
        id: String,
        file: String,
        command: [String]? = nil,
        workerProtocol: WorkerProtocol = .botmaster,
        environment: [String: String] = [:],
        enabled: Bool = true,
        limits: WorkerLimits = WorkerLimits(),
        logLevel: String? = nil,
        bot: BotSettings? = nil
    ) {
        self.id = id
        self.file = file
        self.command = command
        self.workerProtocol = workerProtocol
        self.environment = environment
        self.enabled = enabled
        self.limits = limits
        self.logLevel = logLevel
        self.bot = bot
    }

    /// Whether a bot id is acceptable: 1 to 64 of `A-Z a-z 0-9 _ -`, so that it is safe in file
    /// names, URLs and metric labels.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64
            && id.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                    || byte == 0x5f || byte == 0x2d
            }
    }
}

import Glibc

/// Master-wide settings, from environment variables (flags override some of them). Each has a
/// default that suits a single host.
public struct MasterSettings: Sendable, Equatable {
    /// Most enabled bots in total (`BOTMASTER_MAX_WORKERS`, default 1000).
    public var maxWorkers = 1000
    /// Most enabled bots per CPU core (`BOTMASTER_MAX_WORKERS_PER_CORE`, default 20). With the
    /// total, the lower of the two applies.
    public var maxWorkersPerCore = 20
    /// Size at which a log file is rotated (`BOTMASTER_LOG_MAX_SIZE`, default 10MB).
    public var logMaxBytes: UInt64 = 10 * 1024 * 1024
    /// Rotated files kept per log (`BOTMASTER_LOG_FILES`, default 5): `x.log.1` … `x.log.5`.
    public var logFilesKept = 5
    /// The master's log level (`BOTMASTER_LOG_LEVEL`, default `info`), also sent to workers.
    public var logLevel = "info"
    /// How often each worker's resident memory is read (`BOTMASTER_MEMORY_CHECK_INTERVAL`,
    /// default 3s).
    public var memoryCheckInterval: Duration = .seconds(3)
    /// How often the dashboard's history samples the fleet (`BOTMASTER_HISTORY_INTERVAL`,
    /// default 30s); the history keeps the last ``historySamples`` samples, an hour at 30 s.
    public var historyInterval: Duration = .seconds(30)
    /// Samples kept per bot and for the fleet.
    public static let historySamples = 120
    /// The program run for bots without a `command` (`BOTMASTER_WORKER_BINARY`; default: the
    /// `botworker` next to `botmaster`).
    public var workerBinary: String?
    /// Address the status API listens on (`STATUS_HOST`, default `127.0.0.1`: loopback only).
    public var statusHost = "127.0.0.1"
    /// Port of the status API (`STATUS_PORT`, default 3001).
    public var statusPort = 3001
    /// Bearer token every status endpoint but `/health/live` requires (`STATUS_TOKEN`); `nil`
    /// means none. Never logged.
    public var statusToken: String?

    /// The webhook endpoint.
    public var webhook = WebhookSettings()
    /// The HTTP fleet source, when `BOTMASTER_FLEET_URL` is set.
    public var fleetSource: FleetSourceSettings?
    /// Cluster mode (`BOTMASTER_CLUSTER=1`), or `nil` for a master on its own.
    public var cluster: ClusterSettings?

    public init() {}

    /// Whether the status API listens beyond this host.
    public var statusIsLoopbackOnly: Bool { Self.isLoopback(statusHost) }

    /// Whether a bind address is this host only.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// The effective limit on enabled bots for a machine with `cores` cores.
    public func workerLimit(cores: Int) -> Int {
        min(maxWorkers, maxWorkersPerCore * max(cores, 1))
    }

    /// The log levels, as swift-log names them.
    public static let logLevels: Set<String> = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Reads a TCP port from `key`, if set; a problem names the key when it is not a port.
    static func port(_ environment: [String: String], _ key: String, into target: inout Int, problem: (String, String) -> Void) {
        guard let text = environment[key] else { return }
        if let port = Int(text), (0...65535).contains(port) {
            target = port
        } else {
            problem(key, "\"\(text)\" is not a port (0 to 65535)")
        }
    }

    /// Reads the settings from an environment, collecting a problem for each bad value.
    public static func from(environment: [String: String]) -> (MasterSettings, [ConfigProblem]) {
        var settings = MasterSettings()
        var problems: [ConfigProblem] = []
        func problem(_ key: String, _ message: String) {
            problems.append(ConfigProblem(file: "environment", key: key, message: message))
        }
        func positiveInt(_ key: String, into target: inout Int) {
            guard let text = environment[key] else { return }
            if let value = Int(text), value > 0 { target = value } else { problem(key, "\"\(text)\" is not a whole number above 0") }
        }
        positiveInt("BOTMASTER_MAX_WORKERS", into: &settings.maxWorkers)
        positiveInt("BOTMASTER_MAX_WORKERS_PER_CORE", into: &settings.maxWorkersPerCore)
        positiveInt("BOTMASTER_LOG_FILES", into: &settings.logFilesKept)
        if let text = environment["BOTMASTER_LOG_MAX_SIZE"] {
            if let bytes = ByteSizeText.parse(text), bytes >= 4096 {
                settings.logMaxBytes = bytes
            } else {
                problem("BOTMASTER_LOG_MAX_SIZE", "\"\(text)\" is not a size of at least 4KB (use e.g. \"10MB\")")
            }
        }
        if let text = environment["BOTMASTER_LOG_LEVEL"] {
            if logLevels.contains(text) {
                settings.logLevel = text
            } else {
                problem("BOTMASTER_LOG_LEVEL", "\"\(text)\" is not a level (\(logLevels.sorted().joined(separator: ", ")))")
            }
        }
        if let text = environment["BOTMASTER_MEMORY_CHECK_INTERVAL"] {
            if let interval = DurationText.parse(text), interval >= .milliseconds(100) {
                settings.memoryCheckInterval = interval
            } else {
                problem("BOTMASTER_MEMORY_CHECK_INTERVAL", "\"\(text)\" is not a duration of at least 100ms")
            }
        }
        if let text = environment["BOTMASTER_HISTORY_INTERVAL"] {
            if let interval = DurationText.parse(text), interval >= .milliseconds(100) {
                settings.historyInterval = interval
            } else {
                problem("BOTMASTER_HISTORY_INTERVAL", "\"\(text)\" is not a duration of at least 100ms")
            }
        }
        if let path = environment["BOTMASTER_WORKER_BINARY"], !path.isEmpty {
            settings.workerBinary = path
        }
        if let host = environment["STATUS_HOST"] {
            if host.isEmpty || host.contains(where: { $0 == " " || $0 == "/" }) {
                problem("STATUS_HOST", "\"\(host)\" is not a host name or address")
            } else {
                settings.statusHost = host
            }
        }
        port(environment, "STATUS_PORT", into: &settings.statusPort, problem: problem)
        if let token = environment["STATUS_TOKEN"], !token.isEmpty {
            settings.statusToken = token
        }
        settings.webhook = WebhookSettings.from(environment: environment, problem: problem)
        settings.fleetSource = FleetSourceSettings.from(environment: environment, problem: problem)
        settings.cluster = ClusterSettings.from(environment: environment, hostName: Self.hostName(), problem: problem)
        return (settings, problems)
    }

    /// This host's name, the default node name in cluster mode.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

import BotmasterControl
import BotmasterIPC

/// What a bot takes from the master when its own file leaves a key out.
public struct InheritedSettings: Sendable {
    /// The store the bot resolves to and which master setting chose it, when one did.
    public var store: (value: String, source: String)?
    /// The master's log level.
    public var logLevel: String
    /// The master's nice value.
    public var nice: Int32
    /// The command run for a bot without `command` (botworker).
    public var defaultCommand: [String]

    public init(store: (value: String, source: String)?, logLevel: String, nice: Int32, defaultCommand: [String]) {
        self.store = store
        self.logLevel = logLevel
        self.nice = nice
        self.defaultCommand = defaultCommand
    }
}

extension WorkerDefinition {
    /// Every setting of the bot, with the value in effect and its source: keys in `setKeys`
    /// (dotted, as ``WorkerDocument`` flattens a file) come from `origin`, the others are
    /// defaults or follow the master. `env` shows the variables' names only: their values may
    /// be secrets.
    public func effectiveSettings(setKeys: Set<String>, origin: String, inherited: InheritedSettings) -> [SettingLine] {
        var lines: [SettingLine] = []
        func add(_ key: String, _ value: String, otherwise fallback: String = "default") {
            lines.append(SettingLine(key: key, value: value, source: setKeys.contains(key) ? origin : fallback))
        }
        add("enabled", enabled ? "true" : "false")
        add("protocol", workerProtocol.rawValue)
        add("command", Self.list(command ?? inherited.defaultCommand), otherwise: "BOTMASTER_WORKER_BINARY")
        add("log_level", logLevel ?? inherited.logLevel, otherwise: "BOTMASTER_LOG_LEVEL")
        add("nice", "\(nice.map(Int32.init) ?? inherited.nice)", otherwise: "the master's nice")
        if !environment.isEmpty { add("env", environment.keys.sorted().joined(separator: ", ") + " (values not shown)") }
        add("limits.memory", ByteSizeText.format(limits.memoryBytes))
        add("limits.memory_grace", DurationText.format(limits.memoryGrace))
        add("limits.heartbeat_interval", DurationText.format(limits.heartbeatInterval))
        add("limits.heartbeat_timeout", DurationText.format(limits.heartbeatTimeout))
        add("limits.start_timeout", DurationText.format(limits.startTimeout))
        add("limits.stop_timeout", DurationText.format(limits.stopTimeout))
        add("limits.restart_cooldown", DurationText.format(limits.restartCooldown))
        add("limits.max_restarts_per_hour", "\(limits.maxRestartsPerHour)")
        add("limits.log_rate", ByteSizeText.format(limits.logBytesPerSecond))
        guard let bot else { return lines }
        if let tokenEnv = bot.tokenEnv { add("token_env", tokenEnv) }
        if let tokenFile = bot.tokenFile { add("token_file", tokenFile) }
        add("mode", bot.mode.rawValue)
        add("api_base", bot.apiBase)
        let store = inherited.store
        add("store", bot.store?.rawValue ?? store?.value ?? BotSettings.Store.sqlite.rawValue, otherwise: store?.source ?? "default")
        add("batch.quiet", Self.milliseconds(bot.batch.quietMs))
        add("batch.max_messages", "\(bot.batch.maxMessages)")
        add("batch.max_wait", Self.milliseconds(bot.batch.maxWaitMs))
        add("dedup.window", Self.milliseconds(bot.dedup.windowMs))
        add("dedup.max_entries", "\(bot.dedup.maxEntries)")
        add("rate.per_second", Self.number(bot.rate.perSecond))
        add("rate.per_chat_per_second", Self.number(bot.rate.perChatPerSecond))
        add("rate.broadcast_per_second", Self.number(bot.rate.broadcastPerSecond))
        add("rate.broadcast_share", Self.number(bot.rate.broadcastShare))
        add("handler.kind", bot.handler.kind.rawValue)
        if let url = bot.handler.url { add("handler.url", url) }
        if let argv = bot.handler.argv { add("handler.argv", Self.list(argv)) }
        add("handler.timeout", Self.milliseconds(bot.handler.timeoutMs))
        add("handler.concurrency", "\(bot.handler.concurrency)")
        add("retry.max_attempts", "\(bot.retry.maxAttempts)")
        add("retry.base_delay", Self.milliseconds(bot.retry.baseDelayMs))
        add("retry.max_delay", Self.milliseconds(bot.retry.maxDelayMs))
        if let chat = bot.handoff.operatorChatID { add("handoff.operator_chat_id", "\(chat)") }
        add("handoff.start_command", bot.handoff.startCommand)
        add("handoff.stop_command", bot.handoff.stopCommand)
        return lines
    }

    private static func milliseconds(_ value: Int) -> String { DurationText.format(.milliseconds(value)) }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && value.magnitude < 1e15 ? "\(Int64(value))" : "\(value)"
    }

    /// `["python3", "bot.py"]`, as TOML writes an array of strings.
    private static func list(_ values: [String]) -> String {
        "[" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    }
}

extension WorkerDocument {
    /// The keys a bot's document sets, sections flattened with a dot (`limits.memory`); `env`
    /// counts as one key.
    public static func settingKeys(of document: [String: JSONValue]) -> Set<String> {
        var keys: Set<String> = []
        for (key, value) in document {
            if key != "env", case .object(let section) = value {
                for inner in section.keys { keys.insert("\(key).\(inner)") }
            } else {
                keys.insert(key)
            }
        }
        return keys
    }
}

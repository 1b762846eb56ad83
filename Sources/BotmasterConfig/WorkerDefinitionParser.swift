import TOMLKit

/// Turns the text of one `workers/<id>.toml` into a ``WorkerDefinition``, collecting every
/// problem rather than stopping at the first.
public enum WorkerDefinitionParser {
    /// The keys a bot file may have at the top level. Anything else is a typo until proven
    /// otherwise, and typos in a supervisor's config are how limits silently stop applying.
    static let topLevelKeys = Set(["id", "command", "protocol", "env", "enabled", "limits", "log_level", "nice"]).union(botKeys)
    static let limitKeys: Set<String> = [
        "memory", "heartbeat_interval", "heartbeat_timeout", "restart_cooldown", "max_restarts_per_hour",
        "stop_timeout", "start_timeout", "memory_grace", "log_rate",
    ]

    /// Parses one file's text.
    /// - Parameters:
    ///   - text: the TOML text.
    ///   - file: the file's path, for messages.
    ///   - defaultID: the id to use when the file sets none (its name without `.toml`).
    ///   - sourceToken: the bot's token, when the HTTP fleet source gave it with the definition:
    ///     the definition is then a bot whatever its other keys, and must not name a
    ///     `token_env` or `token_file` as well.
    public static func parse(
        _ text: String, file: String, defaultID: String, sourceToken: String? = nil
    ) -> Result<WorkerDefinition, ConfigProblems> {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let position = error.source.begin
            return .failure(
                ConfigProblems([
                    ConfigProblem(
                        file: file, key: "",
                        message: "invalid TOML at line \(position.line), column \(position.column): \(error.description)")
                ]))
        } catch {
            return .failure(ConfigProblems([ConfigProblem(file: file, key: "", message: "invalid TOML: \(error)")]))
        }
        var reader = TableReader(file: file, sourceToken: sourceToken)
        let definition = reader.definition(from: table, defaultID: defaultID)
        return reader.problems.isEmpty ? .success(definition) : .failure(ConfigProblems(reader.problems))
    }
}

/// Reads typed values out of a TOML table and records a ``ConfigProblem`` for each bad one.
struct TableReader {
    let file: String
    /// The token the fleet source gave with this definition, if it came from there.
    var sourceToken: String?
    var problems: [ConfigProblem] = []

    mutating func problem(_ key: String, _ message: String) {
        problems.append(ConfigProblem(file: file, key: key, message: message))
    }

    mutating func definition(from table: TOMLTable, defaultID: String) -> WorkerDefinition {
        for key in table.keys where !WorkerDefinitionParser.topLevelKeys.contains(key) {
            problem(key, "unknown key (known: \(WorkerDefinitionParser.topLevelKeys.sorted().joined(separator: ", ")))")
        }
        var definition = WorkerDefinition(id: defaultID, file: file)
        if let id = string(table, "id") {
            definition.id = id
        }
        if !WorkerDefinition.isValidID(definition.id) {
            problem(table["id"] == nil ? "" : "id", "bot id \"\(definition.id)\" must be 1 to 64 of A-Z a-z 0-9 _ -")
        }
        if let value = table["command"] {
            if let array = value.array, let argv = strings(array, key: "command") {
                if argv.isEmpty || argv[0].isEmpty {
                    problem("command", "must name a program: a non-empty array of strings such as [\"python3\", \"bot.py\"]")
                } else if argv.contains(where: BotTokenShape.appears(in:)) {
                    problem(
                        "command",
                        "holds what looks like a bot token, which every user of the host could read in the process list; use token_env or token_file"
                    )
                } else {
                    definition.command = argv
                }
            } else if value.array == nil {
                problem("command", "must be an array of strings (argv), not \(describe(value))")
            }
        }
        if let text = string(table, "protocol") {
            if let parsed = WorkerProtocol(rawValue: text) {
                definition.workerProtocol = parsed
            } else {
                problem("protocol", "\"\(text)\" is not a protocol (use \"botmaster\" or \"none\")")
            }
        }
        if let value = table["env"] {
            if let env = value.table {
                for key in env.keys {
                    if let text = env[key]?.string {
                        if key.isEmpty || key.contains("=") {
                            problem("env.\(key)", "is not a valid environment variable name")
                        } else if BotTokenShape.appears(in: text) {
                            problem(
                                "env.\(key)",
                                "holds what looks like a bot token; keep tokens out of workers/ (token_env names a variable of the master's environment, token_file a file)"
                            )
                        } else {
                            definition.environment[key] = text
                        }
                    } else {
                        problem("env.\(key)", "must be a string, not \(describe(env[key]))")
                    }
                }
            } else {
                problem("env", "must be a table of strings, not \(describe(value))")
            }
        }
        if let value = table["enabled"] {
            if let flag = value.bool {
                definition.enabled = flag
            } else {
                problem("enabled", "must be true or false, not \(describe(value))")
            }
        }
        if let level = string(table, "log_level") {
            if MasterSettings.logLevels.contains(level) {
                definition.logLevel = level
            } else {
                problem("log_level", "\"\(level)\" is not a level (\(MasterSettings.logLevels.sorted().joined(separator: ", ")))")
            }
        }
        if let value = table["nice"] {
            if let nice = value.int, (-20...19).contains(nice) {
                definition.nice = nice
            } else {
                problem("nice", "must be a whole number from -20 to 19, not \(describe(value))")
            }
        }
        if let value = table["limits"] {
            if let limits = value.table {
                definition.limits = self.limits(from: limits)
            } else {
                problem("limits", "must be a table, not \(describe(value))")
            }
        }
        definition.bot = bot(from: table)
        if definition.bot != nil && definition.workerProtocol == .none {
            problem("protocol", "a bot (token_env or token_file) needs protocol = \"botmaster\": its settings travel over the pipe")
        }
        return definition
    }

    mutating func limits(from table: TOMLTable) -> WorkerLimits {
        var limits = WorkerLimits()
        for key in table.keys where !WorkerDefinitionParser.limitKeys.contains(key) {
            problem("limits.\(key)", "unknown key (known: \(WorkerDefinitionParser.limitKeys.sorted().joined(separator: ", ")))")
        }
        if let value = table["memory"] {
            if let bytes = value.int, bytes > 0 {
                limits.memoryBytes = UInt64(bytes)
            } else if let text = value.string, let bytes = ByteSizeText.parse(text), bytes > 0 {
                limits.memoryBytes = bytes
            } else {
                problem("limits.memory", "\(describe(value)) is not a size (use e.g. \"150MB\")")
            }
        }
        duration(table, "heartbeat_interval", into: &limits.heartbeatInterval, minimum: .milliseconds(100))
        duration(table, "heartbeat_timeout", into: &limits.heartbeatTimeout, minimum: .milliseconds(200))
        duration(table, "restart_cooldown", into: &limits.restartCooldown, minimum: .zero)
        duration(table, "stop_timeout", into: &limits.stopTimeout, minimum: .milliseconds(100))
        duration(table, "start_timeout", into: &limits.startTimeout, minimum: .milliseconds(100))
        duration(table, "memory_grace", into: &limits.memoryGrace, minimum: .zero)
        if let value = table["log_rate"] {
            if let text = value.string, let bytes = ByteSizeText.parse(text), bytes >= 1024 {
                limits.logBytesPerSecond = bytes
            } else {
                problem("limits.log_rate", "\(describe(value)) is not a size of at least 1KB (bytes per second, e.g. \"1MB\")")
            }
        }
        if let value = table["max_restarts_per_hour"] {
            if let count = value.int, count >= 0 {
                limits.maxRestartsPerHour = count
            } else {
                problem("limits.max_restarts_per_hour", "must be a whole number ≥ 0, not \(describe(value))")
            }
        }
        if limits.heartbeatTimeout <= limits.heartbeatInterval {
            problem(
                "limits.heartbeat_timeout",
                "\(DurationText.format(limits.heartbeatTimeout)) must be longer than heartbeat_interval (\(DurationText.format(limits.heartbeatInterval)))"
            )
        }
        return limits
    }

    mutating func duration(
        _ table: TOMLTable, _ key: String, into target: inout Duration, minimum: Duration, section: String = "limits"
    ) {
        guard let value = table[key] else { return }
        let path = "\(section).\(key)"
        guard let text = value.string, let parsed = DurationText.parse(text) else {
            problem(path, "\(describe(value)) is not a duration (use e.g. \"200ms\", \"45s\", \"5m\")")
            return
        }
        guard parsed >= minimum else {
            problem(path, "\"\(text)\" is below the minimum of \(DurationText.format(minimum))")
            return
        }
        target = parsed
    }

    mutating func string(_ table: TOMLTable, _ key: String) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else {
            problem(key, "must be a string, not \(describe(value))")
            return nil
        }
        return text
    }

    mutating func strings(_ array: TOMLArray, key: String) -> [String]? {
        var result: [String] = []
        for (index, element) in array.enumerated() {
            guard let text = element.string else {
                problem("\(key)[\(index)]", "must be a string, not \(describe(element))")
                return nil
            }
            result.append(text)
        }
        return result
    }

    /// How a value reads in a message: strings quoted, other types named.
    func describe(_ value: (any TOMLValueConvertible)?) -> String {
        guard let value else { return "nothing" }
        if let text = value.string { return "\"\(text)\"" }
        if let number = value.int { return "\(number)" }
        switch value.type {
        case .table: return "a table"
        case .array: return "an array"
        case .bool: return value.bool == true ? "true" : "false"
        case .double: return "\(value.double ?? 0)"
        default: return "a \(value.type)"
        }
    }
}

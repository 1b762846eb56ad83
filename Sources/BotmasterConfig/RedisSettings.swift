import BotRedisCore

/// Where bots keep their state: `REDIS_URL` in the master's environment for the whole fleet,
/// `env.REDIS_URL` in a bot's file for that bot (an empty value keeps the bot in memory).
public enum RedisSettings {
    /// The `REDIS_URL` a bot's worker sees, `nil` for the in-memory backend.
    public static func url(for definition: WorkerDefinition, environment: [String: String]) -> String? {
        let text = definition.environment["REDIS_URL"] ?? environment["REDIS_URL"] ?? ""
        return text.isEmpty ? nil : text
    }

    /// Every `REDIS_URL` that does not parse, named where it was set.
    public static func problems(for definitions: [WorkerDefinition], environment: [String: String]) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        if let text = environment["REDIS_URL"], !text.isEmpty, let reason = reason(text) {
            problems.append(ConfigProblem(file: "environment", key: "REDIS_URL", message: reason))
        }
        for definition in definitions where definition.bot != nil {
            if let text = definition.environment["REDIS_URL"], !text.isEmpty, let reason = reason(text) {
                problems.append(ConfigProblem(file: definition.file, key: "env.REDIS_URL", message: reason))
            }
        }
        return problems
    }

    private static func reason(_ text: String) -> String? {
        do {
            _ = try RedisURL(parsing: text)
            return nil
        } catch {
            // The error never repeats a password.
            if case .badURL(let reason) = error { return reason }
            return error.description
        }
    }
}

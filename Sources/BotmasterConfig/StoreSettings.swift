import BotRedisCore
import BotmasterIPC

/// Where bots keep their state (``BotSettings/Store``): a bot's `store` key, else
/// `BOTMASTER_STORE` in the master's environment, else Redis when `REDIS_URL` is set, else
/// SQLite. `REDIS_URL` comes from the master's environment for the whole fleet, or from a bot's
/// `env.REDIS_URL` for that bot (an empty value keeps the bot off a fleet-wide Redis).
public enum StoreSettings {
    /// The store a bot's worker will use.
    public static func store(for definition: WorkerDefinition, environment: [String: String]) -> BotSettings.Store {
        choice(for: definition, environment: environment).store
    }

    /// The store a bot's worker will use and what decided it (see
    /// ``BotSettings/Store/choose(_:environment:)``).
    public static func choice(for definition: WorkerDefinition, environment: [String: String]) -> (
        store: BotSettings.Store, decidedBy: String
    ) {
        BotSettings.Store.choose(definition.bot?.store, environment: workerEnvironment(definition, environment))
    }

    /// Every store setting that cannot work, named where it was set: a `BOTMASTER_STORE` that
    /// names no store, a `REDIS_URL` that does not parse, a bot on Redis with no `REDIS_URL`.
    public static func problems(for definitions: [WorkerDefinition], environment: [String: String]) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        if let text = environment["BOTMASTER_STORE"], BotSettings.Store(rawValue: text) == nil {
            let known = BotSettings.Store.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            problems.append(
                ConfigProblem(file: "environment", key: "BOTMASTER_STORE", message: "\"\(text)\" is not a store (use \(known))"))
        }
        if let text = environment["REDIS_URL"], !text.isEmpty, let reason = reason(text) {
            problems.append(ConfigProblem(file: "environment", key: "REDIS_URL", message: reason))
        }
        for definition in definitions where definition.bot != nil {
            if let text = definition.environment["REDIS_URL"], !text.isEmpty, let reason = reason(text) {
                problems.append(ConfigProblem(file: definition.file, key: "env.REDIS_URL", message: reason))
            }
            let seen = workerEnvironment(definition, environment)
            if store(for: definition, environment: environment) == .redis, (seen["REDIS_URL"] ?? "").isEmpty {
                let key = definition.bot?.store == .redis ? "store" : "environment BOTMASTER_STORE"
                problems.append(
                    ConfigProblem(
                        file: definition.file, key: key,
                        message: "the bot's store is redis, but no REDIS_URL is set (in the master's environment or the bot's env)"))
            }
        }
        return problems
    }

    /// The variables the bot's worker sees that choose its store.
    private static func workerEnvironment(_ definition: WorkerDefinition, _ environment: [String: String]) -> [String: String] {
        var seen = environment
        seen.merge(definition.environment) { _, bot in bot }
        return seen
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

import BotmasterConfig
import BotmasterIPC
import Testing

@Suite struct StoreSettingsTests {
    let bot = WorkerDefinition(id: "a", file: "workers/a.toml", bot: BotSettings(tokenEnv: "A_TOKEN"))

    @Test func aBotUsesItsOwnStoreElseTheFleetsDefaultElseRedisWhenAURLIsSetElseSQLite() {
        #expect(StoreSettings.store(for: bot, environment: [:]) == .sqlite)
        #expect(StoreSettings.store(for: bot, environment: ["REDIS_URL": "redis://127.0.0.1:6379"]) == .redis)
        #expect(StoreSettings.store(for: bot, environment: ["REDIS_URL": "redis://127.0.0.1", "BOTMASTER_STORE": "sqlite"]) == .sqlite)
        #expect(StoreSettings.store(for: bot, environment: ["BOTMASTER_STORE": "memory"]) == .memory)
        var own = bot
        own.bot?.store = .memory
        #expect(StoreSettings.store(for: own, environment: ["BOTMASTER_STORE": "redis", "REDIS_URL": "redis://h"]) == .memory)
        var offRedis = bot
        offRedis.environment["REDIS_URL"] = ""
        #expect(
            StoreSettings.store(for: offRedis, environment: ["REDIS_URL": "redis://127.0.0.1"]) == .sqlite,
            "a bot's empty REDIS_URL keeps it off the fleet's Redis")
    }

    /// What `describe` shows as the store's source is the rule that decided it.
    @Test func theChoiceNamesWhatDecidedIt() {
        #expect(StoreSettings.choice(for: bot, environment: [:]).decidedBy == "default")
        #expect(StoreSettings.choice(for: bot, environment: ["REDIS_URL": "redis://h"]).decidedBy == "REDIS_URL")
        #expect(
            StoreSettings.choice(for: bot, environment: ["REDIS_URL": "redis://h", "BOTMASTER_STORE": "sqlite"]).decidedBy
                == "BOTMASTER_STORE")
        var own = bot
        own.bot?.store = .memory
        #expect(StoreSettings.choice(for: own, environment: ["BOTMASTER_STORE": "redis"]) == (.memory, "store"))
    }

    @Test func aBadURLIsNamedWhereItWasSetAndNeverShowsThePassword() {
        var broken = bot
        broken.environment["REDIS_URL"] = "http://:hunter2@127.0.0.1"
        let problems = StoreSettings.problems(
            for: [broken], environment: ["REDIS_URL": "redis://127.0.0.1:notaport"])
        #expect(problems.map(\.file) == ["environment", "workers/a.toml"])
        #expect(problems.map(\.key) == ["REDIS_URL", "env.REDIS_URL"])
        #expect(problems.allSatisfy { !$0.description.contains("hunter2") })
        #expect(StoreSettings.problems(for: [bot], environment: ["REDIS_URL": "unix:///run/redis.sock?db=1"]).isEmpty)
    }

    @Test func anUnknownFleetStoreAndARedisBotWithoutAURLAreProblems() {
        let unknown = StoreSettings.problems(for: [bot], environment: ["BOTMASTER_STORE": "postgres"])
        #expect(unknown.map(\.key) == ["BOTMASTER_STORE"])
        #expect(unknown.first?.message.contains("\"sqlite\"") == true)
        var onRedis = bot
        onRedis.bot?.store = .redis
        let missing = StoreSettings.problems(for: [onRedis], environment: [:])
        #expect(missing.map(\.file) == ["workers/a.toml"])
        #expect(missing.map(\.key) == ["store"])
        #expect(StoreSettings.problems(for: [onRedis], environment: ["REDIS_URL": "redis://127.0.0.1"]).isEmpty)
    }
}

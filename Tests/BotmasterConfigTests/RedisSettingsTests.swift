import BotmasterConfig
import BotmasterIPC
import Testing

@Suite struct RedisSettingsTests {
    let bot = WorkerDefinition(id: "a", file: "workers/a.toml", bot: BotSettings(tokenEnv: "A_TOKEN"))

    @Test func aBotTakesTheFleetsURLUnlessItsFileSetsItsOwnOrAnEmptyOne() {
        let fleet = ["REDIS_URL": "redis://127.0.0.1:6379"]
        #expect(RedisSettings.url(for: bot, environment: fleet) == "redis://127.0.0.1:6379")
        var own = bot
        own.environment["REDIS_URL"] = "redis://10.0.0.5/2"
        #expect(RedisSettings.url(for: own, environment: fleet) == "redis://10.0.0.5/2")
        own.environment["REDIS_URL"] = ""
        #expect(RedisSettings.url(for: own, environment: fleet) == nil, "an empty value keeps the bot in memory")
        #expect(RedisSettings.url(for: bot, environment: [:]) == nil)
    }

    @Test func aBadURLIsNamedWhereItWasSetAndNeverShowsThePassword() {
        var broken = bot
        broken.environment["REDIS_URL"] = "http://:hunter2@127.0.0.1"
        let problems = RedisSettings.problems(
            for: [broken], environment: ["REDIS_URL": "redis://127.0.0.1:notaport"])
        #expect(problems.map(\.file) == ["environment", "workers/a.toml"])
        #expect(problems.map(\.key) == ["REDIS_URL", "env.REDIS_URL"])
        #expect(problems.allSatisfy { !$0.description.contains("hunter2") })
        #expect(RedisSettings.problems(for: [bot], environment: ["REDIS_URL": "unix:///run/redis.sock?db=1"]).isEmpty)
    }
}

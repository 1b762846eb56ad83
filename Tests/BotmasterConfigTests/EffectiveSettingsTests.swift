import BotmasterConfig
import Testing

@Suite struct EffectiveSettingsTests {
    static let inherited = InheritedSettings(
        store: (value: "redis", source: "BOTMASTER_STORE"), logLevel: "notice", nice: 5, defaultCommand: ["/usr/bin/botworker"])

    static func settings(_ text: String) throws -> [String: (value: String, source: String)] {
        let definition = try WorkerDefinitionParser.parse(text, file: "workers/bot.toml", defaultID: "bot").get()
        let keys = WorkerDocument.settingKeys(of: try WorkerDocument.json(fromTOML: text))
        let lines = definition.effectiveSettings(setKeys: keys, origin: "workers/bot.toml", inherited: inherited)
        #expect(Set(lines.map(\.key)).count == lines.count, "each key once")
        return Dictionary(uniqueKeysWithValues: lines.map { ($0.key, ($0.value, $0.source)) })
    }

    @Test func aKeyTheFileSetsIsNamedWithItsFileAndTheRestWithTheirDefaults() throws {
        let settings = try Self.settings(
            "token_env = \"BOT_TOKEN\"\nnice = 3\n[batch]\nquiet = \"2s\"\n[limits]\nmemory = \"200MB\"\n[rate]\nper_second = 12.5\n")
        #expect(settings["token_env"]! == ("BOT_TOKEN", "workers/bot.toml"))
        #expect(settings["batch.quiet"]! == ("2s", "workers/bot.toml"))
        #expect(settings["batch.max_wait"]?.source == "default")
        #expect(settings["limits.memory"]! == ("200.0MB", "workers/bot.toml"))
        #expect(settings["limits.stop_timeout"]! == ("1m30s", "default"))
        #expect(settings["rate.per_second"]! == ("12.5", "workers/bot.toml"))
        #expect(settings["nice"]! == ("3", "workers/bot.toml"))
        #expect(settings["store"]! == ("redis", "BOTMASTER_STORE"), "follows the master")
        #expect(settings["log_level"]! == ("notice", "BOTMASTER_LOG_LEVEL"))
        #expect(settings["command"]! == ("[\"/usr/bin/botworker\"]", "BOTMASTER_WORKER_BINARY"))
    }

    @Test func aPlainProcessHasNoBotKeysAndItsEnvironmentShowsNamesOnly() throws {
        let settings = try Self.settings(
            "protocol = \"none\"\ncommand = [\"python3\", \"bot.py\"]\nenv = { API_KEY = \"s3cr3t\", MODE = \"x\" }\n")
        #expect(settings["command"]! == ("[\"python3\", \"bot.py\"]", "workers/bot.toml"))
        #expect(settings["env"]! == ("API_KEY, MODE (values not shown)", "workers/bot.toml"))
        #expect(settings["nice"]! == ("5", "the master's nice"))
        #expect(settings["mode"] == nil && settings["store"] == nil)
    }
}

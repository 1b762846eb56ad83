import BotmasterIPC
import Testing

@testable import BotmasterConfig

@Suite struct BotSectionParserTests {
    func parse(_ text: String) -> Result<WorkerDefinition, ConfigProblems> {
        WorkerDefinitionParser.parse(text, file: "workers/support.toml", defaultID: "support")
    }

    func problems(_ text: String) -> [String] {
        switch parse(text) {
        case .success: return []
        case .failure(let failure): return failure.problems.map(\.description)
        }
    }

    @Test func aFileWithoutBotKeysIsNotABot() throws {
        #expect(try parse("[limits]\nmemory = \"50MB\"").get().bot == nil)
    }

    @Test func readsEveryBotKey() throws {
        let text = """
            token_env = "SUPPORT_BOT_TOKEN"
            mode = "webhook"
            api_base = "http://127.0.0.1:8081/"
            [batch]
            quiet = "2s"
            max_messages = 5
            max_wait = "10s"
            [dedup]
            window = "1m"
            max_entries = 500
            [rate]
            per_second = 20
            per_chat_per_second = 0.5
            [handler]
            kind = "http"
            url = "http://127.0.0.1:9000/reply"
            timeout = "3s"
            concurrency = 4
            [retry]
            max_attempts = 5
            base_delay = "100ms"
            max_delay = "5s"
            [handoff]
            operator_chat_id = -1001
            start_command = "/human"
            stop_command = "/bot"
            """
        let bot = try #require(try parse(text).get().bot)
        #expect(
            bot
                == BotSettings(
                    tokenEnv: "SUPPORT_BOT_TOKEN", mode: .webhook, apiBase: "http://127.0.0.1:8081",
                    batch: .init(quietMs: 2000, maxMessages: 5, maxWaitMs: 10000), dedup: .init(windowMs: 60000, maxEntries: 500),
                    rate: .init(perSecond: 20, perChatPerSecond: 0.5),
                    handler: .init(kind: .http, url: "http://127.0.0.1:9000/reply", timeoutMs: 3000, concurrency: 4),
                    retry: .init(maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 5000),
                    handoff: .init(operatorChatID: -1001, startCommand: "/human", stopCommand: "/bot")))
        #expect(try BotSettings(settingsObject: bot.jsonObject) == bot, "the settings survive the trip to the worker")
    }

    @Test func namesTheKeyAndTheProblem() {
        let text = """
            token_env = "123:ABC"
            mode = "push"
            [batch]
            quiet = 5
            max_messages = 0
            colour = "red"
            [handler]
            kind = "http"
            [rate]
            per_second = -1
            [handoff]
            start_command = "operator"
            """
        #expect(
            problems(text) == [
                "workers/support.toml: token_env: must name an environment variable (such as \"SUPPORT_BOT_TOKEN\"), not the token itself",
                "workers/support.toml: mode: \"push\" is not a mode (use \"polling\" or \"webhook\")",
                "workers/support.toml: batch.colour: unknown key (known: max_messages, max_wait, quiet)",
                "workers/support.toml: batch.quiet: 5 is not a duration (use e.g. \"200ms\", \"45s\", \"5m\")",
                "workers/support.toml: batch.max_messages: must be a whole number ≥ 1, not 0",
                "workers/support.toml: rate.per_second: must be a number of messages per second above 0, not -1",
                "workers/support.toml: handler.url: kind = \"http\" needs the backend's url",
                "workers/support.toml: handoff.start_command: \"operator\" must be a bot command such as \"/operator\"",
            ])
    }

    @Test func aBotNeedsATokenSourceAndTheProtocol() {
        #expect(
            problems("mode = \"polling\"\nprotocol = \"none\"") == [
                "workers/support.toml: token_env: a bot needs token_env (a variable's name) or token_file (a path); the token is never written inline",
                "workers/support.toml: protocol: a bot (token_env or token_file) needs protocol = \"botmaster\": its settings travel over the pipe",
            ])
        #expect(
            problems("token_env = \"A\"\ntoken_file = \"/run/secrets/a\"") == [
                "workers/support.toml: token_file: set token_env or token_file, not both"
            ])
    }

    @Test func onlyTokenModeAndAPIChangesNeedARestart() {
        let base = BotSettings(tokenEnv: "A")
        var tuned = base
        tuned.batch.quietMs = 100
        tuned.rate.perSecond = 5
        tuned.handler.kind = .command
        #expect(!base.needsRestart(toApply: tuned))
        var moved = base
        moved.mode = .webhook
        #expect(base.needsRestart(toApply: moved))
    }
}

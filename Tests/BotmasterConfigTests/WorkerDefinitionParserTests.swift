import Testing

@testable import BotmasterConfig

@Suite struct WorkerDefinitionParserTests {
    func problems(_ text: String, file: String = "workers/bot.toml") -> [String] {
        switch WorkerDefinitionParser.parse(text, file: file, defaultID: "bot") {
        case .success: return []
        case .failure(let failure): return failure.problems.map(\.description)
        }
    }

    @Test func emptyFileGivesTheDefaults() throws {
        let definition = try WorkerDefinitionParser.parse("", file: "workers/bot.toml", defaultID: "bot").get()
        #expect(definition == WorkerDefinition(id: "bot", file: "workers/bot.toml"))
        #expect(definition.limits.memoryBytes == 150 * 1024 * 1024)
        #expect(definition.limits.heartbeatInterval == .seconds(45))
        #expect(definition.limits.heartbeatTimeout == .seconds(300))
        #expect(definition.limits.restartCooldown == .seconds(45))
        #expect(definition.limits.maxRestartsPerHour == 5)
        #expect(definition.limits.stopTimeout == .seconds(90))
    }

    @Test func readsEveryKey() throws {
        let text = """
            id = "sales-bot"
            command = ["python3", "bot.py", "--fast"]
            protocol = "none"
            enabled = false
            log_level = "debug"
            [env]
            LANG = "C.UTF-8"
            [limits]
            memory = "64MB"
            heartbeat_interval = "1s"
            heartbeat_timeout = "10s"
            restart_cooldown = "0s"
            max_restarts_per_hour = 2
            stop_timeout = "3s"
            start_timeout = "2s"
            """
        let definition = try WorkerDefinitionParser.parse(text, file: "workers/x.toml", defaultID: "x").get()
        #expect(definition.id == "sales-bot")
        #expect(definition.command == ["python3", "bot.py", "--fast"])
        #expect(definition.workerProtocol == .none)
        #expect(definition.enabled == false)
        #expect(definition.logLevel == "debug")
        #expect(definition.environment == ["LANG": "C.UTF-8"])
        #expect(definition.limits.memoryBytes == 64 * 1024 * 1024)
        #expect(definition.limits.heartbeatInterval == .seconds(1))
        #expect(definition.limits.heartbeatTimeout == .seconds(10))
        #expect(definition.limits.restartCooldown == .zero)
        #expect(definition.limits.maxRestartsPerHour == 2)
        #expect(definition.limits.stopTimeout == .seconds(3))
        #expect(definition.limits.startTimeout == .seconds(2))
    }

    @Test func namesFileKeyAndProblemForEachBadValue() {
        let text = """
            command = "botworker"
            protocol = "grpc"
            enabled = "yes"
            colour = "blue"
            [limits]
            memory = "150XB"
            heartbeat_interval = 45
            restart_cooldown = "soon"
            max_restarts_per_hour = -1
            """
        #expect(
            problems(text) == [
                #"workers/bot.toml: colour: unknown key (known: api_base, batch, command, dedup, enabled, env, handler, handoff, id, limits, log_level, mode, nice, protocol, rate, retry, store, token_env, token_file)"#,
                #"workers/bot.toml: command: must be an array of strings (argv), not "botworker""#,
                #"workers/bot.toml: protocol: "grpc" is not a protocol (use "botmaster" or "none")"#,
                #"workers/bot.toml: enabled: must be true or false, not "yes""#,
                #"workers/bot.toml: limits.memory: "150XB" is not a size (use e.g. "150MB")"#,
                #"workers/bot.toml: limits.heartbeat_interval: 45 is not a duration (use e.g. "200ms", "45s", "5m")"#,
                #"workers/bot.toml: limits.restart_cooldown: "soon" is not a duration (use e.g. "200ms", "45s", "5m")"#,
                #"workers/bot.toml: limits.max_restarts_per_hour: must be a whole number ≥ 0, not -1"#,
            ])
    }

    @Test func syntaxErrorsNameTheLine() {
        let found = problems("enabled = true\nlimits = [\n")
        #expect(found.count == 1)
        #expect(found[0].hasPrefix("workers/bot.toml: invalid TOML at line "))
    }

    @Test func heartbeatTimeoutMustExceedTheInterval() {
        #expect(
            problems("[limits]\nheartbeat_interval = \"10s\"\nheartbeat_timeout = \"5s\"\n") == [
                "workers/bot.toml: limits.heartbeat_timeout: 5s must be longer than heartbeat_interval (10s)"
            ])
    }

    @Test func rejectsUnsafeIDsAndEmptyCommands() {
        #expect(problems(#"id = "../etc""#) == [#"workers/bot.toml: id: bot id "../etc" must be 1 to 64 of A-Z a-z 0-9 _ -"#])
        #expect(
            problems("command = []") == [
                #"workers/bot.toml: command: must name a program: a non-empty array of strings such as ["python3", "bot.py"]"#
            ])
        #expect(problems("command = [\"a\", 1]") == ["workers/bot.toml: command[1]: must be a string, not 1"])
    }
}

import BotmasterConfig
import BotmasterIPC
import Testing

@Suite struct WorkerDocumentTests {
    @Test func jsonBecomesTOMLThatTheParserReadsBack() throws {
        let keys: [String: JSONValue] = [
            "command": .array([.string("python3"), .string("bot.py")]), "enabled": .bool(false), "nice": .number(5),
            "limits": .object(["memory": .string("200MB"), "max_restarts_per_hour": .number(7)]),
            "env": .object(["MODE": .string("fast")]),
        ]
        let text = try WorkerDocument.toml(from: keys, file: "workers/x.toml").get()
        let definition = try WorkerDefinitionParser.parse(text, file: "workers/x.toml", defaultID: "x").get()
        #expect(definition.command == ["python3", "bot.py"])
        #expect(!definition.enabled)
        #expect(definition.nice == 5)
        #expect(definition.limits.memoryBytes == 200 * 1024 * 1024)
        #expect(definition.limits.maxRestartsPerHour == 7, "a whole JSON number stays a TOML integer")
        #expect(definition.environment == ["MODE": "fast"])
        #expect(try WorkerDocument.json(fromTOML: text) == keys, "and back to the same JSON")
    }

    @Test func valuesTOMLCannotHoldAreProblems() {
        let keys: [String: JSONValue] = ["enabled": .null, "command": .array([.object(["a": .string("b")])])]
        guard case .failure(let problems) = WorkerDocument.toml(from: keys, file: "workers/x.toml") else {
            Issue.record("accepted")
            return
        }
        #expect(
            problems.problems.map(\.description) == [
                "workers/x.toml: command[0]: an array of objects is not a setting",
                "workers/x.toml: enabled: null is not a value (leave the key out instead)",
            ])
    }

    @Test func aMergePatchReplacesMergesAndRemoves() {
        let base: [String: JSONValue] = ["mode": .string("polling"), "limits": .object(["memory": .string("1MB"), "nice": .number(1)])]
        let patch: [String: JSONValue] = ["mode": .string("webhook"), "limits": .object(["memory": .null, "stop_timeout": .string("5s")])]
        #expect(
            WorkerDocument.merge(patch, into: base) == [
                "mode": .string("webhook"), "limits": .object(["nice": .number(1), "stop_timeout": .string("5s")]),
            ])
    }
}

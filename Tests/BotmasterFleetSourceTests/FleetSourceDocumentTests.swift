import BotmasterConfig
import BotmasterIPC
import Testing

@testable import BotmasterFleetSource

@Suite struct FleetSourceDocumentTests {
    func parse(_ text: String) -> Result<[SourcedBot], ConfigProblems> {
        FleetSourceDocument.parse(Array(text.utf8))
    }

    func problems(_ text: String) -> [String] {
        if case .failure(let problems) = parse(text) { return problems.problems.map(\.description) }
        return []
    }

    @Test func takesTheKeysOfAFileAndTheTokenInMemory() throws {
        let bots = try parse(
            #"{"bots": [{"id": "support", "token": "123456:AAH-secret_part", "mode": "polling", "batch": {"quiet": "2s"}, "limits": {"memory": "80MB"}, "env": {"LANG": "C"}}]}"#
        ).get()
        #expect(bots.count == 1)
        let definition = bots[0].definition
        #expect(definition.id == "support")
        #expect(definition.file == "fleet source")
        #expect(definition.bot?.token?.value == "123456:AAH-secret_part")
        #expect(definition.bot?.batch.quietMs == 2000)
        #expect(definition.limits.memoryBytes == 80 * 1024 * 1024)
        #expect(definition.environment == ["LANG": "C"])
        #expect(definition.origin == .fleetSource(tokenFingerprint: TokenFingerprint.of("123456:AAH-secret_part")))
        #expect(bots[0].keys["token"] == nil && bots[0].keys["id"] == nil, "the keys shown by the API hold no token")
        #expect(bots[0].keys["mode"] == .string("polling"))
        #expect(!"\(bots[0])".contains("secret_part"), "a dump of the definition hides the token")
    }

    @Test func reportsEveryProblemWithTheBotNamedAndNoTokenEchoed() {
        let found = problems(
            #"{"bots": [{"id": "a", "token": "1:x", "nice": 40}, {"id": "a", "token": "1:y"}, {"id": "bad id", "token": "1:z"}, {"id": "b", "token": "not a token"}, {"id": "c"}, 7, {"id": "d", "token": "1:w", "token_file": "/t"}]}"#
        )
        #expect(
            found == [
                "fleet source, bot a: nice: must be a whole number from -20 to 19, not 40",
                #"fleet source, bot a: id: bot id "a" appears more than once"#,
                "fleet source, bots[2]: id: must be a bot id: 1 to 64 of A-Z a-z 0-9 _ -",
                "fleet source, bot b: token: must be the bot's token (<bot id>:<secret>)",
                "fleet source, bot c: token: must be the bot's token (<bot id>:<secret>)",
                "fleet source, bots[5]: must be an object",
                "fleet source, bot d: token_file: the fleet source gives this bot's token; leave this key out",
            ], "\(found)")
        #expect(!found.joined().contains("not a token"))
    }

    @Test func refusesWhatIsNotAFleet() {
        #expect(problems("<html>") == ["fleet source: the answer is not JSON"])
        #expect(problems(#"{"workers": []}"#) == [#"fleet source: the answer must be an object with a "bots" array"#])
        #expect(problems("[]") == [#"fleet source: the answer must be an object with a "bots" array"#])
        #expect((try? parse(#"{"bots": []}"#).get())?.isEmpty == true)
    }

    @Test func aFingerprintNamesTheBotAndHidesTheSecret() {
        let fingerprint = TokenFingerprint.of("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
        #expect(fingerprint.hasPrefix("123456:…"))
        #expect(fingerprint.count == "123456:…".count + 8)
        #expect(!fingerprint.contains("AAH"))
        #expect(TokenFingerprint.of("123456:other") != fingerprint)
        // As `printf 1:x | sha256sum | cut -c1-8` prints it.
        #expect(TokenFingerprint.of("1:x") == "1:…553f121d")
    }
}

import BotmasterIPC
import BotmasterSystem
import Testing

@testable import BotmasterConfig

@Suite struct FleetSourceSettingsTests {
    func settings(_ environment: [String: String]) -> (FleetSourceSettings?, [String]) {
        let (settings, problems) = MasterSettings.from(environment: environment)
        return (settings.fleetSource, problems.map(\.description))
    }

    @Test func readsTheURLAuthorizationAndInterval() {
        let (source, problems) = settings([
            "BOTMASTER_FLEET_URL": "https://platform.example/api/fleet", "BOTMASTER_FLEET_AUTHORIZATION": "Bearer abc",
            "BOTMASTER_FLEET_INTERVAL": "5s",
        ])
        #expect(problems.isEmpty)
        #expect(source?.url == "https://platform.example/api/fleet")
        #expect(source?.authorization == "Bearer abc")
        #expect(source?.interval == .seconds(5))
        #expect(settings([:]).0 == nil)
        #expect(settings(["BOTMASTER_FLEET_URL": "http://x"]).0?.interval == .seconds(30))
    }

    @Test func namesEachBadValueWithoutEchoingTheAuthorization() {
        let (_, problems) = settings([
            "BOTMASTER_FLEET_URL": "ftp://user:pass@host/fleet?key=k", "BOTMASTER_FLEET_INTERVAL": "100ms",
            "BOTMASTER_FLEET_AUTHORIZATION": "Bearer a\r\nX-Injected: 1",
        ])
        #expect(
            problems.contains(#"environment: BOTMASTER_FLEET_URL: "ftp://host/fleet" is not an http:// or https:// URL"#), "\(problems)")
        #expect(problems.contains(#"environment: BOTMASTER_FLEET_INTERVAL: "100ms" is not a duration of at least 1s"#))
        #expect(problems.contains("environment: BOTMASTER_FLEET_AUTHORIZATION: must be one line (the value of an Authorization header)"))
        #expect(!problems.joined().contains("pass") && !problems.joined().contains("Injected"))
        #expect(
            settings(["BOTMASTER_FLEET_AUTHORIZATION": "Bearer x"]).1 == [
                "environment: BOTMASTER_FLEET_AUTHORIZATION: is set but BOTMASTER_FLEET_URL is not"
            ])
    }

    @Test func theShownURLHasNoCredentials() {
        #expect(FleetSourceSettings.display("https://user:secret@host:8080/path?token=x#frag") == "https://host:8080/path")
        #expect(FleetSourceSettings.display("http://host/a@b") == "http://host/a@b")
        #expect(FleetSourceSettings.display("http://host") == "http://host")
    }

    @Test func aSourceBotIsABotWhateverItsKeysAndNamesNoOtherToken() throws {
        let plain = try WorkerDefinitionParser.parse("", file: "fleet source, bot a", defaultID: "a", sourceToken: "1:x").get()
        #expect(plain.bot?.token == SecretText("1:x"))
        #expect(plain.bot?.tokenEnv == nil)
        let both = WorkerDefinitionParser.parse(#"token_env = "T""#, file: "fleet source, bot a", defaultID: "a", sourceToken: "1:x")
        #expect(
            throws: ConfigProblems.self,
            performing: { try both.get() })
        if case .failure(let problems) = both {
            #expect(problems.description == "fleet source, bot a: token_env: the fleet source gives this bot's token; leave this key out")
        }
    }

    @Test func anIDInAFileAndInTheSourceIsAProblemOfTheFile() throws {
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-fleet-")
        defer { FileSystem.removeTree(directory) }
        try FileSystem.writeFileAtomically("\(directory)/shared.toml", [])
        var sourced = WorkerDefinition(id: "shared", file: "fleet source")
        sourced.origin = .fleetSource(tokenFingerprint: "1:…00")
        let other = WorkerDefinition(id: "other", file: "fleet source")
        let fleet = FleetLoader.load(directory: directory, displayDirectory: "workers", maximumWorkers: 10, sourced: [sourced, other])
        #expect(
            fleet.problems.map(\.description) == [
                #"workers/shared.toml: id: bot id "shared" is also defined by the fleet source (BOTMASTER_FLEET_URL); remove one"#
            ])
        #expect(fleet.workers.map(\.id) == ["other", "shared"])
        #expect(fleet.workers.first { $0.id == "shared" }?.origin != .file)
        let limited = FleetLoader.load(directory: directory, displayDirectory: "workers", maximumWorkers: 1, sourced: [other])
        #expect(limited.problems.first?.message.hasPrefix("2 enabled bots exceed the limit of 1") == true)
    }
}

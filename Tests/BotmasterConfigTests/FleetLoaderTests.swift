import BotmasterSystem
import Glibc
import Testing

@testable import BotmasterConfig

@Suite struct FleetLoaderTests {
    func makeFleet(_ files: [String: String]) throws -> String {
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-fleet-")
        for (name, text) in files {
            try FileSystem.writeFileAtomically("\(directory)/\(name)", Array(text.utf8))
        }
        return directory
    }

    @Test func loadsEveryTomlFileInIDOrderAndSkipsOthers() throws {
        let directory = try makeFleet(["b.toml": "", "a.toml": "enabled = false", "notes.txt": "x", ".hidden.toml": "x = 1"])
        let fleet = FleetLoader.load(directory: directory, displayDirectory: "workers", maximumWorkers: 10)
        #expect(fleet.problems.isEmpty)
        #expect(fleet.workers.map(\.id) == ["a", "b"])
        #expect(fleet.enabledWorkers.map(\.id) == ["b"])
        #expect(fleet.workers[0].file == "workers/a.toml")
    }

    @Test func reportsDuplicateIDsAndProblemsFromEveryFile() throws {
        let directory = try makeFleet([
            "a.toml": "id = \"shared\"", "b.toml": "id = \"shared\"", "c.toml": "[limits]\nmemory = \"lots\"",
        ])
        let fleet = FleetLoader.load(directory: directory, displayDirectory: "workers", maximumWorkers: 10)
        #expect(
            fleet.problems.map(\.description) == [
                #"workers/b.toml: id: bot id "shared" is already used by workers/a.toml"#,
                #"workers/c.toml: limits.memory: "lots" is not a size (use e.g. "150MB")"#,
            ])
    }

    @Test func refusesMoreEnabledBotsThanTheLimit() throws {
        let directory = try makeFleet(["a.toml": "", "b.toml": "", "c.toml": "enabled = false"])
        let fleet = FleetLoader.load(directory: directory, displayDirectory: "workers", maximumWorkers: 1)
        #expect(fleet.problems.count == 1)
        #expect(fleet.problems[0].description.contains("2 enabled bots exceed the limit of 1"))
    }

    @Test func masterSettingsComeFromTheEnvironment() {
        let (settings, problems) = MasterSettings.from(environment: [
            "BOTMASTER_MAX_WORKERS": "500", "BOTMASTER_MAX_WORKERS_PER_CORE": "300", "BOTMASTER_LOG_MAX_SIZE": "1MB",
            "BOTMASTER_LOG_FILES": "3", "BOTMASTER_LOG_LEVEL": "debug", "BOTMASTER_MEMORY_CHECK_INTERVAL": "500ms",
        ])
        #expect(problems.isEmpty)
        #expect(settings.workerLimit(cores: 2) == 500)
        #expect(settings.logMaxBytes == 1 << 20)
        #expect(settings.logFilesKept == 3)
        #expect(settings.logLevel == "debug")
        #expect(settings.memoryCheckInterval == .milliseconds(500))
        #expect(MasterSettings().workerLimit(cores: 2) == 40)
    }

    @Test func badEnvironmentValuesAreNamed() {
        let (_, problems) = MasterSettings.from(environment: ["BOTMASTER_MAX_WORKERS": "many", "BOTMASTER_LOG_LEVEL": "loud"])
        #expect(
            problems.map(\.description) == [
                #"environment: BOTMASTER_MAX_WORKERS: "many" is not a whole number above 0"#,
                #"environment: BOTMASTER_LOG_LEVEL: "loud" is not a level (critical, debug, error, info, notice, trace, warning)"#,
            ])
    }
}

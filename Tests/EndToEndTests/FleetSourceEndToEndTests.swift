import BotmasterControl
import BotmasterSystem
import Glibc
import Testing

/// The HTTP fleet source (`BOTMASTER_FLEET_URL`): bots and their tokens from a platform's API
/// (a Python server in the test), asked every second here, applied like a reload, kept when
/// the source fails, and its tokens held in the master's memory only.
@Suite struct FleetSourceEndToEndTests {
    static let secrets = ["alpha-secret-one", "beta-secret-one", "beta-secret-two", "source-credential", "query-credential"]

    /// One bot of the source's document, polling the sandbox.
    static func bot(_ id: String, token: String, sandbox: SandboxProcess, quiet: String = "300ms", extra: String = "") -> String {
        #"{"id": "\#(id)", "token": "\#(token)", "api_base": "\#(sandbox.apiBase)", "batch": {"quiet": "\#(quiet)"}, "#
            + #""limits": {"heartbeat_interval": "200ms", "restart_cooldown": "0s"}\#(extra)}"#
    }

    /// A fleet with one plain bot in `workers/`, the sandbox, and a fleet source.
    static func setUp() throws -> (TestFleet, SandboxProcess, FleetSourceProcess) {
        let fleet = try TestFleet(workers: ["filebot": TestFleet.pythonWorker("normal") + "\n[limits]\nheartbeat_interval = \"200ms\"\n"])
        return (fleet, try SandboxProcess(directory: fleet.home), try FleetSourceProcess())
    }

    static func tearDown(_ fleet: TestFleet, _ sandbox: SandboxProcess, _ source: FleetSourceProcess) {
        fleet.tearDown()
        sandbox.stop()
        source.stop()
    }

    static func environment(_ source: FleetSourceProcess) -> [String: String] {
        [
            "BOTMASTER_FLEET_URL": source.url, "BOTMASTER_FLEET_AUTHORIZATION": "Bearer source-credential",
            "BOTMASTER_FLEET_INTERVAL": "1s",
        ]
    }

    @Test func botsComeFromTheSourceFollowItsChangesAndSurviveItsFailures() async throws {
        let (fleet, sandbox, source) = try Self.setUp()
        defer { Self.tearDown(fleet, sandbox, source) }
        let alpha = Self.bot("alpha", token: "111:alpha-secret-one", sandbox: sandbox)
        try source.serve([alpha, Self.bot("beta", token: "222:beta-secret-one", sandbox: sandbox)])
        try fleet.startMaster(environment: Self.environment(source))
        let started = try await fleet.waitForStatus { status in
            ["alpha", "beta"].allSatisfy { fleet.worker($0, in: status)?.bot?.source == "polling" }
                && fleet.worker("filebot", in: status)?.state == "running"
        }
        #expect(started.master.fleetSource?.ok == true)
        #expect(started.master.fleetSource?.bots == 2)
        #expect(started.master.fleetSource?.url == "http://127.0.0.1:\(source.port)/fleet", "no query: it may carry a credential")
        #expect(source.requests.first?.hasSuffix("- Bearer source-credential") == true, "\(source.requests)")
        // The token reached the worker: the bot answers.
        try sandbox.send(bot: 111, chat: 42, "hello")
        #expect(try await sandbox.waitForSent(bot: 111, chat: 42, count: 1).map(\.text) == ["hello"])
        let alphaPID = try #require(fleet.worker("alpha", in: started)?.pid)
        let betaPID = try #require(fleet.worker("beta", in: started)?.pid)

        // Unchanged: the ETag is sent back and answered 304; nothing is applied again.
        let requestsBefore = source.requests.count
        try await waitUntil { source.requests.dropFirst(requestsBefore).contains { $0.hasPrefix("304 \"") } }
        #expect(try fleet.client.send(.status).status?.master.reloads == 0)

        // A live setting: applied without a restart.
        try source.serve([
            Self.bot("alpha", token: "111:alpha-secret-one", sandbox: sandbox, quiet: "400ms"),
            Self.bot("beta", token: "222:beta-secret-one", sandbox: sandbox),
        ])
        let updated = try await fleet.waitForStatus { $0.master.lastReload?.message.contains("1 updated live") == true }
        #expect(fleet.worker("alpha", in: updated)?.pid == alphaPID)
        #expect(fleet.worker("beta", in: updated)?.pid == betaPID)

        // A new token: only that bot restarts.
        try source.serve([
            Self.bot("alpha", token: "111:alpha-secret-one", sandbox: sandbox, quiet: "400ms"),
            Self.bot("beta", token: "222:beta-secret-two", sandbox: sandbox),
        ])
        let restarted = try await fleet.waitForStatus { status in
            let beta = fleet.worker("beta", in: status)
            return beta?.pid != nil && beta?.pid != betaPID && beta?.bot?.source == "polling"
        }
        #expect(fleet.worker("alpha", in: restarted)?.pid == alphaPID)

        // Removed from the source: it stops.
        let kept = Self.bot("alpha", token: "111:alpha-secret-one", sandbox: sandbox, quiet: "400ms")
        try source.serve([kept])
        try await fleet.waitForStatus { fleet.worker("beta", in: $0) == nil && $0.master.fleetSource?.bots == 1 }

        // The source fails, answers garbage, an invalid bot, a bot that clashes with a file:
        // each time the last good fleet keeps running and status says why.
        try source.setMode("500")
        let failing = try await fleet.waitForStatus { $0.master.fleetSource?.error?.contains("HTTP 500") == true }
        #expect(failing.master.fleetSource?.ok == false)
        #expect(failing.master.fleetSource?.failingSinceMs != nil)
        let (_, table) = try fleet.run(["status"])
        #expect(table.contains("FAILING"), "\(table)")
        #expect(try HTTPGet.get(port: fleet.statusPort, path: "/metrics").body.contains("botmaster_fleet_source_up 0"))
        try source.setMode("garbage")
        try await fleet.waitForStatus { $0.master.fleetSource?.error?.contains("not JSON") == true }
        try source.serve([Self.bot("alpha", token: "111:alpha-secret-one", sandbox: sandbox, extra: #", "nice": 99"#)])
        try await fleet.waitForStatus { $0.master.fleetSource?.error?.contains("fleet source, bot alpha: nice: must be") == true }
        try source.serve([kept, #"{"id": "filebot", "token": "333:filebot-token"}"#])
        try await fleet.waitForStatus { $0.master.fleetSource?.error?.contains("is also defined by the fleet source") == true }
        let stillRunning = try #require(try fleet.client.send(.status).status)
        #expect(fleet.worker("alpha", in: stillRunning)?.pid == alphaPID)
        #expect(fleet.worker("alpha", in: stillRunning)?.state == "running")
        #expect(fleet.worker("beta", in: stillRunning) == nil)
        try source.serve([kept])
        try await fleet.waitForStatus { $0.master.fleetSource?.ok == true }
        #expect(try HTTPGet.get(port: fleet.statusPort, path: "/metrics").body.contains("botmaster_fleet_source_up 1"))

        // The fleet API shows the source's bot with a fingerprint, and leaves its changes to the source.
        let shown = try HTTPGet.get(port: fleet.statusPort, path: "/api/bots/alpha")
        #expect(shown.status == 200)
        #expect(shown.body.contains(#""token_fingerprint":"111:…"#), "\(shown.body)")
        #expect(try HTTPGet.get(port: fleet.statusPort, path: "/api/bots").body.contains(#""file":"fleet source""#))
        let refused = try HTTPGet.request("PATCH", port: fleet.statusPort, path: "/api/bots/alpha", body: #"{"nice": 1}"#)
        #expect(refused.status == 409)
        #expect(refused.body.contains("defined by the fleet source"))

        // Tokens and the source's credentials are nowhere: no file of the home, no log, not in
        // status or the API, not in a worker's environment.
        let (_, json) = try fleet.run(["status", "--json"])
        let statusDocument = try HTTPGet.get(port: fleet.statusPort, path: "/api/workers/status").body
        #expect(statusDocument.contains(#""fleet_source":{"applied":"#), "\(statusDocument.prefix(300))")
        let answers = [
            json, statusDocument, shown.body, try HTTPGet.get(port: fleet.statusPort, path: "/api/bots").body,
            try HTTPGet.get(port: fleet.statusPort, path: "/metrics").body,
        ]
        #expect(!Self.filesContaining("fleet source applied", under: fleet.home).isEmpty, "the search reaches logs/")
        for secret in Self.secrets {
            #expect(
                Self.filesContaining(secret, under: fleet.home).isEmpty, "\(secret) in \(Self.filesContaining(secret, under: fleet.home))")
            #expect(!answers.contains { $0.contains(secret) }, "\(secret) in an answer")
        }
        let environ = FileSystem.readFile("/proc/\(alphaPID)/environ").map { String(decoding: $0, as: UTF8.self) } ?? ""
        #expect(!environ.isEmpty && !environ.contains("source-credential") && !environ.contains("BOTMASTER_FLEET_URL"))
    }

    @Test func aSourceDownAtStartLeavesTheFilesRunningUntilItAnswers() async throws {
        let (fleet, sandbox, source) = try Self.setUp()
        defer { Self.tearDown(fleet, sandbox, source) }
        try source.serve([Self.bot("late", token: "444:late-secret", sandbox: sandbox)])
        try source.setMode("500")
        try fleet.startMaster(environment: Self.environment(source))
        let early = try await fleet.waitForStatus { fleet.worker("filebot", in: $0)?.state == "running" }
        #expect(early.master.fleetSource?.ok == false)
        #expect(fleet.worker("late", in: early) == nil)
        try source.setMode("ok")
        try await fleet.waitForStatus { fleet.worker("late", in: $0)?.bot?.source == "polling" && $0.master.fleetSource?.ok == true }
    }

    @Test func anOperatorsReloadAsksTheSourceAtOnce() async throws {
        let (fleet, sandbox, source) = try Self.setUp()
        defer { Self.tearDown(fleet, sandbox, source) }
        try source.serve([Self.bot("first", token: "666:first-secret", sandbox: sandbox)])
        var environment = Self.environment(source)
        environment["BOTMASTER_FLEET_INTERVAL"] = "1h"
        try fleet.startMaster(environment: environment)
        try await fleet.waitForStatus { fleet.worker("first", in: $0)?.bot?.source == "polling" }
        try source.serve([
            Self.bot("first", token: "666:first-secret", sandbox: sandbox),
            Self.bot("second", token: "777:second-secret", sandbox: sandbox),
        ])
        // Without the reload the source is not asked again for an hour.
        let (code, output) = try fleet.run(["reload"])
        #expect(code == 0, "\(output)")
        #expect(output.contains("reloaded: 1 started, 0 stopped, 0 restarted, 0 updated live, 2 unchanged"), "\(output)")
        let status = try await fleet.waitForStatus { fleet.worker("second", in: $0)?.bot?.source == "polling" }
        #expect(status.master.fleetSource?.applied == 2, "the first answer, then the reload's")
        try sandbox.send(bot: 777, chat: 7, "hi")
        #expect(try await sandbox.waitForSent(bot: 777, chat: 7, count: 1).map(\.text) == ["hi"])
    }

    @Test func checkAsksTheSourceAndReportsABotDefinedTwice() async throws {
        let fleet = try TestFleet(workers: ["filebot": TestFleet.pythonWorker("normal")])
        let source = try FleetSourceProcess()
        defer {
            fleet.tearDown()
            source.stop()
        }
        let environment = Self.environment(source)
        try source.serve([#"{"id": "other", "token": "555:other-secret"}"#])
        let (goodCode, good) = try fleet.run(["check"], environment: environment)
        #expect(goodCode == 0, "\(good)")
        #expect(good == "workers/ and fleet source: 2 bots (2 enabled, 1 from the source), no problems\n")
        try source.serve([#"{"id": "filebot", "token": "555:other-secret"}"#, #"{"id": "bad", "token": "no token", "nice": 99}"#])
        let (badCode, bad) = try fleet.run(["check"], environment: environment)
        #expect(badCode == 1)
        #expect(bad.contains("fleet source, bot bad: token: must be the bot's token"), "\(bad)")
        #expect(!bad.contains("no token"), "a malformed token is not echoed")
        try source.serve([#"{"id": "filebot", "token": "555:other-secret"}"#])
        let (_, clash) = try fleet.run(["check"], environment: environment)
        #expect(clash.contains(#"workers/filebot.toml: id: bot id "filebot" is also defined by the fleet source"#), "\(clash)")
        try source.setMode("500")
        let (downCode, down) = try fleet.run(["check"], environment: environment)
        #expect(downCode == 1)
        #expect(down.contains("http://127.0.0.1:\(source.port)/fleet: HTTP 500"), "\(down)")
    }

    /// Every regular file under `directory` (logs, stores, run files) whose bytes contain `text`.
    static func filesContaining(_ text: String, under directory: String) -> [String] {
        var found: [String] = []
        for name in FileSystem.directoryEntries(directory) ?? [] {
            let path = "\(directory)/\(name)"
            if let bytes = FileSystem.readFile(path) {
                if String(decoding: bytes, as: UTF8.self).contains(text) { found.append(path) }
            } else {
                found += filesContaining(text, under: path)
            }
        }
        return found
    }

    /// Polls `condition` every 100 ms for up to 30 s.
    func waitUntil(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let deadline = MonotonicTime.now() + .seconds(30)
        while !condition() {
            guard MonotonicTime.now() < deadline else {
                Issue.record("condition not met in 30 s", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

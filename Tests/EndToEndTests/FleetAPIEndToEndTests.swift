import BotmasterControl
import BotmasterSystem
import Glibc
import Testing

/// Bots managed at run time through the fleet API (`/api/bots/<id>`) and the CLI on top of it
/// (`add`, `edit`, `remove`): validated as `check` validates, written to `workers/`, applied
/// like a reload of that bot.
@Suite struct FleetAPIEndToEndTests {
    static let worker = TestFleet.pythonWorker("normal").replacingOccurrences(of: "command = ", with: "")

    /// `{"command": [...], "limits": {...}}` for the Python fixture worker.
    static func body(heartbeat: String, extra: String = "") -> String {
        #"{"command": \#(worker), "limits": {"heartbeat_interval": "\#(heartbeat)", "restart_cooldown": "0s"}\#(extra)}"#
    }

    @Test func botsAreCreatedChangedLiveAndRemovedOverHTTP() async throws {
        let fleet = try TestFleet(workers: ["first": "[limits]\nheartbeat_interval = \"200ms\"\n"])
        defer { fleet.tearDown() }
        try fleet.startMaster()
        try await fleet.waitForStatus { $0.master.workersRunning == 1 }
        let port = fleet.statusPort

        let created = try HTTPGet.request("PUT", port: port, path: "/api/bots/second", body: Self.body(heartbeat: "200ms"))
        #expect(created.status == 201, "\(created.body)")
        let running = try await fleet.waitForStatus { fleet.worker("second", in: $0)?.state == "running" }
        let pid = try #require(fleet.worker("second", in: running)?.pid)
        #expect(FileSystem.exists("\(fleet.home)/workers/second.toml"))
        let listed = try HTTPGet.get(port: port, path: "/api/bots").body
        #expect(listed.contains(#""id":"first""#) && listed.contains(#""id":"second""#), "\(listed)")
        let shown = try HTTPGet.get(port: port, path: "/api/bots/second")
        #expect(shown.status == 200)
        #expect(shown.body.contains(#""heartbeat_interval":"200ms""#), "\(shown.body)")

        // A live setting: same pid.
        let patched = try HTTPGet.request(
            "PATCH", port: port, path: "/api/bots/second", body: #"{"limits": {"heartbeat_interval": "300ms"}}"#)
        #expect(patched.status == 200, "\(patched.body)")
        #expect(patched.body.contains("1 updated live"), "\(patched.body)")
        #expect(try fleet.client.send(.status).status.flatMap { fleet.worker("second", in: $0)?.pid } == pid)
        #expect(try HTTPGet.get(port: port, path: "/api/bots/second").body.contains(#""heartbeat_interval":"300ms""#))

        // Invalid: every problem, nothing changed.
        let before = FileSystem.readFile("\(fleet.home)/workers/second.toml")
        let invalid = try HTTPGet.request(
            "PATCH", port: port, path: "/api/bots/second",
            body: #"{"limits": {"memory": "huge"}, "colour": "blue", "env": {"T": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"}}"#)
        #expect(invalid.status == 422)
        #expect(invalid.body.contains(#"workers/second.toml: limits.memory: \"huge\" is not a size"#), "\(invalid.body)")
        #expect(invalid.body.contains("workers/second.toml: colour: unknown key"), "\(invalid.body)")
        #expect(invalid.body.contains("workers/second.toml: env.T: holds what looks like a bot token"), "\(invalid.body)")
        #expect(!invalid.body.contains("AAHdqTcv"), "a rejected token is not echoed")
        #expect(FileSystem.readFile("\(fleet.home)/workers/second.toml") == before)
        #expect(try HTTPGet.request("PUT", port: port, path: "/api/bots/third", body: "[1]").status == 400)
        #expect(try HTTPGet.request("PUT", port: port, path: "/api/bots/bad%20id", body: "{}").status == 422)
        #expect(try HTTPGet.request("PATCH", port: port, path: "/api/bots/nosuch", body: "{}").status == 404)

        let removed = try HTTPGet.request("DELETE", port: port, path: "/api/bots/second")
        #expect(removed.status == 200, "\(removed.body)")
        try await fleet.waitForStatus { fleet.worker("second", in: $0) == nil }
        #expect(!FileSystem.exists("\(fleet.home)/workers/second.toml"))
        #expect(try HTTPGet.request("DELETE", port: port, path: "/api/bots/second").status == 404)
        #expect(kill(pid, 0) != 0, "the removed bot's worker is gone")
    }

    @Test func aBotAddedAtRunTimeSurvivesAMasterRestart() async throws {
        let fleet = try TestFleet(workers: [:])
        defer { fleet.tearDown() }
        let master = try fleet.startMaster()
        try await fleet.waitForStatus { $0.master.workersTotal == 0 }
        #expect(try HTTPGet.request("PUT", port: fleet.statusPort, path: "/api/bots/kept", body: Self.body(heartbeat: "1s")).status == 201)
        try await fleet.waitForStatus { fleet.worker("kept", in: $0)?.state == "running" }
        kill(master, SIGTERM)
        #expect(await fleet.waitForMasterExit(timeout: .seconds(20)) == .exited(code: 0))
        try fleet.startMaster()
        try await fleet.waitForStatus { fleet.worker("kept", in: $0)?.state == "running" }
    }

    @Test func changesNeedTheTokenAndAreRefusedBeyondLoopbackWithoutOne() async throws {
        let guarded = try TestFleet(workers: [:])
        defer { guarded.tearDown() }
        try guarded.startMaster(environment: ["STATUS_TOKEN": "fleet-token"])
        try await guarded.waitForStatus { $0.master.workersTotal == 0 }
        let body = Self.body(heartbeat: "1s")
        #expect(try HTTPGet.request("PUT", port: guarded.statusPort, path: "/api/bots/x", body: body).status == 401)
        #expect(try HTTPGet.get(port: guarded.statusPort, path: "/api/bots").status == 401)
        let authorized = try HTTPGet.request(
            "PUT", port: guarded.statusPort, path: "/api/bots/x", headers: ["Authorization": "Bearer fleet-token"], body: body)
        #expect(authorized.status == 201, "\(authorized.body)")

        let open = try TestFleet(workers: [:])
        defer { open.tearDown() }
        try open.startMaster(environment: ["STATUS_HOST": "0.0.0.0"])
        try await open.waitForStatus { $0.master.workersTotal == 0 }
        let refused = try HTTPGet.request("PUT", port: open.statusPort, path: "/api/bots/x", body: body)
        #expect(refused.status == 403)
        #expect(refused.body.contains("set one to change the fleet over HTTP"))
        #expect(!FileSystem.exists("\(open.home)/workers/x.toml"))
    }

    @Test func theCLIAddsEditsAndRemovesBots() async throws {
        let fleet = try TestFleet(workers: [:])
        defer { fleet.tearDown() }
        try fleet.startMaster()
        try await fleet.waitForStatus { $0.master.workersTotal == 0 }
        let command = "command=" + Self.worker
        let (addCode, added) = try fleet.run(["add", "cli", command, "limits.heartbeat_interval=200ms", "limits.memory=120MB"])
        #expect(addCode == 0, "\(added)")
        #expect(added.contains("added cli; reloaded: 1 started"), "\(added)")
        let running = try await fleet.waitForStatus { fleet.worker("cli", in: $0)?.state == "running" }
        #expect(fleet.worker("cli", in: running)?.memoryLimitBytes == 120 * 1024 * 1024)
        let (againCode, again) = try fleet.run(["add", "cli"])
        #expect(againCode == 1)
        #expect(again.contains("bot cli already exists"))

        let (editCode, edited) = try fleet.run(["edit", "cli", "nice=3", "--unset", "limits.memory"])
        #expect(editCode == 0, "\(edited)")
        let after = try await fleet.waitForStatus { fleet.worker("cli", in: $0)?.memoryLimitBytes == 150 * 1024 * 1024 }
        #expect(fleet.worker("cli", in: after)?.pid == fleet.worker("cli", in: running)?.pid, "applied live")
        let (_, shown) = try fleet.run(["edit", "cli"])
        #expect(shown.contains(#""nice" : 3"#), "\(shown)")
        let (badCode, bad) = try fleet.run(["edit", "cli", "limits.stop_timeout=soon"])
        #expect(badCode == 1)
        #expect(bad.contains("workers/cli.toml: limits.stop_timeout: \"soon\" is not a duration"), "\(bad)")

        let (removeCode, removed) = try fleet.run(["remove", "cli"])
        #expect(removeCode == 0, "\(removed)")
        try await fleet.waitForStatus { fleet.worker("cli", in: $0) == nil }
        let (goneCode, gone) = try fleet.run(["remove", "cli"])
        #expect(goneCode == 1)
        #expect(gone.contains("unknown bot id \"cli\""))
    }
}

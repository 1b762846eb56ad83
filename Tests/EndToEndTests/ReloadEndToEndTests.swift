import BotmasterControl
import BotmasterSystem
import Glibc
import Testing

@Suite(.serialized) struct ReloadEndToEndTests {
    @Test func reloadAppliesTheDifferenceAndKeepsUnchangedWorkers() async throws {
        let fleet = try TestFleet(workers: [
            "keep": "[limits]\nheartbeat_interval = \"1s\"\n",
            "tune": "[limits]\nheartbeat_interval = \"1s\"\n",
            "change": "env = { MODE = \"a\" }\n",
            "remove": "protocol = \"none\"\ncommand = [\"sleep\", \"1000\"]\n",
        ])
        defer { fleet.tearDown() }
        try fleet.startMaster()
        let before = try await fleet.waitForStatus { $0.master.workersRunning == 4 }
        func pid(_ id: String, _ status: FleetStatus) -> pid_t? { fleet.worker(id, in: status)?.pid }

        try fleet.write(id: "tune", "log_level = \"debug\"\n[limits]\nheartbeat_interval = \"200ms\"\n")
        try fleet.write(id: "change", "env = { MODE = \"b\" }\n")
        FileSystem.removeFile("\(fleet.home)/workers/remove.toml")
        try fleet.write(id: "added", "")
        let (code, output) = try fleet.run(["reload"])
        #expect(code == 0, "\(output)")
        #expect(output == "reloaded: 1 started, 1 stopped, 1 restarted, 1 updated live, 1 unchanged\n")

        let after = try await fleet.waitForStatus {
            $0.master.workersRunning == 4 && fleet.worker("remove", in: $0) == nil && fleet.worker("change", in: $0)?.state == "running"
                && pid("change", $0) != pid("change", before)
        }
        #expect(pid("keep", after) == pid("keep", before), "unchanged workers keep their process")
        #expect(pid("tune", after) == pid("tune", before), "limits apply live")
        #expect(fleet.worker("change", in: after)?.lastExit == "restarted by reload")
        #expect(fleet.worker("added", in: after)?.state == "running")
        #expect(after.master.reloads == 1)
        #expect(after.master.lastReload?.ok == true)
        // The new heartbeat interval reached the running worker: heartbeats now come every 200 ms.
        try await fleet.waitForStatus { (fleet.worker("tune", in: $0)?.lastHeartbeatMsAgo ?? .max) < 300 }
        #expect(fleet.workerLog("tune").contains("botworker tune: log level debug"), "the log level reached the worker live")
        let removedPID = try #require(pid("remove", before))
        #expect(await waitUntilGone(removedPID, timeout: .seconds(2)))
    }

    @Test func invalidFleetIsRejectedWholeAndSIGUSR2Reloads() async throws {
        let fleet = try TestFleet(workers: ["one": ""])
        defer { fleet.tearDown() }
        let master = try fleet.startMaster()
        let before = try await fleet.waitForStatus { $0.master.workersRunning == 1 }

        try fleet.write(id: "two", "")
        try fleet.write(id: "bad", "[limits]\nmemory = \"huge\"\n")
        // A webhook bot while this master has no WEBHOOK_SECRET: rejected too, not left to crash.
        try fleet.write(id: "hook", "token_env = \"HOOK_TOKEN\"\nmode = \"webhook\"\n")
        let (code, output) = try fleet.run(["reload"])
        #expect(code == 1)
        #expect(output.contains(#"workers/bad.toml: limits.memory: "huge" is not a size"#))
        #expect(output.contains("workers/hook.toml: mode: webhook mode needs WEBHOOK_SECRET"))
        let rejected = try #require(try fleet.client.send(.status).status)
        #expect(rejected.workers.map(\.id) == ["one"], "nothing changed")
        #expect(rejected.workers.first?.pid == before.workers.first?.pid)
        #expect(rejected.master.lastReload?.ok == false)
        #expect(fleet.masterLog.contains("reload rejected"))

        FileSystem.removeFile("\(fleet.home)/workers/bad.toml")
        FileSystem.removeFile("\(fleet.home)/workers/hook.toml")
        kill(master, SIGUSR2)
        let after = try await fleet.waitForStatus { $0.master.workersRunning == 2 }
        #expect(after.master.reloads == 2)
        #expect(after.master.lastReload?.ok == true)
        #expect(fleet.masterLog.contains("fleet reloaded") && fleet.masterLog.contains("trigger=SIGUSR2"))
    }
}

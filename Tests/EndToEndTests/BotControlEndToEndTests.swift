import BotmasterControl
import BotmasterSystem
import Testing

/// One bot at a time from the CLI: `stop <id>`, `start <id>`, `restart <id>` that returns once
/// the new worker runs, `enable`/`disable`, and disabled bots shown in status.
@Suite struct BotControlEndToEndTests {
    static let quick = "\n[limits]\nheartbeat_interval = \"200ms\"\nrestart_cooldown = \"60s\"\n"

    @Test func oneBotIsStoppedStartedRestartedDisabledAndEnabled() async throws {
        let fleet = try TestFleet(workers: [
            "alpha": TestFleet.pythonWorker("normal") + Self.quick,
            "bravo": "enabled = false\n" + TestFleet.pythonWorker("normal") + Self.quick,
            "crasher": TestFleet.pythonWorker("crash") + Self.quick,
        ])
        defer { fleet.tearDown() }
        try fleet.startMaster()
        let started = try await fleet.waitForStatus { fleet.worker("alpha", in: $0)?.state == "running" }
        #expect(fleet.worker("bravo", in: started)?.state == "disabled", "a disabled bot is in status")
        let (tableCode, table) = try fleet.run(["status"])
        #expect(tableCode == 0 && table.contains("bravo") && table.contains("disabled"), "\(table)")
        let (refusedCode, refused) = try fleet.run(["restart", "bravo"])
        #expect(refusedCode != 0 && refused.contains("bravo is disabled") && refused.contains("botmaster enable bravo"), "\(refused)")

        // stop <id>: the bot stays in the fleet, stopped; start <id> brings it back.
        let (stopCode, stopped) = try fleet.run(["stop", "alpha"])
        #expect(stopCode == 0 && stopped.contains("stopped alpha"), "\(stopped)")
        let afterStop = try #require(try fleet.client.send(.status).status.flatMap { fleet.worker("alpha", in: $0) })
        #expect(afterStop.state == "stopped" && afterStop.pid == nil)
        let (startCode, startedOne) = try fleet.run(["start", "alpha"])
        #expect(startCode == 0 && startedOne.contains("started alpha (pid "), "\(startedOne)")
        let running = try #require(try fleet.client.send(.status).status.flatMap { fleet.worker("alpha", in: $0) })
        #expect(running.state == "running")
        let pid = try #require(running.pid)

        // restart <id> returns once the new worker runs.
        let (restartCode, restarted) = try fleet.run(["restart", "alpha"])
        #expect(restartCode == 0 && restarted.contains("restarted alpha (pid "), "\(restarted)")
        let after = try #require(try fleet.client.send(.status).status.flatMap { fleet.worker("alpha", in: $0) })
        #expect(after.state == "running" && after.pid != nil && after.pid != pid, "\(after)")

        // A restart that does not take says why.
        let (crashCode, crashed) = try fleet.run(["restart", "crasher", "--wait", "20"])
        #expect(crashCode != 0 && crashed.contains("exit 3"), "\(crashed)")

        // disable / enable: persisted in the file, shown in status.
        let (disableCode, disabled) = try fleet.run(["disable", "alpha"])
        #expect(disableCode == 0 && disabled.contains("disabled alpha"), "\(disabled)")
        let file = String(decoding: FileSystem.readFile("\(fleet.home)/workers/alpha.toml") ?? [], as: UTF8.self)
        #expect(file.contains("enabled = false"), "\(file)")
        #expect(try fleet.client.send(.status).status.flatMap { fleet.worker("alpha", in: $0) }?.state == "disabled")
        let metrics = try HTTPGet.get(port: fleet.statusPort, path: "/metrics").body
        #expect(metrics.contains(#"botmaster_worker_state{bot="alpha",state="disabled"} 1.0"#))
        for id in ["alpha", "bravo"] {
            let (enableCode, enabled) = try fleet.run(["enable", id])
            #expect(enableCode == 0 && enabled.contains("enabled \(id) (pid "), "\(enabled)")
        }
        let final = try #require(try fleet.client.send(.status).status)
        #expect(fleet.worker("alpha", in: final)?.state == "running" && fleet.worker("bravo", in: final)?.state == "running")
        #expect(try fleet.run(["stop", "nosuch"]).output.contains(#"unknown bot id "nosuch""#))
    }
}

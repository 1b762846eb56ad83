import BotmasterSystem
import Glibc
import Testing

@Suite(.serialized) struct SystemdNotifyEndToEndTests {
    @Test func masterTellsSystemdReadyStatusReloadingStoppingAndPingsTheWatchdog() async throws {
        let fleet = try TestFleet(workers: ["a": "", "b": ""])
        defer { fleet.tearDown() }
        let listener = try NotifyListener(directory: fleet.home)
        defer { listener.stop() }
        let master = try fleet.startMaster(environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000"])
        try await fleet.waitForStatus { $0.master.workersRunning == 2 }
        try await waitFor { listener.received.contains { $0.hasPrefix("READY=1") } }
        try await waitFor { listener.received.filter { $0 == "WATCHDOG=1" }.count >= 2 }

        kill(master, SIGUSR2)
        try await waitFor { listener.received.contains { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") } }
        try await waitFor { listener.received.filter { $0.hasPrefix("READY=1") }.count == 2 }
        kill(master, SIGTERM)
        #expect(await fleet.waitForMasterExit(timeout: .seconds(10)) == BotmasterSystem.ExitStatus.exited(code: 0))

        let lifecycle = listener.received.filter { !$0.hasPrefix("WATCHDOG") && !$0.hasPrefix("STATUS=") }
        #expect(lifecycle.count == 4, "\(lifecycle)")
        #expect(lifecycle.first == "READY=1\nSTATUS=2 bots: 2 running")
        #expect(lifecycle.dropFirst().first?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true)
        #expect(lifecycle.dropFirst(2).first == "READY=1\nSTATUS=2 bots: 2 running")
        #expect(lifecycle.last == "STOPPING=1\nSTATUS=stopping 2 workers")
    }

    /// The status line follows the fleet: told again when a count changes, and only then.
    @Test func theStatusLineFollowsABotStoppedAndStartedAtRunTime() async throws {
        let fleet = try TestFleet(workers: ["a": "", "b": ""])
        defer { fleet.tearDown() }
        let listener = try NotifyListener(directory: fleet.home)
        defer { listener.stop() }
        try fleet.startMaster(environment: ["NOTIFY_SOCKET": listener.path])
        try await waitFor { listener.received.contains { $0.hasPrefix("READY=1") } }
        #expect(try fleet.client.send(.stopBot("a")).ok)
        try await waitFor { listener.received.contains("STATUS=2 bots: 1 running, 1 stopped") }
        #expect(try fleet.client.send(.startBot("a")).ok)
        try await waitFor { listener.received.filter { $0.hasPrefix("STATUS=") }.last == "STATUS=2 bots: 2 running" }
        // Quiet while nothing changes: the tick counts four times a second, the line is sent once.
        let told = listener.received.count
        try await Task.sleep(for: .seconds(1))
        #expect(listener.received.count == told, "\(listener.received.suffix(5))")
    }

    @Test func workersDoNotInheritTheNotifySocket() async throws {
        let fleet = try TestFleet(workers: [
            "env": "protocol = \"none\"\ncommand = [\"sh\", \"-c\", \"echo notify=[$NOTIFY_SOCKET]; sleep 1000\"]\n"
        ])
        defer { fleet.tearDown() }
        let listener = try NotifyListener(directory: fleet.home)
        defer { listener.stop() }
        try fleet.startMaster(environment: ["NOTIFY_SOCKET": listener.path])
        try await fleet.waitForStatus { $0.master.workersRunning == 1 }
        try await waitFor { fleet.workerLog("env").contains("notify=") }
        #expect(fleet.workerLog("env").contains("notify=[]"))
    }

    /// The shipped unit is hardened (`systemd-analyze security`, offline: no systemd needs to
    /// run here), keeps the fleet when the OOM killer takes one worker, and reloads through
    /// `botmaster reload`, whose exit status reports a rejected fleet to `systemctl reload`.
    @Test(.enabled(if: FileSystem.exists("/usr/bin/systemd-analyze"), "needs systemd-analyze (Debian's systemd package)"))
    func theShippedUnitIsHardened() throws {
        let opsDirectory = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/") + "/ops"
        let unit = String(decoding: try #require(FileSystem.readFile("\(opsDirectory)/systemd/botmaster.service")), as: UTF8.self)
        #expect(unit.contains("\nOOMPolicy=continue\n"))
        #expect(unit.contains("\nExecReload=/usr/local/bin/botmaster reload --home /srv/botmaster\n"))
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-unit-")
        defer { FileSystem.removeTree(directory) }
        try FileSystem.writeFileAtomically("\(directory)/botmaster.service", Array(unit.utf8))
        let (_, report) = try runProgram([
            "systemd-analyze", "security", "--offline=yes", "--no-pager", "\(directory)/botmaster.service",
        ])
        let marker = "Overall exposure level for botmaster.service: "
        let level = try #require(
            report.split(separator: "\n").first { $0.contains(marker) }.flatMap { line in
                Double(line.split(separator: ":").last?.split(separator: " ").first ?? "")
            }, "\(report.suffix(500))")
        #expect(level <= 4.0, "exposure \(level): \(report)")
    }

    private func waitFor(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let deadline = MonotonicTime.now() + .seconds(10)
        while !condition() {
            guard MonotonicTime.now() < deadline else {
                Issue.record("condition not met in time", sourceLocation: sourceLocation)
                throw TestFleet.TimedOut()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

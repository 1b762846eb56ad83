import BotmasterControl
import BotmasterSystem
import Glibc
import Testing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

@Suite(.serialized) struct CLIEndToEndTests {
    @Test func checkReportsEveryProblemAsFileKeyProblem() throws {
        let fleet = try TestFleet(workers: [
            "good": "",
            "bad": "colour = \"blue\"\n[limits]\nmemory = \"lots\"\n",
            "broken": "limits = [\n",
        ])
        defer { fleet.tearDown() }
        let (code, output) = try fleet.run(["check"])
        #expect(code == 1)
        #expect(output.contains(#"botmaster: workers/bad.toml: colour: unknown key"#))
        #expect(output.contains(#"botmaster: workers/bad.toml: limits.memory: "lots" is not a size (use e.g. "150MB")"#))
        #expect(output.contains("botmaster: workers/broken.toml: invalid TOML at line"))

        try fleet.write(id: "bad", "")
        try fleet.write(id: "broken", "enabled = false")
        let (fixedCode, fixedOutput) = try fleet.run(["check"])
        #expect(fixedCode == 0)
        #expect(fixedOutput == "workers/: 3 bots (2 enabled), no problems\n")
        // `--home` before the command, as PM2 and supervisorctl users type it.
        #expect(try fleet.run(["--home", fleet.home, "check"]) == (0, fixedOutput))
        let (unknownCode, unknown) = try fleet.run(["frob"])
        #expect(unknownCode == 64)
        #expect(unknown.hasPrefix("botmaster: unknown command \"frob\" (commands: start, stop,"), "\(unknown)")
    }

    @Test func checkRefusesAWebhookBotWithoutTheWebhookSettings() throws {
        let fleet = try TestFleet(workers: ["hook": "token_env = \"HOOK_TOKEN\"\nmode = \"webhook\"\n"])
        defer { fleet.tearDown() }
        let (code, output) = try fleet.run(["check"], environment: ["WEBHOOK_SECRET": "", "WEBHOOK_HOST": ""])
        #expect(code == 1)
        #expect(output.contains("botmaster: workers/hook.toml: mode: webhook mode needs WEBHOOK_SECRET in the master's environment"))
        #expect(output.contains("botmaster: workers/hook.toml: mode: webhook mode needs WEBHOOK_HOST"))
        let (fixedCode, _) = try fleet.run(["check"], environment: ["WEBHOOK_SECRET": "abc", "WEBHOOK_HOST": "https://bots.example.org"])
        #expect(fixedCode == 0)
    }

    @Test func startRefusesAnInvalidFleetWithoutStartingAnything() throws {
        let fleet = try TestFleet(workers: ["bad": "protocol = \"grpc\"\n"])
        defer { fleet.tearDown() }
        let (code, output) = try fleet.run(["start"])
        #expect(code == 1)
        #expect(output.contains(#"workers/bad.toml: protocol: "grpc" is not a protocol"#))
        #expect(!FileSystem.exists("\(fleet.home)/run/master.pid"))
    }

    @Test func secondMasterOnTheSameHomeIsRefusedWithThePID() async throws {
        let fleet = try TestFleet(workers: ["ref": ""])
        defer { fleet.tearDown() }
        let master = try fleet.startMaster()
        try await fleet.waitForStatus { $0.master.workersRunning == 1 }
        let (code, output) = try fleet.run(["start", "--foreground"])
        #expect(code == 1)
        #expect(output.contains("a master is already running in \(fleet.home) (pid \(master))"))
        let (daemonCode, daemonOutput) = try fleet.run(["start"])
        #expect(daemonCode == 1)
        #expect(daemonOutput.contains("already running"))
    }

    @Test func statusAndLogsWithAndWithoutAMaster() async throws {
        let fleet = try TestFleet(workers: ["echo": "[limits]\nheartbeat_interval = \"200ms\"\n"])
        defer { fleet.tearDown() }
        let (noMasterCode, noMaster) = try fleet.run(["status"])
        #expect(noMasterCode == 1)
        #expect(noMaster == "botmaster: no master is running in \(fleet.home)\n")

        try fleet.startMaster()
        try await fleet.waitForStatus { $0.workers.first?.lastHeartbeatMsAgo.map { $0 < 1000 } == true }
        let (code, json) = try fleet.run(["status", "--json"])
        #expect(code == 0)
        let status = try JSONDecoder().decode(FleetStatus.self, from: Data(json.utf8))
        #expect(status.master.workersTotal == 1)
        #expect(status.workers.first?.state == "running")
        let (_, table) = try fleet.run(["status"])
        #expect(table.contains("echo"))
        #expect(table.contains("running"))

        let (logCode, log) = try fleet.run(["logs", "-n", "2"])
        #expect(logCode == 0)
        #expect(log.split(separator: "\n").count == 2)
        let (unknownCode, unknown) = try fleet.run(["logs", "nosuch"])
        #expect(unknownCode == 1)
        #expect(unknown == "botmaster: unknown bot id \"nosuch\"\n")
        let (restartCode, restart) = try fleet.run(["restart", "nosuch"])
        #expect(restartCode == 1)
        #expect(restart == "botmaster: unknown bot id \"nosuch\"\n")
    }

    /// `describe <id>`: every setting with the value in effect and where it came from, the
    /// restart history, the group's memory and CPU, the log files; `--json` is the API's shape.
    @Test func describeShowsSettingsWithTheirSourcesAndTheRestarts() async throws {
        let fleet = try TestFleet(workers: [
            "echo": "env = { GREETING = \"a secret value\" }\n[limits]\nmemory = \"64MB\"\nheartbeat_interval = \"200ms\"\n"
        ])
        defer { fleet.tearDown() }
        try fleet.startMaster(environment: ["BOTMASTER_MEMORY_CHECK_INTERVAL": "200ms"])
        try await fleet.waitForStatus { fleet.worker("echo", in: $0)?.state == "running" }
        #expect(try fleet.run(["restart", "echo"]).code == 0)
        try await fleet.waitForStatus { fleet.worker("echo", in: $0)?.cpuPercent != nil }

        let (code, text) = try fleet.run(["describe", "echo"])
        #expect(code == 0, "\(text)")
        let lines = text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines.first == "bot echo (workers/echo.toml)")
        #expect(lines.contains { $0.hasPrefix("state running, pid ") && $0.hasSuffix(", 1 restart") }, "\(text)")
        #expect(lines.contains { $0.hasPrefix("memory PSS ") && $0.contains("cap 64.0MB") }, "\(text)")
        #expect(lines.contains("limits.memory 64.0MB workers/echo.toml"), "\(text)")
        #expect(lines.contains("limits.stop_timeout 1m30s default"), "\(text)")
        #expect(lines.contains("log_level info BOTMASTER_LOG_LEVEL"), "\(text)")
        #expect(lines.contains("env GREETING (values not shown) workers/echo.toml"), "\(text)")
        #expect(!text.contains("a secret value"))
        #expect(lines.contains { $0.hasSuffix("operator restarted by operator") }, "\(text)")
        #expect(lines.contains(fleet.home + "/logs/worker_echo.log"), "\(text)")

        let (jsonCode, json) = try fleet.run(["describe", "echo", "--json"])
        #expect(jsonCode == 0)
        let description = try JSONDecoder().decode(BotDescription.self, from: Data(json.utf8))
        #expect(description.restartHistory.map(\.kind) == ["operator"])
        #expect(description.settings.first { $0.key == "limits.memory" }?.source == "workers/echo.toml")
        #expect(try fleet.run(["describe", "nosuch"]) == (1, "botmaster: unknown bot id \"nosuch\"\n"))
    }

    /// `top` in a real (pseudo-)terminal takes the alternate screen, redraws in place, quits
    /// on `q` and gives the screen back; through a pipe it prints plain frames.
    @Test func topRefreshesInATerminalAndQuitsOnQ() async throws {
        let fleet = try TestFleet(workers: [
            "busy": "protocol = \"none\"\ncommand = [\"sh\", \"-c\", \"while :; do :; done\"]\n",
            "idle": "protocol = \"none\"\ncommand = [\"sleep\", \"1000\"]\n",
        ])
        defer { fleet.tearDown() }
        try fleet.startMaster(environment: ["BOTMASTER_MEMORY_CHECK_INTERVAL": "200ms"])
        try await fleet.waitForStatus { $0.workers.allSatisfy { $0.cpuPercent != nil } }

        let (code, plain) = try fleet.run(["top", "-n", "2", "--interval", "0.3"])
        #expect(code == 0, "\(plain)")
        #expect(!plain.contains("\u{1B}"), "no escape codes without a terminal")
        let frames = plain.components(separatedBy: "botmaster top: master pid ")
        #expect(frames.count == 3, "two frames: \(plain)")
        let busyRow = try #require(frames.last?.split(separator: "\n").first { $0.hasPrefix("busy ") }, "\(plain)")
        let idleIndex = try #require(frames.last?.range(of: "\nidle "))
        #expect(frames.last!.range(of: "\nbusy ")!.lowerBound < idleIndex.lowerBound, "busiest first: \(plain)")
        #expect(busyRow.contains("%"))

        let inTerminal = ["python3", TestFleet.fixture("in_terminal.py"), "2", "q"]
        let (terminalCode, screen) = try fleet.run(["top", "--interval", "0.3"], prefix: inTerminal)
        #expect(terminalCode == 0, "\(screen)")
        #expect(screen.contains("exit 0"), "q quits: \(screen)")
        #expect(screen.contains("\\x1b[?1049h") && screen.contains("\\x1b[?1049l"), "alternate screen entered and left: \(screen)")
        #expect(screen.contains("busy "), "\(screen)")
    }

    /// Runs as `nobody`, which needs root to switch to and a build directory others can enter.
    static let asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    static let nobodyCanRunTheCLI: Bool = {
        guard getuid() == 0, let fleet = try? TestFleet(workers: [:]) else { return false }
        defer { fleet.tearDown() }
        return (try? fleet.run(["--help"], prefix: asNobody).code) == 0
    }()

    /// Another user's `status` or `stop` is told "permission denied", not "no master is
    /// running"; the logs it could otherwise read are 0640 in a 0750 directory.
    @Test(.enabled(if: nobodyCanRunTheCLI, "needs root and a build directory that user nobody can enter"))
    func anotherUserIsToldPermissionDenied() async throws {
        let fleet = try TestFleet(workers: ["echo": TestFleet.pythonWorker("normal")])
        defer { fleet.tearDown() }
        try fleet.startMaster()
        try await fleet.waitForStatus { $0.workers.first?.state == "running" && fleet.workerLog("echo").contains("test_worker") }
        chmod(fleet.home, 0o755)  // the temporary home is 0700; the run directory stays the owner's
        for command in [["status"], ["stop"], ["reload"]] {
            let (code, output) = try fleet.run(command, prefix: Self.asNobody)
            #expect(code == 1)
            #expect(output.contains("permission denied: \(fleet.home)/run/control.sock belongs to user root"), "\(command): \(output)")
        }
        var info = stat()
        #expect(stat("\(fleet.home)/logs/master.log", &info) == 0 && info.st_mode & 0o777 == 0o640)
        #expect(stat("\(fleet.home)/logs/worker_echo.log", &info) == 0 && info.st_mode & 0o777 == 0o640)
        #expect(stat("\(fleet.home)/logs", &info) == 0 && info.st_mode & 0o777 == 0o750)
    }

    @Test func backgroundStartReturnsOnceTheFleetIsUpAndStopLeavesNothing() async throws {
        let fleet = try TestFleet(workers: [
            "one": "", "two": "", "three": "protocol = \"none\"\ncommand = [\"sleep\", \"1000\"]\n",
            // Listed in status as disabled, and not waited for.
            "four": "enabled = false\n",
        ])
        defer { fleet.tearDown() }
        let (code, output) = try fleet.run(["start"])
        #expect(code == 0, "\(output)")
        #expect(output.contains("3/3 bots running"), "\(output)")
        let status = try #require(try fleet.client.send(.status).status)
        #expect(status.master.workersRunning == 3)
        let pids = status.workers.compactMap(\.pid) + [status.master.pid]

        let (stopCode, stopOutput) = try fleet.run(["stop"])
        #expect(stopCode == 0, "\(stopOutput)")
        #expect(stopOutput.contains("master stopped (pid \(status.master.pid))"))
        for pid in pids { #expect(await waitUntilGone(pid, timeout: .seconds(2))) }
        let (againCode, again) = try fleet.run(["stop"])
        #expect(againCode == 1)
        #expect(again.contains("no master is running"))
    }

    @Test func restartKeepsTheEnvironmentTheMasterWasStartedWith() async throws {
        let fleet = try TestFleet(workers: ["one": ""])
        defer {
            _ = try? fleet.run(["stop"])
            fleet.tearDown()
        }
        let (code, output) = try fleet.run(["start"], environment: ["STATUS_TOKEN": "restart-keeps-me"])
        #expect(code == 0, "\(output)")
        #expect(try HTTPGet.get(port: fleet.statusPort, path: "/metrics").status == 401)

        // From a shell without the token: the new master still has it.
        let (restartCode, restarted) = try fleet.run(["restart"])
        #expect(restartCode == 0, "\(restarted)")
        #expect(try HTTPGet.get(port: fleet.statusPort, path: "/metrics").status == 401, "the restarted master dropped STATUS_TOKEN")
        let authorized = try HTTPGet.get(port: fleet.statusPort, path: "/metrics", headers: ["Authorization": "Bearer restart-keeps-me"])
        #expect(authorized.status == 200)

        // Asked for, the shell's environment.
        let (shellCode, shell) = try fleet.run(["restart", "--environment-from-shell"])
        #expect(shellCode == 0, "\(shell)")
        #expect(try HTTPGet.get(port: fleet.statusPort, path: "/metrics").status == 200)
    }

    @Test func logsFollowsAcrossRotation() async throws {
        let fleet = try TestFleet(workers: ["echo": ""])
        defer { fleet.tearDown() }
        let log = "\(fleet.home)/logs/worker_echo.log"
        try FileSystem.createDirectory("\(fleet.home)/logs")
        try FileSystem.writeFileAtomically(log, Array("old 1\nold 2\n".utf8))
        let (follower, followed) = try Self.follow(["logs", "echo", "-f", "-n", "1"], in: fleet)
        defer {
            kill(follower, SIGKILL)
            _ = fleet.waitFor(follower)
        }
        try await Task.sleep(for: .milliseconds(300))
        let appender = open(log, O_WRONLY | O_APPEND | O_CLOEXEC)
        try FileSystem.writeAll(appender, Array("new 3\n".utf8))
        close(appender)
        try await Task.sleep(for: .milliseconds(500))
        // A last line written just before the rotation is still printed (it used to be lost).
        let late = open(log, O_WRONLY | O_APPEND | O_CLOEXEC)
        try FileSystem.writeAll(late, Array("late 3b\n".utf8))
        close(late)
        try FileSystem.rename(log, to: "\(log).1")
        try FileSystem.writeFileAtomically(log, Array("rotated 4\n".utf8))
        let deadline = MonotonicTime.now() + .seconds(5)
        while !followed().contains("rotated 4") && MonotonicTime.now() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(followed() == "old 2\nnew 3\nlate 3b\nrotated 4\n")
    }

    /// `logs` without an id: the master's and every worker's lines merged in time order, each
    /// prefixed with whose it is; `-f` follows all of them and the log of a bot that appears.
    @Test func logsOfAllBotsAreInterleavedInTimeOrder() async throws {
        let fleet = try TestFleet(workers: ["a": "", "b": ""])
        defer { fleet.tearDown() }
        let logs = "\(fleet.home)/logs"
        try FileSystem.createDirectory(logs)
        try FileSystem.writeFileAtomically(
            "\(logs)/master.log", Array("2026-01-01T00:00:01.000Z info one\n2026-01-01T00:00:04.000Z info four\n".utf8))
        try FileSystem.writeFileAtomically(
            "\(logs)/worker_a.log", Array("2026-01-01T00:00:02.000Z a two\n2026-01-01T00:00:05.000Z a five\n".utf8))
        try FileSystem.writeFileAtomically("\(logs)/worker_long-name.log", Array("2026-01-01T00:00:03.000Z three\n".utf8))
        try FileSystem.writeFileAtomically("\(logs)/worker_a.log.1", Array("2025-12-31T00:00:00.000Z rotated\n".utf8))

        let (code, output) = try fleet.run(["logs", "-n", "4"])
        #expect(code == 0)
        #expect(
            output == """
                a         | 2026-01-01T00:00:02.000Z a two
                long-name | 2026-01-01T00:00:03.000Z three
                master    | 2026-01-01T00:00:04.000Z info four
                a         | 2026-01-01T00:00:05.000Z a five

                """)
        #expect(try fleet.run(["logs", "--master", "-n", "1"]).output == "2026-01-01T00:00:04.000Z info four\n")
        // A log of many 64 KB blocks: only its end is read, and the lines come out whole.
        let long = (0..<20_000).map { "2025-12-31T00:00:00.000Z line \($0)\n" }.joined()
        try FileSystem.writeFileAtomically("\(logs)/worker_b.log", Array(long.utf8))
        #expect(
            try fleet.run(["logs", "b", "-n", "2"]).output
                == "2025-12-31T00:00:00.000Z line 19998\n2025-12-31T00:00:00.000Z line 19999\n")
        FileSystem.removeFile("\(logs)/worker_b.log")

        let (follower, followed) = try Self.follow(["logs", "-f", "-n", "0"], in: fleet)
        defer {
            kill(follower, SIGKILL)
            _ = fleet.waitFor(follower)
        }
        // Lines written before the follower has read to the end of a log are not new to it:
        // wait until it holds the log open (a starved machine can take seconds to start it),
        // then a little for its first read.
        let opened = MonotonicTime.now() + .seconds(30)
        while !Self.holdsOpen(follower, "\(logs)/worker_a.log") && MonotonicTime.now() < opened {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(400))
        let appender = open("\(logs)/worker_a.log", O_WRONLY | O_APPEND | O_CLOEXEC)
        try FileSystem.writeAll(appender, Array("2026-01-01T00:00:06.000Z a six\n".utf8))
        close(appender)
        try FileSystem.writeFileAtomically("\(logs)/worker_b.log", Array("2026-01-01T00:00:07.000Z b seven\n".utf8))
        let deadline = MonotonicTime.now() + .seconds(10)
        while !followed().contains("b seven") && MonotonicTime.now() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(followed() == "a         | 2026-01-01T00:00:06.000Z a six\nb         | 2026-01-01T00:00:07.000Z b seven\n")
    }

    /// Whether process `pid` has `path` open.
    static func holdsOpen(_ pid: pid_t, _ path: String) -> Bool {
        (FileSystem.directoryEntries("/proc/\(pid)/fd") ?? []).contains { entry in
            var target = [CChar](repeating: 0, count: 4096)
            let length = readlink("/proc/\(pid)/fd/\(entry)", &target, target.count - 1)
            return length > 0 && String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) == path
        }
    }

    /// Starts `botmaster <arguments>` writing to a file; its pid and a reader of what it wrote.
    static func follow(_ arguments: [String], in fleet: TestFleet) throws -> (pid: pid_t, output: () -> String) {
        let output = "\(fleet.home)/follow-\(UInt32.random(in: 0...UInt32.max)).out"
        let file = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let null = try Descriptors.openNull()
        defer {
            close(file)
            close(null)
        }
        let pid = try ProcessSpawner.spawn(
            SpawnRequest(
                arguments: ["\(fleet.binaries)/botmaster"] + arguments + ["--home", fleet.home],
                environment: Environment.current(), descriptors: [0: null, 1: file, 2: file]))
        return (pid, { String(decoding: FileSystem.readFile(output) ?? [], as: UTF8.self) })
    }
}

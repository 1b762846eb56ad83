import BotmasterSystem
import Glibc
import Testing

/// The real `botmaster` and workers in a temporary home. Serialized: each test starts
/// processes, and on two cores parallel fleets would only make timing noisier.
@Suite(.serialized) struct SupervisionEndToEndTests {
    @Test func crashingWorkerIsRestartedAfterItsCooldownAndErroredPastTheLimit() async throws {
        let fleet = try TestFleet(workers: [
            "crasher": TestFleet.pythonWorker("crash") + "\n[limits]\nrestart_cooldown = \"300ms\"\nmax_restarts_per_hour = 2\n"
        ])
        defer { fleet.tearDown() }
        let started = MonotonicTime.now()
        try fleet.startMaster()
        let status = try await fleet.waitForStatus { fleet.worker("crasher", in: $0)?.state == "errored" }
        let crasher = try #require(fleet.worker("crasher", in: status))
        #expect(crasher.restarts == 2)
        #expect(crasher.lastExit == "exit 3")
        #expect(crasher.pid == nil)
        #expect(MonotonicTime.now() - started >= .milliseconds(600), "two cooldowns of 300 ms")
        #expect(fleet.masterLog.contains("worker restarted too often; giving up"))

        // --no-wait: the restart is taken (a waiting restart would fail: the worker crashes again).
        let (code, output) = try fleet.run(["restart", "crasher", "--no-wait"])
        #expect(code == 0)
        #expect(output.contains("restarting crasher"))
        try await fleet.waitForStatus { fleet.worker("crasher", in: $0)?.restarts == 3 }
    }

    @Test func silentWorkerIsKilledAndRestarted() async throws {
        let fleet = try TestFleet(workers: [
            "mute": TestFleet.pythonWorker("silent")
                + "\n[limits]\nheartbeat_interval = \"200ms\"\nheartbeat_timeout = \"1s\"\nstop_timeout = \"500ms\"\nrestart_cooldown = \"0s\"\n"
        ])
        defer { fleet.tearDown() }
        try fleet.startMaster()
        let status = try await fleet.waitForStatus { ($0.workers.first?.restarts ?? 0) >= 1 }
        let mute = try #require(status.workers.first)
        #expect(mute.lastExit?.hasPrefix("hung (no heartbeat for") == true, "\(String(describing: mute.lastExit))")
        // It ignores SIGTERM, so only the SIGKILL at the stop timeout ended it.
        #expect(fleet.masterLog.contains("worker did not stop within its stop timeout; sending SIGKILL"))
    }

    /// `botworker` writes its heartbeats to the page the master maps for it instead of its
    /// channel (no system call, no wake-up of the master): they keep it fresh long after its
    /// hello, and when it freezes they stop, which the master takes for a hang as before.
    @Test func aBotworkerBeatsThroughItsHeartbeatPageAndAFrozenOneIsTakenForHung() async throws {
        let fleet = try TestFleet(workers: [
            "paged": "[limits]\nheartbeat_interval = \"200ms\"\nheartbeat_timeout = \"2s\"\nstop_timeout = \"500ms\"\n"
                + "restart_cooldown = \"0s\"\n"
        ])
        defer { fleet.tearDown() }
        let master = try fleet.startMaster()
        // Well past the hello, the last proof of life is recent: heartbeats arrive.
        let beating = try await fleet.waitForStatus {
            guard let worker = fleet.worker("paged", in: $0), let uptime = worker.uptimeMs, let ago = worker.lastHeartbeatMsAgo
            else { return false }
            return uptime > 2_500 && ago < 1_000
        }
        let pid = try #require(fleet.worker("paged", in: beating)?.pid)
        let heartbeatPage = "memfd:botmaster-heartbeat"
        #expect(mappings(of: pid).contains(heartbeatPage), "the worker writes to the page")
        #expect(mappings(of: master).contains(heartbeatPage), "the master reads it")
        #expect(!descriptorTargets(of: pid).contains { $0.contains(heartbeatPage) }, "the worker keeps the mapping, not the descriptor")

        kill(pid, SIGSTOP)
        let status = try await fleet.waitForStatus { ($0.workers.first?.restarts ?? 0) >= 1 }
        let paged = try #require(status.workers.first)
        #expect(paged.lastExit?.hasPrefix("hung (no heartbeat for") == true, "\(String(describing: paged.lastExit))")
    }

    /// The page as the protocol document describes it, written from Python: heartbeats there
    /// count as heartbeats; a page without one breaks the protocol like a bad frame.
    @Test func aWorkerInAnotherLanguageCanBeatThroughThePageAndABadPageIsAProtocolError() async throws {
        let fleet = try TestFleet(workers: [
            "pager": TestFleet.pythonWorker("pager") + "\n[limits]\nheartbeat_interval = \"200ms\"\nheartbeat_timeout = \"2s\"\n",
            "badpage": TestFleet.pythonWorker("badpage") + "\n[limits]\nrestart_cooldown = \"100ms\"\n",
        ])
        defer { fleet.tearDown() }
        try fleet.startMaster()
        let status = try await fleet.waitForStatus {
            guard let pager = fleet.worker("pager", in: $0), let uptime = pager.uptimeMs, let ago = pager.lastHeartbeatMsAgo else {
                return false
            }
            return pager.messages == 42 && uptime > 2_500 && ago < 1_000 && (fleet.worker("badpage", in: $0)?.restarts ?? 0) >= 1
        }
        #expect(fleet.worker("pager", in: status)?.restarts == 0)
        let badPage = fleet.worker("badpage", in: status)
        #expect(badPage?.lastExit == "protocol error: its heartbeat page holds 2 counters; a heartbeat has at least 3")
    }

    /// Where `memfd_create` is forbidden (a seccomp profile), workers get no page and beat
    /// through their channels; the master says so once, not once per worker.
    @Test(.enabled(if: WithoutMemfd.works, "without_memfd.py cannot install its seccomp filter here (x86_64 and aarch64 only)"))
    func withoutHeartbeatPagesWorkersBeatThroughTheirChannelsAndTheMasterSaysSoOnce() async throws {
        let limits = "[limits]\nheartbeat_interval = \"200ms\"\nheartbeat_timeout = \"2s\"\n"
        let fleet = try TestFleet(workers: ["first": limits, "second": limits])
        defer { fleet.tearDown() }
        try fleet.startMaster(prefix: ["python3", TestFleet.fixture("without_memfd.py")])
        let status = try await fleet.waitForStatus { status in
            ["first", "second"].allSatisfy { id in
                guard let worker = fleet.worker(id, in: status), let uptime = worker.uptimeMs, let ago = worker.lastHeartbeatMsAgo
                else { return false }
                return uptime > 2_500 && ago < 1_000
            }
        }
        for id in ["first", "second"] {
            let worker = try #require(fleet.worker(id, in: status))
            #expect(worker.restarts == 0)
            #expect(!mappings(of: try #require(worker.pid)).contains("memfd:botmaster-heartbeat"))
        }
        let warning = "cannot make heartbeat pages; workers send heartbeats as frames instead"
        #expect(fleet.masterLog.components(separatedBy: warning).count == 2, "said once: \(fleet.masterLog)")
        #expect(fleet.masterLog.contains("memfd_create"), "the log names the call that failed")
    }

    private func mappings(of pid: pid_t) -> String {
        String(decoding: FileSystem.readFile("/proc/\(pid)/maps") ?? [], as: UTF8.self)
    }

    /// What each open descriptor of `pid` refers to.
    private func descriptorTargets(of pid: pid_t) -> [String] {
        (FileSystem.directoryEntries("/proc/\(pid)/fd") ?? []).map { fd in
            var target = [CChar](repeating: 0, count: 256)
            let length = readlink("/proc/\(pid)/fd/\(fd)", &target, target.count - 1)
            return length > 0 ? String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        }
    }

    @Test func workerOverItsMemoryCapIsRestarted() async throws {
        let fleet = try TestFleet(workers: [
            "hog": TestFleet.pythonWorker("leak") + "\nenv = { LEAK_MB = \"64\" }\n[limits]\nmemory = \"32MB\"\nrestart_cooldown = \"0s\"\n"
        ])
        defer { fleet.tearDown() }
        try fleet.startMaster(environment: ["BOTMASTER_MEMORY_CHECK_INTERVAL": "200ms"])
        let status = try await fleet.waitForStatus { ($0.workers.first?.restarts ?? 0) >= 1 }
        let hog = try #require(status.workers.first)
        #expect(hog.lastExit?.hasPrefix("memory ") == true, "\(String(describing: hog.lastExit))")
        #expect(hog.lastExit?.hasSuffix("over the cap of 32MB") == true)
        #expect(fleet.masterLog.contains("worker over its memory cap; restarting it gracefully"))
        #expect(fleet.workerLog("hog").contains("drained: memory"), "the drain frame carried the reason")
    }

    /// The cap and the figures cover the worker's whole process group: a bot behind `sh -c`
    /// whose child holds the memory is measured and restarted (the spawned shell alone holds
    /// well under 1 MB, so a cap on it would never fire).
    @Test func theMemoryCapCoversTheWorkersChildren() async throws {
        let child = "import time; b = bytearray(64 * 1024 * 1024); b[::4096] = b'x' * (len(b) // 4096); time.sleep(1000)"
        let fleet = try TestFleet(workers: [
            "wrapped": "protocol = \"none\"\ncommand = [\"sh\", \"-c\", \"python3 -c \\\"\(child)\\\"; exit 1\"]\n"
                + "[limits]\nmemory = \"32MB\"\nrestart_cooldown = \"0s\"\nstop_timeout = \"1s\"\n",
            "calm": "protocol = \"none\"\ncommand = [\"sh\", \"-c\", \"sleep 1000; exit 1\"]\n",
        ])
        defer { fleet.tearDown() }
        try fleet.startMaster(environment: ["BOTMASTER_MEMORY_CHECK_INTERVAL": "200ms"])
        let status = try await fleet.waitForStatus { status in
            (fleet.worker("wrapped", in: status)?.restarts ?? 0) >= 1 && fleet.worker("calm", in: status)?.cpuPercent != nil
        }
        let wrapped = try #require(fleet.worker("wrapped", in: status))
        #expect(wrapped.lastExit?.hasPrefix("memory ") == true, "\(String(describing: wrapped.lastExit))")
        let calm = try #require(fleet.worker("calm", in: status))
        #expect(calm.processes == 2, "sh and its sleep")
        #expect((calm.pssBytes ?? 0) > 0 && (calm.ussBytes ?? 0) > 0 && (calm.rssBytes ?? 0) >= (calm.pssBytes ?? 0))
        #expect((calm.cpuPercent ?? 100) < 50, "sleeping")
        #expect(fleet.masterLog.contains("worker over its memory cap; restarting it gracefully"))
    }

    /// A worker over its cap that ignores the drain and SIGTERM is killed at `memory_grace`,
    /// not after the whole `stop_timeout`.
    @Test func aWorkerOverItsCapThatIgnoresTheDrainIsKilledAfterTheGrace() async throws {
        let fleet = try TestFleet(workers: [
            "hog": TestFleet.pythonWorker("stubborn")
                + "\nenv = { LEAK_MB = \"64\" }\n[limits]\nmemory = \"32MB\"\nrestart_cooldown = \"0s\"\nstop_timeout = \"60s\"\nmemory_grace = \"1s\"\n"
        ])
        defer { fleet.tearDown() }
        try fleet.startMaster(environment: ["BOTMASTER_MEMORY_CHECK_INTERVAL": "200ms"])
        let started = MonotonicTime.now()
        let status = try await fleet.waitForStatus(timeout: .seconds(30)) { ($0.workers.first?.restarts ?? 0) >= 1 }
        #expect(MonotonicTime.now() - started < .seconds(30), "killed long before the 60 s stop timeout")
        #expect(status.workers.first?.lastExit?.hasPrefix("memory ") == true, "\(String(describing: status.workers.first?.lastExit))")
        #expect(fleet.workerLog("hog").contains("ignoring the drain: memory"))
        #expect(fleet.masterLog.contains("sending SIGKILL"), "\(fleet.masterLog)")
    }

    /// A worker printing flat out gets its `log_rate` written and the rest dropped, counted in
    /// `/metrics` and noted in its log; the master keeps answering.
    @Test func aWorkerPrintingFlatOutIsHeldToItsLogRate() async throws {
        let fleet = try TestFleet(workers: [
            "chatty": TestFleet.pythonWorker("chatty") + "\n[limits]\nlog_rate = \"64KB\"\nheartbeat_interval = \"500ms\"\n",
            "quiet": "[limits]\nheartbeat_interval = \"200ms\"\n",
        ])
        defer { fleet.tearDown() }
        try fleet.startMaster()
        try await fleet.waitForStatus { $0.master.workersRunning == 2 }
        let started = MonotonicTime.now()
        try await Task.sleep(for: .seconds(3))
        let statusStarted = MonotonicTime.now()
        let status = try #require(try fleet.client.send(.status).status)
        #expect(MonotonicTime.now() - statusStarted < .seconds(5), "status answers while a worker floods its output")
        #expect(fleet.worker("chatty", in: status)?.state == "running")
        let written = (FileSystem.directoryEntries("\(fleet.home)/logs") ?? []).filter { $0.hasPrefix("worker_chatty.log") }
            .reduce(0) { $0 + Int(FileSystem.fileSize("\(fleet.home)/logs/\($1)") ?? 0) }
        let seconds = Double((MonotonicTime.now() - started).nanosecondsClamped) / 1e9 + 2
        // The burst (256 KB), then 64 KB a second, with timestamps on every 100-byte line.
        let bound = Int((256.0 + 64.0 * seconds) * 1024 * 1.3)
        #expect(written < bound, "\(written) bytes written in about \(seconds) s against a bound of \(bound)")
        #expect(fleet.workerLog("chatty").contains("[botmaster] dropped "))
        #expect(fleet.masterLog.contains("worker's output is over its log_rate; dropping the excess"))
        let metrics = try HTTPGet.get(port: fleet.statusPort, path: "/metrics").body
        #expect(metrics.contains(#"botmaster_worker_log_dropped_bytes_total{bot="chatty"}"#), "\(metrics.prefix(2000))")
    }

    /// Workers get the nice value the master was started with (systemd's `Nice=`, or `nice`),
    /// or their own `nice`, on every thread, and a changed `nice` applies live on reload.
    @Test func workersTakeTheMastersNiceOrTheirOwn() async throws {
        let fleet = try TestFleet(workers: [
            "inherits": "[limits]\nheartbeat_interval = \"200ms\"\n",
            "own": "nice = 10\n[limits]\nheartbeat_interval = \"200ms\"\n",
        ])
        defer { fleet.tearDown() }
        let master = try fleet.startMaster(prefix: ["nice", "-n", "5"])
        let status = try await fleet.waitForStatus { $0.master.workersRunning == 2 }
        // With the nice in place through exec, the master itself reports it (sanity check).
        #expect(Self.niceValues(of: master).contains(5))
        let inherits = try #require(fleet.worker("inherits", in: status)?.pid)
        let own = try #require(fleet.worker("own", in: status)?.pid)
        #expect(Set(Self.niceValues(of: inherits)) == [5], "every thread of the worker: \(Self.niceValues(of: inherits))")
        #expect(Set(Self.niceValues(of: own)) == [10], "\(Self.niceValues(of: own))")

        try fleet.write(id: "own", "nice = 12\n[limits]\nheartbeat_interval = \"200ms\"\n")
        let (code, output) = try fleet.run(["reload"])
        #expect(code == 0, "\(output)")
        #expect(output.contains("1 updated live"), "\(output)")
        let after = try #require(try fleet.client.send(.status).status)
        #expect(fleet.worker("own", in: after)?.pid == own, "applied live")
        #expect(Set(Self.niceValues(of: own)) == [12], "\(Self.niceValues(of: own))")
    }

    /// The nice value of every thread of `pid`, from `/proc/<pid>/task/*/stat` (field 19).
    static func niceValues(of pid: pid_t) -> [Int] {
        (FileSystem.directoryEntries("/proc/\(pid)/task") ?? []).sorted().compactMap { task in
            guard let bytes = FileSystem.readFile("/proc/\(pid)/task/\(task)/stat") else { return nil }
            let text = String(decoding: bytes, as: UTF8.self)
            guard let close = text.lastIndex(of: ")") else { return nil }
            let fields = text[text.index(after: close)...].split(separator: " ")
            // After the command: state is field 3, so nice (field 19) is the 17th here.
            return fields.count > 16 ? Int(fields[16]) : nil
        }
    }

    @Test func malformedFramesRestartOnlyTheWorkerThatSentThem() async throws {
        let fleet = try TestFleet(workers: [
            "garbage": TestFleet.pythonWorker("garbage") + "\n[limits]\nrestart_cooldown = \"100ms\"\n",
            "oversize": TestFleet.pythonWorker("oversize") + "\n[limits]\nrestart_cooldown = \"100ms\"\n",
            "good": "[limits]\nheartbeat_interval = \"200ms\"\nheartbeat_timeout = \"2s\"\n",
        ])
        defer { fleet.tearDown() }
        let master = try fleet.startMaster()
        let status = try await fleet.waitForStatus {
            (fleet.worker("garbage", in: $0)?.restarts ?? 0) >= 2 && (fleet.worker("oversize", in: $0)?.restarts ?? 0) >= 2
        }
        #expect(fleet.worker("garbage", in: status)?.lastExit == "protocol error: unknown frame type 0x7f")
        #expect(fleet.worker("oversize", in: status)?.lastExit?.contains("exceeds the limit") == true)
        #expect(fleet.worker("good", in: status)?.restarts == 0)
        #expect(fleet.worker("good", in: status)?.state == "running")
        #expect(isRunning(master))
    }

    @Test func staleWorkersOfAKilledMasterAreStoppedAtTheNextStartAndStrangersAreNot() async throws {
        let fleet = try TestFleet(workers: [
            "plain": "protocol = \"none\"\ncommand = [\"sleep\", \"1000\"]\n",
            "ref": "[limits]\nheartbeat_interval = \"1s\"\n",
        ])
        defer { fleet.tearDown() }
        let first = try fleet.startMaster()
        let before = try await fleet.waitForStatus { $0.master.workersRunning == 2 }
        let stale = try #require(fleet.worker("plain", in: before)?.pid)

        kill(first, SIGKILL)
        _ = fleet.waitFor(first)
        #expect(isRunning(stale), "a plain process does not notice its master's death")

        // A pid file naming a live process that is not ours (its start time differs).
        let stranger = try ProcessSpawner.spawn(
            SpawnRequest(arguments: ["sleep", "30"], environment: [:], descriptors: [:]))
        defer {
            kill(stranger, SIGKILL)
            _ = fleet.waitFor(stranger)
        }
        try FileSystem.writeFileAtomically("\(fleet.home)/run/workers/ghost.pid", Array("\(stranger) 12345\n".utf8))

        try fleet.startMaster()
        let after = try await fleet.waitForStatus { $0.master.workersRunning == 2 }
        #expect(await waitUntilGone(stale, timeout: .seconds(2)), "the stale worker was stopped")
        #expect(fleet.worker("plain", in: after)?.pid != stale)
        #expect(isRunning(stranger), "a process that merely reuses a pid is never touched")
        #expect(fleet.masterLog.contains("stopping a worker left running by a previous master"))
    }

    @Test func workerExitsOnItsOwnWhenItsMasterDies() async throws {
        let fleet = try TestFleet(workers: ["ref": "[limits]\nheartbeat_interval = \"1s\"\n"])
        defer { fleet.tearDown() }
        let master = try fleet.startMaster()
        let status = try await fleet.waitForStatus { $0.master.workersRunning == 1 }
        let worker = try #require(status.workers.first?.pid)
        kill(master, SIGKILL)
        _ = fleet.waitFor(master)
        // EOF on its channel (and the parent-death signal as a backstop) ends it. Its farewell
        // line is lost: the master that would have written it to the log is gone.
        #expect(await waitUntilGone(worker, timeout: .seconds(3)))
    }

    /// A botworker behind a wrapper (`sh -c`, not exec'd) has the wrapper as its parent: it
    /// must run (comparing `getppid()` with the master's pid made it exit at once), and still
    /// end when the master dies, by the end of file on its channel.
    @Test func aWrappedBotworkerRunsAndStillEndsWithItsMaster() async throws {
        let fleet = try TestFleet(workers: [
            "wrapped": "command = [\"sh\", \"-c\", \"\(TestFleet.binaries)/botworker; exit 3\"]\n[limits]\nheartbeat_interval = \"300ms\"\n"
        ])
        defer { fleet.tearDown() }
        let master = try fleet.startMaster(environment: ["BOTMASTER_MEMORY_CHECK_INTERVAL": "200ms"])
        let status = try await fleet.waitForStatus { fleet.worker("wrapped", in: $0)?.processes == 2 }
        let shell = try #require(fleet.worker("wrapped", in: status)?.pid)
        try await Task.sleep(for: .seconds(1))
        let later = try await fleet.waitForStatus { fleet.worker("wrapped", in: $0)?.lastHeartbeatMsAgo.map { $0 < 1000 } == true }
        #expect(fleet.worker("wrapped", in: later)?.restarts == 0, "\(fleet.workerLog("wrapped"))")
        #expect(fleet.worker("wrapped", in: later)?.state == "running")
        kill(master, SIGKILL)
        _ = fleet.waitFor(master)
        let deadline = MonotonicTime.now() + .seconds(10)
        while !ProcessGroups.members(of: [shell]).isEmpty && MonotonicTime.now() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(ProcessGroups.members(of: [shell]).isEmpty, "the wrapper and its botworker ended")
    }

    @Test func sigtermDrainsTheFleetLeavesNoProcessAndExitsZero() async throws {
        let fleet = try TestFleet(workers: [
            "a": "[limits]\nheartbeat_interval = \"1s\"\n",
            "b": TestFleet.pythonWorker("normal") + "\n[limits]\nheartbeat_interval = \"1s\"\n",
            "c": "protocol = \"none\"\ncommand = [\"sh\", \"-c\", \"sleep 1000 & wait\"]\n",
        ])
        defer { fleet.tearDown() }
        let master = try fleet.startMaster()
        let status = try await fleet.waitForStatus { $0.master.workersRunning == 3 }
        let pids = status.workers.compactMap(\.pid)
        #expect(pids.count == 3)
        kill(master, SIGTERM)
        let exit = await fleet.waitForMasterExit(timeout: .seconds(15))
        #expect(exit == BotmasterSystem.ExitStatus.exited(code: 0))
        for pid in pids { #expect(await waitUntilGone(pid, timeout: .seconds(1)), "worker \(pid) is gone") }
        #expect(FileSystem.directoryEntries("\(fleet.home)/run/workers") == [])
        #expect(!FileSystem.exists("\(fleet.home)/run/control.sock"))
        #expect(fleet.workerLog("a").contains("drained, exiting"))
        #expect(fleet.workerLog("b").contains("drained: shutdown"))
        #expect(fleet.masterLog.contains("master stopped"))
    }
}

@Suite(.serialized) struct AccountingEndToEndTests {
    @Test func restartCountersAndErroredStatesSurviveAMasterRestart() async throws {
        let fleet = try TestFleet(workers: [
            "crasher": TestFleet.pythonWorker("crash") + "\n[limits]\nrestart_cooldown = \"100ms\"\nmax_restarts_per_hour = 1\n",
            "steady": "",
        ])
        defer { fleet.tearDown() }
        try fleet.startMaster()
        let steadyBefore = try await fleet.waitForStatus {
            fleet.worker("crasher", in: $0)?.state == "errored" && fleet.worker("steady", in: $0)?.state == "running"
        }
        let steadyPID = try #require(fleet.worker("steady", in: steadyBefore)?.pid)
        try #require(try fleet.client.send(.restart("steady")).ok)
        try await fleet.waitForStatus {
            fleet.worker("steady", in: $0)?.restarts == 1 && fleet.worker("steady", in: $0)?.pid != steadyPID
                && fleet.worker("steady", in: $0)?.state == "running"
        }

        let (stopCode, stopOutput) = try fleet.run(["stop"])
        #expect(stopCode == 0, "\(stopOutput)")
        _ = await fleet.waitForMasterExit(timeout: .seconds(10))
        try fleet.startMaster()
        let after = try await fleet.waitForStatus { $0.master.workersRunning == 1 }
        let crasher = try #require(fleet.worker("crasher", in: after))
        #expect(crasher.state == "errored", "a give-up outlives the master")
        #expect(crasher.pid == nil)
        #expect(crasher.restarts == 1)
        #expect(crasher.lastExit == "exit 3")
        #expect(fleet.worker("steady", in: after)?.restarts == 1)
        #expect(fleet.masterLog.contains("bot stays errored from before the master restarted"))
    }
}

/// Whether `Tests/Fixtures/without_memfd.py` can run here: it knows `memfd_create`'s number on
/// x86_64 and aarch64 only, and a kernel without seccomp filters refuses its `prctl`.
enum WithoutMemfd {
    static let works: Bool = {
        let probe = try? runProgram(["python3", TestFleet.fixture("without_memfd.py"), "true"])
        return probe?.code == 0
    }()
}

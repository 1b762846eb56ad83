import BotmasterControl
import BotmasterSystem
import Glibc
import Testing

/// What the master reads from files and workers is bounded: a fleet file that is a device or a
/// FIFO is refused without a byte read and without blocking, tokens cannot hide in
/// `workers/`, and whatever a worker sends that reaches `master.log` is escaped and bounded.
@Suite struct BoundedInputEndToEndTests {
    /// `workers/zero.toml` → `/dev/zero` and `workers/fifo.toml` a FIFO nobody writes: the
    /// reload is rejected at once with the file named, and supervision never stalls.
    @Test func aReloadRefusesDevicesAndFIFOsWithoutBlocking() async throws {
        let fleet = try TestFleet(workers: ["one": "[limits]\nrestart_cooldown = \"0s\""])
        defer { fleet.tearDown() }
        let master = try fleet.startMaster()
        try await fleet.waitForStatus { $0.master.workersRunning == 1 }
        let rssBefore = ProcFS.residentBytes(of: master) ?? 0

        #expect(symlink("/dev/zero", "\(fleet.home)/workers/zero.toml") == 0)
        #expect(mkfifo("\(fleet.home)/workers/fifo.toml", 0o600) == 0)
        let started = MonotonicTime.now()
        let (code, output) = try fleet.run(["reload"])
        #expect(MonotonicTime.now() - started < .seconds(5), "the reload answered without blocking")
        #expect(code == 1)
        #expect(output.contains("workers/zero.toml: is not a regular file but a character device"), "\(output)")
        #expect(output.contains("workers/fifo.toml: is not a regular file but a FIFO"), "\(output)")
        let rssAfter = ProcFS.residentBytes(of: master) ?? 0
        #expect(rssAfter < rssBefore + 50 << 20, "the master did not read /dev/zero: \(rssBefore) → \(rssAfter) bytes")

        // Supervision goes on: a killed worker comes back.
        let status = try #require(try fleet.client.send(.status).status)
        kill(try #require(status.workers.first?.pid), SIGKILL)
        try await fleet.waitForStatus { $0.workers.first?.restarts == 1 && $0.workers.first?.state == "running" }

        let check = try fleet.run(["check"])
        #expect(check.code != 0)
        #expect(check.output.contains("workers/fifo.toml: is not a regular file but a FIFO"))
    }

    @Test func tokensCannotHideInWorkerFiles() throws {
        let fleet = try TestFleet(workers: [:])
        defer { fleet.tearDown() }
        let token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
        try fleet.write(id: "path", "token_file = \"\(token)\"")
        try fleet.write(id: "env", "token_env = \"T\"\n[env]\nBOT_TOKEN = \"\(token)\"")
        try fleet.write(id: "argv", "command = [\"python3\", \"bot.py\", \"--token\", \"\(token)\"]")
        let (code, output) = try fleet.run(["check"])
        #expect(code != 0)
        #expect(output.contains("workers/path.toml: token_file: must be the path of a file that holds the token"), "\(output)")
        #expect(output.contains("workers/env.toml: env.BOT_TOKEN: holds what looks like a bot token"), "\(output)")
        #expect(output.contains("workers/argv.toml: command: holds what looks like a bot token"), "\(output)")
        #expect(!output.contains("AAHdqTcv"), "the problems never repeat the token")
    }

    /// A worker whose hello carries a newline, a terminal escape and 200 KB in its runtime name
    /// is logged on one line, escaped, with the name cut short.
    @Test func whatAWorkerSendsCannotForgeOrFloodTheMasterLog() async throws {
        let fleet = try TestFleet(workers: ["forger": TestFleet.pythonWorker("forger")])
        defer { fleet.tearDown() }
        try fleet.startMaster()
        try await fleet.waitForStatus { $0.workers.first?.state == "running" }
        try await Task.sleep(for: .milliseconds(200))
        let log = fleet.masterLog
        let lines = log.split(separator: "\n")
        #expect(!lines.contains { $0.contains("error FORGED") && !$0.contains("worker running") }, "no forged line")
        let running = try #require(lines.first { $0.contains("worker running") && $0.contains("bot=forger") })
        #expect(running.contains(#"\n2026-01-01T00:00:00.000Z error FORGED by a worker\u{1b}[31m"#))
        #expect(running.utf8.count < 1024, "the runtime name is cut short: \(running.utf8.count) bytes")
        #expect(!log.contains("\u{1b}"), "no terminal escape reaches the log")
    }
}

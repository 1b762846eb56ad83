import BotAPISandbox
import BotmasterControl
import BotmasterSystem
import Glibc
import Testing

/// The SQLite store when its disk fails: a database file that is corrupt, a directory that turns
/// read-only, a disk that fills up. The worker says so in status and its log, stays up (no
/// crash loop: the master would only start it into the same fault), refuses what it cannot keep
/// (webhook 503, polling offset not confirmed, so Telegram keeps those updates), and once the
/// fault is gone answers every message exactly once. Read-only and full disks are real: a small
/// tmpfs mounted over the bot's store directory (needs root, as in CI; skipped otherwise).
@Suite(.serialized) struct StoreFaultEndToEndTests {
    static let bot: Int64 = 131
    static let user: Int64 = 77

    /// Whether this process may mount a tmpfs (root in a mount namespace that allows it).
    static let canMountTmpfs: Bool = {
        guard let directory = try? FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-mount-probe-") else { return false }
        defer { rmdir(directory) }
        guard mount("tmpfs", directory, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount2(directory, Int32(MNT_DETACH))
        return true
    }()

    /// A fleet with one bot `keeper` on SQLite in `mode`; its store directory is created first so
    /// a test can mount over it.
    static func start(mode: String) throws -> (TestFleet, SandboxProcess, [String: String]) {
        let fleet = try TestFleet(workers: [:])
        let sandbox = try SandboxProcess(directory: fleet.home)
        try FileSystem.createDirectory("\(fleet.home)/run")
        try FileSystem.createDirectory("\(fleet.home)/run/store")
        let port = LoopbackPort.free()
        let environment = [
            "KEEPER_TOKEN": "\(bot):keeper-secret", "WEBHOOK_SECRET": "keeper-hook", "WEBHOOK_PORT": "\(port)",
            "WEBHOOK_BIND": "127.0.0.1", "WEBHOOK_HOST": "http://127.0.0.1:\(port)",
        ]
        try fleet.write(
            id: "keeper",
            """
            token_env = "KEEPER_TOKEN"
            mode = "\(mode)"
            store = "sqlite"
            api_base = "\(sandbox.apiBase)"
            [batch]
            quiet = "0s"
            [limits]
            heartbeat_interval = "200ms"
            restart_cooldown = "0s"
            """)
        return (fleet, sandbox, environment)
    }

    /// The same bot with its store directory on a tmpfs of `size`, started and serving in `mode`.
    static func startOnTmpfs(mode: String, size: String) async throws -> (TestFleet, SandboxProcess, String, [String: String]) {
        let (fleet, sandbox, environment) = try start(mode: mode)
        let store = "\(fleet.home)/run/store"
        guard mount("tmpfs", store, "tmpfs", 0, "size=\(size)") == 0 else {
            tearDown(fleet, sandbox, store: store)
            throw MountFailure(description: "mount tmpfs on \(store): \(String(cString: strerror(errno)))")
        }
        do {
            try fleet.startMaster(environment: environment)
            try await fleet.waitForStatus(timeout: .seconds(30)) { counters($0)?.source == mode && counters($0)?.store == "sqlite" }
        } catch {
            tearDown(fleet, sandbox, store: store)
            throw error
        }
        return (fleet, sandbox, store, environment)
    }

    struct MountFailure: Error, CustomStringConvertible {
        var description: String
    }

    static func tearDown(_ fleet: TestFleet, _ sandbox: SandboxProcess, store: String) {
        umount2(store, Int32(MNT_DETACH))
        fleet.tearDown()
        sandbox.stop()
    }

    static func counters(_ status: FleetStatus) -> BotCounters? { status.workers.first { $0.id == "keeper" }?.bot }

    /// Every text answered exactly once, within `timeout`.
    static func expectAnsweredOnce(
        _ texts: [String], _ sandbox: SandboxProcess, _ fleet: TestFleet, timeout: Duration = .seconds(30),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let deadline = MonotonicTime.now() + timeout
        var replies: [String] = []
        while MonotonicTime.now() < deadline {
            replies = try sandbox.sent(bot: bot, chat: user).compactMap(\.text)
            if Set(texts).isSubset(of: Set(replies)) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        // A moment for anything that would come twice.
        try await Task.sleep(for: .milliseconds(500))
        replies = try sandbox.sent(bot: bot, chat: user).compactMap(\.text)
        let missing = texts.filter { !replies.contains($0) }
        let twice = texts.filter { text in replies.filter { $0 == text }.count > 1 }
        #expect(
            missing.isEmpty, "not answered: \(missing); worker log: \(fleet.workerLog("keeper").suffix(2000))",
            sourceLocation: sourceLocation)
        #expect(twice.isEmpty, "answered twice: \(twice)", sourceLocation: sourceLocation)
    }

    @Test func aCorruptDatabaseIsReportedAndTheBotRecoversOnceTheFileIsMovedAway() async throws {
        let (fleet, sandbox, environment) = try Self.start(mode: "polling")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        let path = "\(fleet.home)/run/store/keeper.sqlite"
        let garbage = Array(repeating: UInt8(ascii: "x"), count: 8192)
        try FileSystem.writeFileAtomically(path, garbage)
        try fleet.startMaster(environment: environment)
        try await fleet.waitForStatus { Self.counters($0)?.store == "sqlite_corrupt" }
        try sandbox.send(bot: Self.bot, chat: Self.user, "kept while corrupt")

        // Reported, not crash-looped: the same process keeps running and says why in its log.
        let first = try await fleet.waitForStatus { $0.workers.first?.state == "running" }
        try await Task.sleep(for: .seconds(2))
        let later = try await fleet.waitForStatus { Self.counters($0)?.store == "sqlite_corrupt" }
        #expect(later.workers[0].pid == first.workers[0].pid)
        #expect(later.workers[0].restarts == 0)
        #expect(fleet.workerLog("keeper").contains("store failed"), "worker log: \(fleet.workerLog("keeper").suffix(1500))")
        #expect(try sandbox.sent(bot: Self.bot).isEmpty, "nothing is answered from a store that cannot keep it")
        #expect(FileSystem.readFile(path) == garbage, "the corrupt file is left as it was, for the operator")

        // The operator moves it away: the worker opens a new database and answers what waited.
        #expect(rename(path, path + ".corrupt") == 0)
        try await fleet.waitForStatus(timeout: .seconds(15)) { Self.counters($0)?.store == "sqlite" }
        try await Self.expectAnsweredOnce(["kept while corrupt"], sandbox, fleet)
    }

    @Test(.enabled(if: canMountTmpfs, "mounting a tmpfs needs root (CI runs as root)"))
    func aFullDiskRefusesWebhookDeliveriesAndLosesNothing() async throws {
        let (fleet, sandbox, store, _) = try await Self.startOnTmpfs(mode: "webhook", size: "1m")
        defer { Self.tearDown(fleet, sandbox, store: store) }
        let before = (0..<5).map { "before the disk filled \($0)" }
        for text in before { try sandbox.send(bot: Self.bot, chat: Self.user, text) }
        try await Self.expectAnsweredOnce(before, sandbox, fleet)

        // Fill the disk, then write until the store cannot grow (its write-ahead log may still
        // have room for a few): long texts need fresh pages.
        let filler = "\(store)/filler"
        Self.fill(filler)
        let pid = try #require(try fleet.client.send(.status).status?.workers.first?.pid)
        let padding = String(repeating: "p", count: 3000)
        var during: [String] = []
        let deadline = MonotonicTime.now() + .seconds(30)
        while MonotonicTime.now() < deadline {
            let text = "while full \(during.count) \(padding)"
            during.append(text)
            try sandbox.send(bot: Self.bot, chat: Self.user, text)
            if let status = try? fleet.client.send(.status).status, Self.counters(status)?.store == "sqlite_full" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let full = try await fleet.waitForStatus { Self.counters($0)?.store == "sqlite_full" }
        #expect(full.workers[0].pid == pid && full.workers[0].restarts == 0, "the worker stays up while the disk is full")
        #expect(fleet.workerLog("keeper").contains("store failed"))

        // Space comes back: everything the master answered 200 for, and everything Telegram kept
        // delivering meanwhile, is answered once.
        unlink(filler)
        try await fleet.waitForStatus(timeout: .seconds(20)) { Self.counters($0)?.store == "sqlite" }
        try await Self.expectAnsweredOnce(before + during, sandbox, fleet, timeout: .seconds(60))
        #expect(try fleet.client.send(.status).status?.workers.first?.pid == pid)
    }

    /// Read-only is met when the worker opens its database (`mount -o remount,ro` refuses while
    /// files are open for writing): a store directory on a read-only mount. The bot's updates stay at the Bot API until it is writable again.
    @Test(.enabled(if: canMountTmpfs, "mounting a tmpfs needs root (CI runs as root)"))
    func aReadOnlyStoreKeepsPolledUpdatesAtTheBotAPIUntilItIsWritableAgain() async throws {
        let (fleet, sandbox, store, environment) = try await Self.startOnTmpfs(mode: "polling", size: "4m")
        defer { Self.tearDown(fleet, sandbox, store: store) }
        try sandbox.send(bot: Self.bot, chat: Self.user, "before read-only")
        try await Self.expectAnsweredOnce(["before read-only"], sandbox, fleet)
        let stop = try fleet.run(["stop"])
        #expect(stop.code == 0, "\(stop.output)")
        _ = await fleet.waitForMasterExit(timeout: .seconds(20))

        #expect(
            mount("tmpfs", store, "tmpfs", UInt(MS_REMOUNT | MS_RDONLY), "size=4m") == 0, "remount: \(String(cString: strerror(errno)))")
        try fleet.startMaster(environment: environment)
        let failing = try await fleet.waitForStatus(timeout: .seconds(30)) { Self.counters($0)?.store == "sqlite_read_only" }
        let during = (0..<5).map { "while read-only \($0)" }
        for text in during { try sandbox.send(bot: Self.bot, chat: Self.user, text) }
        try await Task.sleep(for: .seconds(1))
        let still = try await fleet.waitForStatus { Self.counters($0)?.store == "sqlite_read_only" }
        #expect(still.workers[0].pid == failing.workers[0].pid && still.workers[0].restarts == 0, "no crash loop")
        #expect(try sandbox.sent(bot: Self.bot, chat: Self.user).count == 1, "nothing answered that the store could not keep")
        #expect(fleet.workerLog("keeper").contains("store failed"))

        #expect(mount("tmpfs", store, "tmpfs", UInt(MS_REMOUNT), "size=4m") == 0)
        try await fleet.waitForStatus(timeout: .seconds(20)) { Self.counters($0)?.store == "sqlite" }
        try await Self.expectAnsweredOnce(["before read-only"] + during, sandbox, fleet)
    }

    /// Writes zeros to `path` until the disk is full.
    static func fill(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let block = [UInt8](repeating: 0, count: 4096)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
    }
}

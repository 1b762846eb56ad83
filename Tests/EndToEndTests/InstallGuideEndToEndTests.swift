import BotmasterSystem
import Glibc
import Testing

/// `ops/install.sh`, the install guide's first step (docs/install.md), into a temporary root,
/// then the guide's remaining steps there: a bot defined, checked and run by the installed
/// binaries as the `botmaster` user with the installed environment file, as the unit would.
@Suite struct InstallGuideEndToEndTests {
    static let script = TestFleet.fixture("../../ops/install.sh")

    @Test func theInstallGuideInstallsARunnableFleetIntoATemporaryRoot() async throws {
        guard getuid() == 0 else {
            Issue.record("the install guide needs root (useradd, chown); this run is not root")
            return
        }
        let root = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-install-")
        defer { _ = try? runProgram(["rm", "-rf", root]) }
        // mkdtemp makes it 0700; the botmaster user must reach the home inside.
        chmod(root, 0o755)
        let install = try await runProgramAsync(["bash", Self.script, "--root", root, "--bin", TestFleet.binaries])
        try #require(install.code == 0, "install.sh failed: \(install.output)")

        // The user, with no shell, and what it owns.
        let passwd = String(decoding: FileSystem.readFile(root + "/etc/passwd") ?? [], as: UTF8.self)
        let entry = try #require(passwd.split(separator: "\n").first { $0.hasPrefix("botmaster:") }, "no botmaster user: \(passwd)")
        let fields = entry.split(separator: ":", omittingEmptySubsequences: false)
        let (uid, gid) = (try #require(UInt32(fields[2])), try #require(UInt32(fields[3])))
        #expect(fields[5] == "/srv/botmaster" && fields[6] == "/usr/sbin/nologin")
        #expect(Self.owner(root + "/srv/botmaster") == Owner(uid: uid, gid: gid, mode: 0o750))
        #expect(Self.owner(root + "/srv/botmaster/workers") == Owner(uid: uid, gid: gid, mode: 0o750))
        #expect(
            Self.owner(root + "/etc/botmaster.env") == Owner(uid: 0, gid: gid, mode: 0o640), "tokens: root writes, the unit's group reads")
        #expect(Self.owner(root + "/usr/local/bin/botmaster")?.mode == 0o755)
        #expect(Self.owner(root + "/usr/local/share/man/man1/botmaster.1") != nil)
        for (installed, shipped) in [
            ("/etc/systemd/system/botmaster.service", "../../ops/systemd/botmaster.service"),
            ("/etc/logrotate.d/botmaster", "../../ops/logrotate/botmaster"),
        ] {
            #expect(FileSystem.readFile(root + installed) == FileSystem.readFile(TestFleet.fixture(shipped)), "\(installed)")
        }

        // Step 5 of the guide: the token into the environment file, a bot, `check` as the user.
        let sandbox = try SandboxProcess(directory: root)
        defer { sandbox.stop() }
        let fleet = TestFleet(home: root + "/srv/botmaster", binaries: root + "/usr/local/bin")
        defer { fleet.tearDown() }
        let environmentFile = root + "/etc/botmaster.env"
        let tokenLine = "SUPPORT_BOT_TOKEN=7201:installed-secret\nSTATUS_PORT=\(fleet.statusPort)\n"
        try FileSystem.writeFileAtomically(
            environmentFile, (FileSystem.readFile(environmentFile) ?? []) + Array(tokenLine.utf8), mode: 0o640)
        chown(environmentFile, 0, gid)
        let bot = "token_env = \"SUPPORT_BOT_TOKEN\"\napi_base = \"\(sandbox.apiBase)\"\n[batch]\nquiet = \"0s\"\n"
        try FileSystem.writeFileAtomically(fleet.home + "/workers/support.toml", Array(bot.utf8))
        chown(fleet.home + "/workers/support.toml", uid, gid)
        let asUser = ["setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--"]
        let unitEnvironment = try Self.environment(file: environmentFile)
        let check = try fleet.run(["check"], environment: unitEnvironment, prefix: asUser)
        #expect(check.code == 0, "check as the botmaster user: \(check.output)")

        // Steps 6 and 7: started as the unit starts it; the bot answers, as the user, in its home.
        try fleet.startMaster(environment: unitEnvironment, prefix: asUser)
        let status = try await fleet.waitForStatus { $0.workers.first?.state == "running" }
        try sandbox.send(bot: 7201, chat: 42, "installed?")
        let sent = try await sandbox.waitForSent(bot: 7201, chat: 42, count: 1)
        #expect(sent.first?.text?.contains("installed?") == true)
        let workerPID = try #require(status.workers.first?.pid)
        #expect(Self.processOwner(workerPID) == uid, "the worker runs as the botmaster user")
        #expect(Self.owner(fleet.home + "/logs")?.uid == uid, "the master made its logs as the user")
        let statusCommand = try fleet.run(["status"], environment: unitEnvironment, prefix: asUser)
        #expect(statusCommand.code == 0 && statusCommand.output.contains("support"), "\(statusCommand.output)")

        // Installing again (an upgrade) keeps the environment file and its tokens.
        let again = try await runProgramAsync(["bash", Self.script, "--root", root, "--bin", TestFleet.binaries])
        #expect(again.code == 0 && again.output.contains("kept as it is"), "\(again.output)")
        #expect(String(decoding: FileSystem.readFile(environmentFile) ?? [], as: UTF8.self).contains("SUPPORT_BOT_TOKEN=7201"))
        let users = String(decoding: FileSystem.readFile(root + "/etc/passwd") ?? [], as: UTF8.self)
        #expect(users.split(separator: "\n").filter { $0.hasPrefix("botmaster:") }.count == 1)
    }

    /// The variables an `EnvironmentFile=` gives the unit: `KEY=value` lines, comments skipped,
    /// with a PATH (systemd gives one).
    static func environment(file: String) throws -> [String: String] {
        let text = String(decoding: try #require(FileSystem.readFile(file)), as: UTF8.self)
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            environment[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return environment
    }

    struct Owner: Equatable {
        var uid: UInt32
        var gid: UInt32
        var mode: mode_t
    }

    static func owner(_ path: String) -> Owner? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Owner(uid: info.st_uid, gid: info.st_gid, mode: info.st_mode & 0o7777)
    }

    static func processOwner(_ pid: Int32) -> UInt32? {
        var info = stat()
        return stat("/proc/\(pid)", &info) == 0 ? info.st_uid : nil
    }
}

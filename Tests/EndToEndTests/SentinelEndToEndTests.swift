import BotAPISandbox
import BotmasterControl
import BotmasterSystem
import Glibc
import RedisServerFixture
import Testing

/// A fleet whose state is on a Redis found through Sentinel (a primary, a replica, three
/// sentinels, all real) with `wait_replicas=1`: the primary is killed under traffic, the fleet
/// follows the promoted replica, and no acknowledged message is lost or answered twice.
@Suite struct SentinelEndToEndTests {
    @Test func aFleetOnSentinelFollowsTheNewPrimaryAndLosesNothingAcknowledged() async throws {
        let set = try RedisSentinelSet()
        let url = set.urlText("wait_replicas=1&wait_timeout_ms=1000")
        let bot = RedisEndToEndTests.bot
        let (fleet, sandbox, _) = try RedisEndToEndTests.start(redis: set.primary, quiet: "100ms", environment: ["REDIS_URL": url])
        defer {
            fleet.tearDown()
            sandbox.stop()
            set.tearDown()
        }
        _ = try await RedisEndToEndTests.waitUntilReceiving(fleet, mode: "polling")
        let chats = Array(Int64(2001)...2030)
        for chat in chats.prefix(10) { try sandbox.send(bot: bot, chat: chat, "before \(chat)") }
        _ = try await sandbox.waitForSent(bot: bot, count: 10, timeout: .seconds(30))
        // Every job recorded as finished before the kill: a job between its reply and its
        // record is the one case a failover may answer twice (as a worker's kill may).
        try await fleet.waitForStatus { $0.workers.first?.bot?.jobsOK == 10 }

        set.primary.stop()
        for chat in chats.dropFirst(10).prefix(10) { try sandbox.send(bot: bot, chat: chat, "during \(chat)") }
        // The promoted replica has no replica of its own until the old primary comes back (as
        // systemd would restart it) and Sentinel turns it into one: with wait_replicas=1 the
        // fleet acknowledges nothing until then.
        try await waitForPromotion(of: set)
        try set.primary.start()
        for chat in chats.suffix(10) { try sandbox.send(bot: bot, chat: chat, "after \(chat)") }
        _ = try await sandbox.waitForSent(bot: bot, count: chats.count, timeout: .seconds(90))
        try await Task.sleep(for: .milliseconds(1500))
        let all = try sandbox.sent(bot: bot)
        #expect(all.count == chats.count, "every message answered once: \(all.map(\.text))")
        #expect(Set(all.map(\.chatID)) == Set(chats))
        let workerLog = fleet.workerLog("echo")
        #expect(workerLog.contains("store failed") && workerLog.contains("store answers again"), "the failover is logged")
        #expect(!workerLog.contains("pw-sentinel") && !fleet.masterLog.contains("pw-sentinel"), "the password never reaches a log")
    }

    /// Waits until a sentinel names the replica as the primary.
    private func waitForPromotion(of set: RedisSentinelSet) async throws {
        let deadline = MonotonicTime.now() + .seconds(60)
        while MonotonicTime.now() < deadline {
            if set.sentinels[0].primaryPort(of: set.name) == set.replica.port { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("Sentinel did not promote the replica within 60 s; see \(set.sentinels[0].directory)/sentinel.log")
    }
}

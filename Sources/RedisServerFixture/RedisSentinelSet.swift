import BotRedis
import BotmasterSystem
import Glibc

/// A primary, a replica and three sentinels with a quorum of two, on loopback: the smallest
/// Sentinel deployment that fails over, for the tests.
public final class RedisSentinelSet {
    public let primary: RedisServerProcess
    public let replica: RedisServerProcess
    public let sentinels: [RedisSentinelProcess]
    /// The name the sentinels know the primary by.
    public let name: String

    public init(password: String = "pw-sentinel", name: String = "botmaster") throws {
        self.name = name
        // No 5 s wait before the first full sync (Redis's default, to batch replicas).
        let primary = try RedisServerProcess(password: password, options: ["--repl-diskless-sync-delay", "0"])
        self.primary = primary
        replica = try RedisServerProcess.replica(of: primary)
        sentinels = try (0..<3).map { _ in try RedisSentinelProcess(watching: primary, name: name, quorum: 2) }
        try waitUntilReadyToFailOver()
    }

    /// `redis-sentinel://` text for clients, asking for `name` (the set's own unless given),
    /// with `options` as its query.
    public func urlText(_ options: String = "", name: String? = nil) -> String {
        "redis-sentinel://:\(primary.password ?? "")@" + sentinels.map(\.address).joined(separator: ",") + "/\(name ?? self.name)"
            + (options.isEmpty ? "" : "?" + options)
    }

    /// Waits until the replica is in sync and every sentinel knows it and the two other
    /// sentinels: before that a failover cannot happen (no replica to promote, or no quorum).
    public func waitUntilReadyToFailOver() throws {
        let deadline = MonotonicTime.now() + .seconds(30)
        while MonotonicTime.now() < deadline {
            if replicaIsOnline(), sentinels.allSatisfy({ $0.knows(name, replicas: 1, otherSentinels: 2) }) { return }
            usleep(100_000)
        }
        throw RedisError.unreachable("the sentinels did not find the replica and each other within 30 s; see \(sentinels[0].directory)")
    }

    /// Whether the primary has the replica in sync (`INFO replication`: `state=online`).
    private func replicaIsOnline() -> Bool {
        guard let connection = try? RedisConnection(url: primary.url, timeout: .milliseconds(500)),
            let info = try? connection.command(["INFO", "replication"]).string
        else { return false }
        return info.contains("state=online")
    }

    public func tearDown() {
        sentinels.forEach { $0.tearDown() }
        replica.tearDown()
        primary.tearDown()
    }
}

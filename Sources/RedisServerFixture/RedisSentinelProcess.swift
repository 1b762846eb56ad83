import BotRedis
import BotmasterSystem
import Glibc

/// A real Redis Sentinel (`redis-server --sentinel`, Debian's package) on a free loopback port,
/// watching one primary under a name, with timings short enough for a test: a primary that
/// stops answering for `downAfter` is failed over.
public final class RedisSentinelProcess {
    public let directory: String
    public let port: Int
    public let host: String
    private var pid: pid_t?

    /// - Parameters:
    ///   - primary: the server to watch; its password is the one Sentinel logs in with.
    ///   - name: the name clients ask for (`redis-sentinel://…/<name>`).
    ///   - quorum: how many sentinels must agree that the primary is down.
    public init(watching primary: RedisServerProcess, name: String, quorum: Int, downAfter: Duration = .seconds(1)) throws {
        directory = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-sentinel-")
        port = LoopbackPort.free()
        host = primary.host
        let downMs = downAfter.components.seconds * 1000 + downAfter.components.attoseconds / 1_000_000_000_000_000
        var lines = [
            "port \(port)", "bind \(host)", "dir \(directory)", "logfile \(directory)/sentinel.log",
            "sentinel monitor \(name) \(primary.host) \(primary.port) \(quorum)",
            "sentinel down-after-milliseconds \(name) \(downMs)",
            "sentinel failover-timeout \(name) \(max(downMs * 4, 4000))",
            "sentinel parallel-syncs \(name) 1",
        ]
        if let password = primary.password { lines.append("sentinel auth-pass \(name) \(password)") }
        // Sentinel rewrites its configuration file as it learns: it must be a writable file.
        try FileSystem.writeSmallFile("\(directory)/sentinel.conf", Array((lines.joined(separator: "\n") + "\n").utf8))
        try start()
    }

    /// The sentinel's address as `redis-sentinel://` lists it.
    public var address: String { "\(host):\(port)" }

    public func start() throws {
        let null = try Descriptors.openNull()
        defer { close(null) }
        pid = try ProcessSpawner.spawn(
            SpawnRequest(
                arguments: ["/usr/bin/redis-server", "\(directory)/sentinel.conf", "--sentinel"], environment: Environment.current(),
                descriptors: [0: null, 1: null, 2: null]))
        let url = RedisURL(endpoint: .tcp(host: host, port: port))
        let deadline = MonotonicTime.now() + .seconds(10)
        while MonotonicTime.now() < deadline {
            if let connection = try? RedisConnection(url: url, timeout: .milliseconds(200)), (try? connection.command(["PING"])) != nil {
                return
            }
            usleep(20_000)
        }
        throw RedisError.unreachable("redis-sentinel did not start on port \(port); see \(directory)/sentinel.log")
    }

    /// Whether this sentinel knows at least `replicas` replicas of the primary named `name` and
    /// `otherSentinels` other sentinels watching it (`SENTINEL MASTER`).
    public func knows(_ name: String, replicas: Int, otherSentinels: Int) -> Bool {
        guard let connection = try? RedisConnection(url: RedisURL(endpoint: .tcp(host: host, port: port)), timeout: .milliseconds(500)),
            let fields = try? connection.command(["SENTINEL", "MASTER", name]).array
        else { return false }
        var values: [String: Int] = [:]
        for index in stride(from: 0, to: fields.count - 1, by: 2) {
            if let key = fields[index].string, let value = fields[index + 1].string.flatMap({ Int($0) }) { values[key] = value }
        }
        return (values["num-slaves"] ?? 0) >= replicas && (values["num-other-sentinels"] ?? 0) >= otherSentinels
    }

    /// The port of the server this sentinel names as the primary of `name` now.
    public func primaryPort(of name: String) -> Int? {
        guard let connection = try? RedisConnection(url: RedisURL(endpoint: .tcp(host: host, port: port)), timeout: .milliseconds(500)),
            let parts = try? connection.command(["SENTINEL", "get-master-addr-by-name", name]).array, parts.count == 2
        else { return nil }
        return parts[1].string.flatMap { Int($0) }
    }

    public func tearDown() {
        if let pid {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
        pid = nil
        FileSystem.removeTree(directory)
    }
}

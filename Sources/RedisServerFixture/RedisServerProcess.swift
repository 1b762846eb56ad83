import BotRedis
import BotmasterSystem
import Glibc

/// A real `redis-server` (Debian's package) on a free loopback port and a Unix socket in a
/// temporary directory, for the tests and the benchmark. ``stop(graceful:)`` ends it;
/// ``start()`` brings it back on the same port with the same directory, so a persistent server
/// comes back with its data.
public final class RedisServerProcess {
    public let directory: String
    public let port: Int
    public let password: String?
    /// Append-only file on, synced on every write: a restarted server has everything it
    /// acknowledged (the setting production should use for botmaster's state).
    public let persistent: Bool
    /// The address it listens on: loopback, or a host's address in a network namespace.
    public let host: String
    /// Runs it through another program: `ip netns exec <host>` puts it on another "host".
    private let prefix: [String]
    /// More `redis-server` options, such as `--replicaof`.
    private let options: [String]
    private var pid: pid_t?

    public init(
        password: String? = nil, persistent: Bool = false, host: String = "127.0.0.1", prefix: [String] = [], options: [String] = []
    ) throws {
        directory = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-redis-")
        port = LoopbackPort.free()
        self.password = password
        self.persistent = persistent
        self.host = host
        self.prefix = prefix
        self.options = options
        try start()
    }

    /// A replica of `primary` (same password, which it also uses to log in to the primary).
    public static func replica(of primary: RedisServerProcess) throws -> RedisServerProcess {
        try RedisServerProcess(password: primary.password, host: primary.host, options: ["--replicaof", primary.host, "\(primary.port)"])
    }

    /// The running server's process, for its CPU time.
    public var processID: pid_t? { pid }

    public var socketPath: String { "\(directory)/redis.sock" }

    /// The server's URL (TCP, with the password if any).
    public var url: RedisURL { RedisURL(endpoint: .tcp(host: host, port: port), password: password) }

    /// `redis://` text of ``url``, for `REDIS_URL`.
    public var urlText: String {
        "redis://" + (password.map { ":\($0)@" } ?? "") + "\(host):\(port)"
    }

    public func start() throws {
        var arguments =
            prefix + [
                "/usr/bin/redis-server", "--port", "\(port)", "--bind", host, "--save", "",
                "--unixsocket", socketPath, "--unixsocketperm", "700", "--dir", directory, "--logfile", "\(directory)/redis.log",
            ]
        arguments += persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]
        // masterauth too: after a failover, Sentinel may turn any server into a replica.
        if let password { arguments += ["--requirepass", password, "--masterauth", password] }
        arguments += options
        let null = try Descriptors.openNull()
        defer { close(null) }
        pid = try ProcessSpawner.spawn(
            SpawnRequest(arguments: arguments, environment: Environment.current(), descriptors: [0: null, 1: null, 2: null]))
        let deadline = MonotonicTime.now() + .seconds(10)
        while MonotonicTime.now() < deadline {
            if (try? RedisConnection(url: url, timeout: .milliseconds(200))) != nil { return }
            usleep(20_000)
        }
        throw RedisError.unreachable("redis-server did not start on port \(port); see \(directory)/redis.log")
    }

    /// Ends the server: SIGTERM (it finishes its append-only file) or SIGKILL.
    public func stop(graceful: Bool = false) {
        guard let pid else { return }
        kill(pid, graceful ? SIGTERM : SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        self.pid = nil
    }

    public func tearDown() {
        stop()
        FileSystem.removeTree(directory)
    }
}

import BotRedis
import BotmasterSystem
import Glibc

/// A real `redis-server` (Debian's package) on a free loopback port and a Unix socket in a
/// temporary directory, with persistence off. ``stop()`` ends it; ``start()`` brings it back on
/// the same port.
final class RedisServerProcess {
    let directory: String
    let port: Int
    let password: String?
    private var pid: pid_t?

    init(password: String? = nil) throws {
        directory = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-redis-")
        port = LoopbackPort.free()
        self.password = password
        try start()
    }

    var socketPath: String { "\(directory)/redis.sock" }

    func start() throws {
        var arguments = [
            "/usr/bin/redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--unixsocket", socketPath, "--unixsocketperm", "700", "--dir", directory, "--logfile", "\(directory)/redis.log",
        ]
        if let password { arguments += ["--requirepass", password] }
        let null = try Descriptors.openNull()
        defer { close(null) }
        pid = try ProcessSpawner.spawn(
            SpawnRequest(arguments: arguments, environment: Environment.current(), descriptors: [0: null, 1: null, 2: null]))
        let url = RedisURL(endpoint: .tcp(host: "127.0.0.1", port: port), password: password)
        let deadline = MonotonicTime.now() + .seconds(10)
        while MonotonicTime.now() < deadline {
            if (try? RedisConnection(url: url, timeout: .milliseconds(200))) != nil { return }
            usleep(20_000)
        }
        throw RedisError.unreachable("redis-server did not start on port \(port); see \(directory)/redis.log")
    }

    func stop() {
        guard let pid else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        self.pid = nil
    }

    func tearDown() {
        stop()
        FileSystem.removeTree(directory)
    }
}

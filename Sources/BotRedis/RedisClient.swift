import BotmasterSystem
import NIOPosix
import Synchronization

/// A Redis client for async code: commands and pipelines run on a thread of their own (hiredis
/// blocks), never on an event loop that serves IPC or HTTP. A broken connection is reopened on
/// the next call, with exponential backoff while the server stays away.
public final class RedisClient: Sendable {
    public let url: RedisURL
    private let timeout: Duration
    private let pool: NIOThreadPool
    private let state = Mutex<State>(State())

    private struct State {
        /// The connection; only touched on the pool's single thread.
        var connection: UnsafeTransfer<RedisConnection>?
        var failures = 0
        var nextAttempt = MonotonicTime(nanoseconds: 0)
    }

    /// A non-Sendable value moved between the caller and the pool's one thread, which is the
    /// only thread that ever uses it.
    private struct UnsafeTransfer<Value>: @unchecked Sendable {
        let value: Value
    }

    /// - Parameters:
    ///   - url: where the server is.
    ///   - timeout: for connecting and for each call.
    public init(url: RedisURL, timeout: Duration = .seconds(2)) {
        self.url = url
        self.timeout = timeout
        self.pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    /// Closes the connection and stops the thread.
    public func shutdown() async {
        _ = try? await pool.runIfActive { [self] in
            self.state.withLock { $0.connection?.value.close() }
        }
        try? await pool.shutdownGracefully()
    }

    /// Runs one command.
    public func command(_ arguments: String...) async throws(RedisError) -> RedisReply {
        try await command(arguments)
    }

    /// Runs one command.
    public func command(_ arguments: [String]) async throws(RedisError) -> RedisReply {
        try await pipeline([arguments.map { Array($0.utf8) }])[0].get()
    }

    /// Runs commands in one round trip; each has its own result.
    public func pipeline(_ commands: [[[UInt8]]]) async throws(RedisError) -> [Result<RedisReply, RedisError>] {
        let outcome: Result<[Result<RedisReply, RedisError>], RedisError>
        do {
            outcome = try await pool.runIfActive { [self] in self.runOnPoolThread(commands) }
        } catch {
            throw .connectionLost("\(url): the client is shut down")
        }
        return try outcome.get()
    }

    private func runOnPoolThread(_ commands: [[[UInt8]]]) -> Result<[Result<RedisReply, RedisError>], RedisError> {
        let connection: RedisConnection
        switch connect() {
        case .success(let open): connection = open
        case .failure(let error): return .failure(error)
        }
        do {
            return .success(try connection.pipeline(commands))
        } catch {
            state.withLock { $0.connection = nil }
            return .failure(error)
        }
    }

    /// The open connection, or a new one; while the server stays away, attempts are spaced
    /// out (100 ms doubling to 5 s) and calls in between fail at once.
    private func connect() -> Result<RedisConnection, RedisError> {
        let (existing, nextAttempt) = state.withLock { ($0.connection?.value, $0.nextAttempt) }
        if let existing, existing.isOpen { return .success(existing) }
        let now = MonotonicTime.now()
        guard now >= nextAttempt else { return .failure(.unreachable("\(url): reconnecting (backing off)")) }
        do {
            let connection = try RedisConnection(url: url, timeout: timeout)
            state.withLock {
                $0.connection = UnsafeTransfer(value: connection)
                $0.failures = 0
            }
            return .success(connection)
        } catch {
            state.withLock {
                $0.failures += 1
                $0.connection = nil
                $0.nextAttempt = now + .milliseconds(min(100 << min($0.failures - 1, 6), 5000))
            }
            return .failure(error)
        }
    }
}

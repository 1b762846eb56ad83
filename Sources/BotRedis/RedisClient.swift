import BotmasterSystem
import NIOPosix
import Synchronization

/// A Redis client for async code: commands and pipelines run on a thread of their own (hiredis
/// blocks), never on an event loop that serves IPC or HTTP. A broken connection is reopened on
/// the next call, with exponential backoff while the server stays away.
///
/// Calls made while a round trip is under way are coalesced: the thread sends everything that
/// queued up meanwhile as one pipeline. Under load a job's commands therefore share round trips
/// with other jobs' commands, and the round-trip count per job falls below one command each.
public final class RedisClient: Sendable {
    public let url: RedisURL
    private let timeout: Duration
    private let pool: NIOThreadPool
    private let state = Mutex<State>(State())
    private let trips = Atomic<UInt64>(0)

    private struct State {
        /// The connection; only touched on the pool's single thread.
        var connection: UnsafeTransfer<RedisConnection>?
        var failures = 0
        var nextAttempt = MonotonicTime(nanoseconds: 0)
        /// Calls waiting for the next round trip.
        var queued: [Call] = []
        /// Whether the pool thread is (or is about to be) sending queued calls.
        var sending = false
        var closed = false
    }

    private struct Call {
        var commands: [[[UInt8]]]
        var continuation: CheckedContinuation<Result<[Result<RedisReply, RedisError>], RedisError>, Never>
    }

    /// A non-Sendable value moved between the caller and the pool's one thread, which is the
    /// only thread that ever uses it.
    private struct UnsafeTransfer<Value>: @unchecked Sendable {
        let value: Value
    }

    /// - Parameters:
    ///   - url: where the server is.
    ///   - timeout: for connecting and for each call; at least a second longer than the URL's
    ///     `wait_timeout_ms`, which a `WAIT` may spend blocked.
    public init(url: RedisURL, timeout: Duration = .seconds(2)) {
        self.url = url
        let waiting = url.replicaWait.map { Duration.milliseconds($0.timeoutMilliseconds) + .seconds(1) } ?? .zero
        self.timeout = max(timeout, waiting)
        self.pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    /// Round trips made so far (pipelines sent), for the benchmark's round trips per job.
    public var roundTrips: UInt64 { trips.load(ordering: .relaxed) }

    /// Closes the connection and stops the thread.
    public func shutdown() async {
        _ = try? await pool.runIfActive { [self] in
            self.state.withLock {
                $0.closed = true
                $0.connection?.value.close()
            }
        }
        try? await pool.shutdownGracefully()
        failQueuedCalls()
    }

    /// Closes the connection and stops the thread, blocking until it stopped; for synchronous
    /// clean-up (never on the client's own thread).
    public func syncShutdown() {
        state.withLock {
            $0.closed = true
            $0.connection?.value.close()
        }
        try? pool.syncShutdownGracefully()
        failQueuedCalls()
    }

    /// Calls still queued when the thread stopped get an error instead of waiting forever.
    private func failQueuedCalls() {
        let orphans = state.withLock { state in
            defer { state.queued = [] }
            return state.queued
        }
        for call in orphans { call.continuation.resume(returning: .failure(.connectionLost("\(url): the client is shut down"))) }
    }

    /// Runs one command.
    public func command(_ arguments: String...) async throws(RedisError) -> RedisReply {
        try await command(arguments)
    }

    /// Runs one command.
    public func command(_ arguments: [String]) async throws(RedisError) -> RedisReply {
        try await pipeline([arguments.map { Array($0.utf8) }])[0].get()
    }

    /// Runs commands in one round trip (possibly shared with other calls); each has its own
    /// result, in order.
    public func pipeline(_ commands: [[[UInt8]]]) async throws(RedisError) -> [Result<RedisReply, RedisError>] {
        let outcome = await withCheckedContinuation { continuation in
            let startSending = state.withLock { state -> Bool? in
                guard !state.closed else { return nil }
                state.queued.append(Call(commands: commands, continuation: continuation))
                guard !state.sending else { return false }
                state.sending = true
                return true
            }
            switch startSending {
            case nil: continuation.resume(returning: .failure(.connectionLost("\(url): the client is shut down")))
            case true?: pool.submit { [self] _ in self.sendQueued() }
            case false?: break
            }
        }
        return try outcome.get()
    }

    /// Runs commands that change state like ``pipeline(_:)``; when the URL asks for replicas
    /// (`wait_replicas`), a `WAIT` follows them in the same round trip, and fewer confirmations
    /// than asked for fail the call with ``RedisError/notReplicated(_:)``.
    public func replicatedPipeline(_ commands: [[[UInt8]]]) async throws(RedisError) -> [Result<RedisReply, RedisError>] {
        guard let wait = url.replicaWait else { return try await pipeline(commands) }
        let waitCommand = ["WAIT", "\(wait.replicas)", "\(wait.timeoutMilliseconds)"].map { Array($0.utf8) }
        var results = try await pipeline(commands + [waitCommand])
        let confirmed = try results.removeLast().get().integer ?? 0
        guard confirmed >= wait.replicas else {
            throw .notReplicated("\(confirmed) of \(wait.replicas) replicas within \(wait.timeoutMilliseconds) ms")
        }
        return results
    }

    /// On the pool thread: sends whatever is queued as one pipeline, hands out the results,
    /// and repeats until nothing is left.
    private func sendQueued() {
        while true {
            let calls = state.withLock { state -> [Call] in
                let calls = state.queued
                state.queued = []
                if calls.isEmpty { state.sending = false }
                return calls
            }
            guard !calls.isEmpty else { return }
            let outcome = run(calls.flatMap(\.commands))
            var start = 0
            for call in calls {
                let count = call.commands.count
                switch outcome {
                case .success(let results): call.continuation.resume(returning: .success(Array(results[start..<start + count])))
                case .failure(let error): call.continuation.resume(returning: .failure(error))
                }
                start += count
            }
        }
    }

    private func run(_ commands: [[[UInt8]]]) -> Result<[Result<RedisReply, RedisError>], RedisError> {
        let connection: RedisConnection
        switch connect() {
        case .success(let open): connection = open
        case .failure(let error): return .failure(error)
        }
        trips.wrappingAdd(1, ordering: .relaxed)
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

import Synchronization

/// A Lua script run with `EVALSHA`: loaded once with `SCRIPT LOAD`, loaded again when the
/// server forgot it (a restarted server answers `NOSCRIPT`). A script runs atomically: no other
/// client's command runs between its commands, which is what makes take-and-clear safe against
/// racing processes. With `wait_replicas` in the URL, each run is confirmed by the replicas
/// (``RedisClient/replicatedPipeline(_:)``): scripts are the steps that change state.
public final class RedisScript: Sendable {
    public let source: String
    private let sha = Mutex<String?>(nil)

    public init(_ source: String) {
        self.source = source
    }

    /// Runs the script with `keys` and `arguments`.
    public func run(on client: RedisClient, keys: [String] = [], arguments: [[UInt8]]) async throws(RedisError) -> RedisReply {
        for attempt in 0..<2 {
            let digest = try await loaded(on: client, reload: attempt > 0)
            var command: [[UInt8]] = [Array("EVALSHA".utf8), Array(digest.utf8), Array("\(keys.count)".utf8)]
            command += keys.map { Array($0.utf8) }
            command += arguments
            let result = try await client.replicatedPipeline([command])[0]
            if case .failure(.server(let message)) = result, message.hasPrefix("NOSCRIPT") { continue }
            return try result.get()
        }
        throw .server("NOSCRIPT: the server keeps forgetting the script")
    }

    /// Runs the script once per argument list, all in one round trip, in order; each run has
    /// its own result (and each is atomic on its own, not together).
    public func runMany(on client: RedisClient, arguments lists: [[[UInt8]]]) async throws(RedisError) -> [Result<
        RedisReply, RedisError
    >] {
        guard !lists.isEmpty else { return [] }
        var digest = try await loaded(on: client, reload: false)
        var results: [Result<RedisReply, RedisError>] = []
        for attempt in 0..<2 {
            let commands = lists.map { [Array("EVALSHA".utf8), Array(digest.utf8), Array("0".utf8)] + $0 }
            results = try await client.replicatedPipeline(commands)
            let forgotten = results.contains {
                if case .failure(.server(let message)) = $0 { return message.hasPrefix("NOSCRIPT") }
                return false
            }
            // A server that forgot the script ran none of them: load it and run them all again.
            guard forgotten, attempt == 0 else { break }
            digest = try await loaded(on: client, reload: true)
        }
        return results
    }

    private func loaded(on client: RedisClient, reload: Bool) async throws(RedisError) -> String {
        if !reload, let known = sha.withLock({ $0 }) { return known }
        guard let digest = try await client.command("SCRIPT", "LOAD", source).string else {
            throw .server("SCRIPT LOAD returned no digest")
        }
        sha.withLock { $0 = digest }
        return digest
    }
}

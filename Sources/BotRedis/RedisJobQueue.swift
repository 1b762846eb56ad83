/// A reliable job queue on a Redis Stream with a consumer group.
///
/// Why a stream rather than `BLMOVE` into a processing list: the consumer group keeps, per
/// entry, who took it and when (the pending entries list), so a job taken by a worker that died
/// is found and taken again with one `XAUTOCLAIM`, with no reaper process and no second list
/// that can drift from the first; `XREADGROUP COUNT n` takes n jobs in one round trip and
/// `XACK` finishes n in another. An entry leaves the stream (`XDEL`) only when acknowledged.
public struct RedisJobQueue: Sendable {
    /// One job as taken from the queue.
    public struct Job: Sendable, Equatable {
        /// The stream entry id (`<ms>-<seq>`): acknowledge with it.
        public var id: String
        public var payload: [UInt8]
        /// How many times it was handed out, counting this one (from the pending list; 1 for a
        /// first delivery).
        public var deliveries: Int
    }

    public let client: RedisClient
    /// The stream key, e.g. `botmaster:<fleet>:<bot>:jobs`.
    public let key: String
    public let group: String

    public init(client: RedisClient, key: String, group: String = "workers") {
        self.client = client
        self.key = key
        self.group = group
    }

    /// Creates the stream and the group if missing (idempotent).
    public func prepare() async throws(RedisError) {
        do {
            _ = try await client.command("XGROUP", "CREATE", key, group, "0", "MKSTREAM")
        } catch {
            guard case .server(let message) = error, message.hasPrefix("BUSYGROUP") else { throw error }
        }
    }

    /// Adds jobs in one round trip; returns their ids.
    public func enqueue(_ payloads: [[UInt8]]) async throws(RedisError) -> [String] {
        let commands = payloads.map { [Array("XADD".utf8), Array(key.utf8), Array("*".utf8), Array("job".utf8), $0] }
        return try await client.pipeline(commands).map { result throws(RedisError) in
            guard let id = try result.get().string else { throw .server("XADD returned no id") }
            return id
        }
    }

    /// Takes up to `count` new jobs for `consumer`, waiting up to `block` when there are none.
    /// A blocking take holds the client's connection while it waits: give it a client of its
    /// own, and keep `block` below that client's timeout.
    public func take(consumer: String, count: Int, block: Duration = .zero) async throws(RedisError) -> [Job] {
        var arguments = ["XREADGROUP", "GROUP", group, consumer, "COUNT", "\(count)"]
        if block > .zero {
            arguments += ["BLOCK", "\(block.components.seconds * 1000 + block.components.attoseconds / 1_000_000_000_000_000)"]
        }
        arguments += ["STREAMS", key, ">"]
        let reply = try await client.command(arguments)
        // [[key, [[id, [field, value]], …]]] or nil when nothing came.
        guard let streams = reply.array, let entries = streams.first?.array?.last?.array else { return [] }
        return entries.compactMap { Self.job(from: $0, deliveries: 1) }
    }

    /// Takes jobs that another consumer took more than `minimumIdle` ago and never
    /// acknowledged (it died): they are handed to `consumer` with their delivery count.
    public func claimStale(consumer: String, minimumIdle: Duration, count: Int = 100) async throws(RedisError) -> [Job] {
        let idleMs = minimumIdle.components.seconds * 1000 + minimumIdle.components.attoseconds / 1_000_000_000_000_000
        let reply = try await client.command("XAUTOCLAIM", key, group, consumer, "\(idleMs)", "0-0", "COUNT", "\(count)")
        // [next-cursor, [[id, [field, value]], …], deleted-ids]
        guard let parts = reply.array, parts.count >= 2, let entries = parts[1].array else { return [] }
        let jobs = entries.compactMap { Self.job(from: $0, deliveries: 0) }
        guard !jobs.isEmpty else { return [] }
        // The delivery counts, from the pending list, for the retry policy.
        let pending = try await client.command(["XPENDING", key, group, jobs.first!.id, jobs.last!.id, "\(jobs.count)", consumer])
        var counts: [String: Int] = [:]
        for entry in pending.array ?? [] {
            if let fields = entry.array, fields.count >= 4, let id = fields[0].string, let count = fields[3].integer {
                counts[id] = Int(count)
            }
        }
        return jobs.map { Job(id: $0.id, payload: $0.payload, deliveries: counts[$0.id] ?? 2) }
    }

    /// Finishes jobs: acknowledged and removed, in one round trip.
    public func acknowledge(_ ids: [String]) async throws(RedisError) {
        guard !ids.isEmpty else { return }
        let idBytes = ids.map { Array($0.utf8) }
        let results = try await client.pipeline([
            [Array("XACK".utf8), Array(key.utf8), Array(group.utf8)] + idBytes,
            [Array("XDEL".utf8), Array(key.utf8)] + idBytes,
        ])
        for result in results { _ = try result.get() }
    }

    /// Jobs taken and not yet acknowledged.
    public func pendingCount() async throws(RedisError) -> Int {
        let reply = try await client.command("XPENDING", key, group)
        return Int(reply.array?.first?.integer ?? 0)
    }

    private static func job(from entry: RedisReply, deliveries: Int) -> Job? {
        guard let parts = entry.array, parts.count == 2, let id = parts[0].string, let fields = parts[1].array,
            fields.count >= 2, case .bulk(let payload) = fields[1]
        else { return nil }
        return Job(id: id, payload: payload, deliveries: deliveries)
    }
}

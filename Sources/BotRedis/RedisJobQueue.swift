/// A reliable job queue on a Redis Stream with a consumer group.
///
/// Why a stream rather than `BLMOVE` into a processing list: the consumer group keeps, per
/// entry, who took it and when (the pending entries list), so a job taken by a worker that died
/// is still recorded as taken by its consumer name, and the process that takes that name over
/// reads it again with one `XREADGROUP … 0` — no reaper process and no second list that can
/// drift from the first; `XREADGROUP COUNT n` takes n jobs in one round trip and `XACK`
/// finishes n in another. An entry leaves the stream (`XDEL`) only when acknowledged.
public struct RedisJobQueue: Sendable {
    /// One job as taken from the queue.
    public struct Job: Sendable, Equatable {
        /// The stream entry id (`<ms>-<seq>`): acknowledge with it.
        public var id: String
        public var payload: [UInt8]
        /// 1 for a first delivery, 2 for one taken again from the pending list.
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
        return try await read(arguments, deliveries: 1)
    }

    /// The jobs `consumer` took and never acknowledged, after the entry id `after`: what a
    /// process that took over the consumer's name (the previous one died) must finish. An
    /// entry deleted meanwhile comes with an empty payload; acknowledge it.
    public func takeOwnPending(consumer: String, after: String = "0", count: Int) async throws(RedisError) -> [Job] {
        try await read(["XREADGROUP", "GROUP", group, consumer, "COUNT", "\(count)", "STREAMS", key, after], deliveries: 2)
    }

    private func read(_ arguments: [String], deliveries: Int) async throws(RedisError) -> [Job] {
        Self.jobs(in: try await client.command(arguments), deliveries: deliveries)
    }

    /// The entries of an `XREADGROUP` reply of one stream.
    public static func jobs(in reply: RedisReply, deliveries: Int) -> [Job] {
        // [[key, [[id, [field, value]], …]]] or nil when nothing came.
        guard let streams = reply.array, let entries = streams.first?.array?.last?.array else { return [] }
        return entries.compactMap { entry in
            guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { return nil }
            guard let fields = parts[1].array, fields.count >= 2, case .bulk(let payload) = fields[1] else {
                return Job(id: id, payload: [], deliveries: deliveries)
            }
            return Job(id: id, payload: payload, deliveries: deliveries)
        }
    }

    /// Finishes jobs: acknowledged and removed, in one round trip.
    public func acknowledge(_ ids: [String]) async throws(RedisError) {
        guard !ids.isEmpty else { return }
        for result in try await client.pipeline(acknowledgement(of: ids)) { _ = try result.get() }
    }

    /// The commands that finish jobs (`XACK` + `XDEL`), for a caller that sends them in a
    /// pipeline of its own.
    public func acknowledgement(of ids: [String]) -> [[[UInt8]]] {
        let idBytes = ids.map { Array($0.utf8) }
        return [
            [Array("XACK".utf8), Array(key.utf8), Array(group.utf8)] + idBytes,
            [Array("XDEL".utf8), Array(key.utf8)] + idBytes,
        ]
    }

    /// Jobs taken and not yet acknowledged.
    public func pendingCount() async throws(RedisError) -> Int {
        let reply = try await client.command("XPENDING", key, group)
        return Int(reply.array?.first?.integer ?? 0)
    }
}

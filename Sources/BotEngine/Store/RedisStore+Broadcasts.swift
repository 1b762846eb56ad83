import BotRedis
import BotmasterIPC
import BotmasterSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Broadcasts on the Redis server (keys in ``RedisKeys``): the audience a list, the outcomes a
/// bitmap (an eighth of a byte per chat) plus the failures, each outcome one atomic script.
extension RedisStore {
    /// Audience chats written per round trip when a broadcast is made.
    private static let audienceChunk = 1000

    package func createBroadcast(_ draft: BroadcastInfo, audience: BroadcastAudience) async throws(StoreError) -> BroadcastInfo {
        try await mapped { () throws(RedisError) -> BroadcastInfo in
            let chats: [Int64]
            switch audience {
            case .chats(let list): chats = BroadcastRules.distinct(list)
            case .known:
                let replies = try await client.pipeline([command("SMEMBERS", keys.chats), command("SMEMBERS", keys.blocked)])
                let known = try replies[0].get().array?.compactMap { $0.string.flatMap { Int64($0) } } ?? []
                let blocked = Set(try replies[1].get().array?.compactMap { $0.string.flatMap { Int64($0) } } ?? [])
                chats = known.filter { !blocked.contains($0) }.sorted()
            }
            guard let number = try await client.command("INCR", keys.broadcastNext).integer else {
                throw RedisError.wrongType("INCR did not answer a number")
            }
            var info = draft
            info.id = "\(number)"
            info.total = chats.count
            info.state = .queued
            let key = keys.broadcast(info.id)
            var commands: [[[UInt8]]] = [command("DEL", key + ":chats", key + ":done", key + ":failed")]
            var start = 0
            while start < chats.count {
                let end = min(start + Self.audienceChunk, chats.count)
                commands.append([bytes("RPUSH"), bytes(key + ":chats")] + chats[start..<end].map { bytes(String($0)) })
                start = end
            }
            for result in try await client.pipeline(commands) { _ = try result.get() }
            // The hash last, then the index, in a fenced script: a broadcast is listed only once
            // its audience is whole, and never by a worker whose bot another master owns now.
            let fields = ["state", "queued", "cursor", "0", "sent", "0", "blocked", "0", "invalid", "0", "failed", "0"].map(bytes)
            _ = try await RedisScripts.publishBroadcast.run(
                on: client,
                arguments: [bytes(key), bytes(keys.broadcasts), bytes(info.id), bytes("document"), BroadcastRules.document(info)]
                    + fields + fenceArguments)
            try await forgetOldBroadcasts()
            return info
        }
    }

    /// Drops the oldest finished broadcasts beyond the kept number, with their keys.
    private func forgetOldBroadcasts() async throws(RedisError) {
        let ids = (try await client.command("LRANGE", keys.broadcasts, "0", "-1").array ?? []).compactMap(\.string)
        guard ids.count > StoreLimits.keptBroadcasts else { return }
        let states = try await client.pipeline(ids.map { command("HGET", keys.broadcast($0), "state") })
        var excess = ids.count - StoreLimits.keptBroadcasts
        var forgotten: [[[UInt8]]] = []
        for (id, state) in zip(ids, states) where excess > 0 {
            guard let text = try state.get().string, BroadcastState(rawValue: text)?.isFinal == true else { continue }
            forgotten.append([bytes(keys.broadcast(id)), bytes(keys.broadcasts), bytes(id)] + fenceArguments)
            excess -= 1
        }
        for result in try await RedisScripts.forgetBroadcast.runMany(on: client, arguments: forgotten) { _ = try result.get() }
    }

    package func broadcasts() async throws(StoreError) -> [StoredBroadcast] {
        try await mapped { () throws(RedisError) -> [StoredBroadcast] in
            let ids = (try await client.command("LRANGE", keys.broadcasts, "0", "-1").array ?? []).compactMap(\.string)
            let fields = ["document", "state", "cursor", "sent", "blocked", "invalid", "failed", "started_ms", "finished_ms"]
            let replies = try await client.pipeline(ids.map { [bytes("HMGET"), bytes(keys.broadcast($0))] + fields.map(bytes) })
            let decoder = JSONDecoder()
            var stored: [StoredBroadcast] = []
            for reply in replies {
                let values = try reply.get().array ?? []
                guard values.count == fields.count, case .bulk(let document) = values[0],
                    var info = try? decoder.decode(BroadcastInfo.self, from: Data(document))
                else { continue }
                let number = { (index: Int) in values[index].string.flatMap { Int64($0) } }
                info.state = values[1].string.flatMap(BroadcastState.init(rawValue:)) ?? .paused
                info.counts = BroadcastCounts(
                    sent: Int(number(3) ?? 0), blocked: Int(number(4) ?? 0), invalid: Int(number(5) ?? 0), failed: Int(number(6) ?? 0))
                info.startedMs = number(7)
                info.finishedMs = number(8)
                stored.append(StoredBroadcast(info: info, cursor: Int(number(2) ?? 0)))
            }
            return stored
        }
    }

    package func setBroadcastState(_ id: String, to state: BroadcastState, atMs: Int64) async throws(StoreError) -> Bool {
        try await mapped { () throws(RedisError) -> Bool in
            let reply = try await RedisScripts.setBroadcastState.run(
                on: client, arguments: [bytes(keys.broadcast(id)), bytes(state.rawValue), bytes("\(atMs)")] + fenceArguments)
            return reply.integer == 1
        }
    }

    package func broadcastTargets(_ id: String, from: Int, count: Int) async throws(StoreError) -> [BroadcastTarget] {
        try await mapped { () throws(RedisError) -> [BroadcastTarget] in
            let reply = try await RedisScripts.broadcastTargets.run(
                on: client, arguments: [bytes(keys.broadcast(id)), bytes("\(from)"), bytes("\(count)")])
            let flat = reply.array ?? []
            var targets: [BroadcastTarget] = []
            targets.reserveCapacity(flat.count / 2)
            for index in stride(from: 0, to: flat.count - 1, by: 2) {
                guard let chat = flat[index].string.flatMap({ Int64($0) }) else { continue }
                targets.append(BroadcastTarget(position: from + index / 2, chat: chat, done: flat[index + 1].integer == 1))
            }
            return targets
        }
    }

    package func recordBroadcastOutcome(_ id: String, _ outcome: BroadcastOutcome, cursor: Int) async throws(StoreError) {
        let failure =
            outcome.kind == .sent
            ? [] : BotJob.encode(BroadcastFailure(chat: outcome.chat, outcome: outcome.kind, reason: outcome.reason ?? ""))
        try await mapped { () throws(RedisError) in
            _ = try await RedisScripts.recordBroadcastOutcome.run(
                on: client,
                arguments: [
                    bytes(keys.broadcast(id)), bytes("\(outcome.position)"), bytes(outcome.kind.rawValue), failure, bytes("\(cursor)"),
                    bytes(keys.blocked), bytes("\(outcome.chat)"),
                ] + fenceArguments)
        }
    }

    package func broadcastFailures(_ id: String, limit: Int) async throws(StoreError) -> [BroadcastFailure] {
        let flat = try await mapped { () throws(RedisError) in
            try await client.command("HGETALL", keys.broadcast(id) + ":failed").array ?? []
        }
        var entries: [(position: Int, failure: BroadcastFailure)] = []
        let decoder = JSONDecoder()
        for index in stride(from: 0, to: flat.count - 1, by: 2) {
            guard let position = flat[index].string.flatMap({ Int($0) }), case .bulk(let document) = flat[index + 1],
                let failure = try? decoder.decode(BroadcastFailure.self, from: Data(document))
            else { continue }
            entries.append((position, failure))
        }
        return entries.sorted { $0.position < $1.position }.prefix(limit).map(\.failure)
    }
}

import BotRedis
import BotmasterSystem

// Cluster mode: webhook deliveries that a master without this bot's worker relayed through
// Redis (the `relayed` stream). The worker reads them, takes them through its ordinary intake
// and only then removes them, so a delivery the relaying master answered 200 stays in Redis
// until the bot has it.
extension RedisStore {
    /// One relayed delivery: its stream entry and the update's JSON as Telegram sent it.
    package struct RelayedDelivery: Sendable {
        package let entryID: String
        package let body: [UInt8]
    }

    /// The oldest relayed deliveries still in the stream, at most `count`, waiting up to `wait`
    /// for one when there is none. Nothing outside cluster mode.
    package func relayedDeliveries(count: Int, wait: Duration) async throws(StoreError) -> [RelayedDelivery] {
        guard let relayReader else { return [] }
        let reply = try await mapped { () throws(RedisError) in
            try await relayReader.command(
                "XREAD", "COUNT", "\(count)", "BLOCK", "\(max(wait.millisecondsClamped, 1))", "STREAMS", keys.relayed, "0-0")
        }
        return RedisJobQueue.jobs(in: reply, deliveries: 1).map { RelayedDelivery(entryID: $0.id, body: $0.payload) }
    }

    /// Removes deliveries the bot has taken (or that were not updates); fenced, so a worker of
    /// an older epoch removes nothing.
    package func removeRelayed(_ entryIDs: [String]) async throws(StoreError) {
        guard !entryIDs.isEmpty else { return }
        _ = try await mapped { () throws(RedisError) in
            try await RedisScripts.removeRelayed.run(
                on: client, arguments: [Array(keys.relayed.utf8)] + entryIDs.map { Array($0.utf8) } + fenceArguments)
        }
    }
}

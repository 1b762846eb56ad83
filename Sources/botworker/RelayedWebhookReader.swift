import BotAPI
import BotEngine
import BotmasterIPC
import Logging

/// Cluster mode, webhook bots: takes the deliveries other masters relayed through Redis (a
/// load balancer may send a bot's webhook to any member) through the engine's ordinary intake,
/// oldest first, and removes each from Redis only once the engine has it. While the engine
/// cannot take updates (store away, draining, too much in hand), they stay where they are.
struct RelayedWebhookReader: Sendable {
    let engine: BotEngine
    let store: RedisStore
    let logger: Logger

    func run() async {
        var failures = 0
        while !Task.isCancelled {
            let deliveries: [RedisStore.RelayedDelivery]
            do {
                deliveries = try await store.relayedDeliveries(count: 100, wait: .seconds(1))
                failures = 0
            } catch {
                failures += 1
                if failures == 1 { logger.warning("cannot read relayed webhook deliveries", metadata: ["error": "\(error)"]) }
                try? await TaskPlacement.sleep(for: StoreRetryDelay.step(afterFailures: failures))
                continue
            }
            guard !deliveries.isEmpty, !Task.isCancelled else { continue }
            if await take(deliveries) == false {
                // The engine cannot take updates now; they wait in Redis.
                try? await TaskPlacement.sleep(for: .milliseconds(250))
            }
        }
    }

    /// Takes `deliveries` and removes from Redis what the engine has; whether it took all.
    private func take(_ deliveries: [RedisStore.RelayedDelivery]) async -> Bool {
        var done: [String] = []
        var updates: [(entry: String, update: Update)] = []
        for delivery in deliveries {
            if let update = try? Update.decode(delivery.body) {
                updates.append((delivery.entryID, update))
            } else {
                // The relaying master read its update_id, so this is rare; the body is not logged.
                logger.warning(
                    "dropping a relayed webhook delivery that is not a Bot API update", metadata: ["entry": "\(delivery.entryID)"])
                done.append(delivery.entryID)
            }
        }
        var tookAll = true
        for (entry, result) in zip(updates, await engine.accept(updates.map(\.update), polled: false)) {
            // From the first update the engine could not keep on, it kept none.
            guard result != .busy else {
                tookAll = false
                break
            }
            done.append(entry.entry)
        }
        // A removal that fails is tried again: what stays would be taken twice (deduplicated,
        // but only within the dedup window).
        var attempts = 0
        while !done.isEmpty {
            do {
                try await store.removeRelayed(done)
                break
            } catch {
                attempts += 1
                if attempts == 1 { logger.warning("cannot remove taken relayed deliveries; retrying", metadata: ["error": "\(error)"]) }
                try? await TaskPlacement.sleep(for: StoreRetryDelay.step(afterFailures: attempts))
            }
        }
        return tookAll
    }
}

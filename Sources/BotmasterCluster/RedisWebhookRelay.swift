import BotRedis
import BotmasterSupervisor
import Logging
import Synchronization

/// Cluster mode's ``WebhookRelay``: a delivery for a bot that runs on another member goes into
/// the bot's `relayed` stream in Redis, in one script that first checks the bot's dedup mark
/// and the stream's bound. The owner's worker reads the stream, takes each delivery through
/// its ordinary intake and only then removes it, so a delivery answered 200 here is in Redis
/// until the bot has it.
public final class RedisWebhookRelay: WebhookRelay {
    private let client: RedisClient
    private let keys: ClusterKeys
    private let logger: Logger
    /// Bots whose queue was full at their last delivery: logged once until it drains.
    private let full = Mutex<Set<String>>([])

    /// A client of its own: deliveries must not queue behind the cluster's renewals, nor they
    /// behind deliveries.
    public init(redis: RedisURL, fleet: String, logger: Logger) {
        client = RedisClient(url: redis)
        keys = ClusterKeys(fleet: fleet)
        self.logger = logger
    }

    public func relay(bot: String, updateID: Int64, body: [UInt8]) async -> WebhookRelayOutcome {
        do {
            let reply = try await ClusterScripts.relay.run(
                on: client,
                arguments: [
                    Array("\(keys.prefix)\(bot):".utf8), Array("\(updateID)".utf8), body, Array("\(WebhookRelayLimits.maximumQueued)".utf8),
                ])
            let outcome: WebhookRelayOutcome =
                switch reply.string {
                case "queued": .queued
                case "duplicate": .duplicate
                case "full": .full
                default: .failed
                }
            let newlyFull = full.withLock { bots -> Bool in
                guard outcome == .full else {
                    bots.remove(bot)
                    return false
                }
                return bots.insert(bot).inserted
            }
            if newlyFull {
                logger.warning(
                    "a bot's relayed webhook deliveries are not being taken; answering 503 until its owner catches up",
                    metadata: ["bot": "\(bot)", "queued": "\(WebhookRelayLimits.maximumQueued)"])
            }
            return outcome
        } catch {
            logger.warning("cannot relay a webhook delivery through Redis", metadata: ["bot": "\(bot)", "error": "\(error)"])
            return .failed
        }
    }
}

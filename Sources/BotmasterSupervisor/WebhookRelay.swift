/// Cluster mode: how a master hands a webhook delivery for a bot whose worker does not run here
/// (another member owns it, or it is between owners) to that bot's owner, through the bot's
/// queue of relayed deliveries in Redis. The owner's worker takes them from there through its
/// ordinary intake.
public protocol WebhookRelay: Sendable {
    /// Queues `body` (a delivery whose `update_id` is `updateID`) for `bot`; the answer comes
    /// only once Redis has it.
    func relay(bot: String, updateID: Int64, body: [UInt8]) async -> WebhookRelayOutcome
}

/// What became of a relayed delivery.
public enum WebhookRelayOutcome: Sendable, Equatable {
    /// In the bot's queue: answer 200.
    case queued
    /// The bot has taken this update already (its dedup mark is set): answer 200.
    case duplicate
    /// The queue holds ``WebhookRelayLimits/maximumQueued`` deliveries its owner has not taken
    /// (it is down or far behind): answer 503, Telegram delivers again later.
    case full
    /// Redis did not answer: 503.
    case failed
}

/// Bounds of the relayed-delivery queue.
public enum WebhookRelayLimits {
    /// Deliveries a bot's queue holds before further ones get 503.
    public static let maximumQueued = 10_000
}

import Synchronization

/// Per-bot counters of the webhook endpoint (`GET /webhook/stats`).
public final class WebhookStats: Sendable {
    /// One bot's counters.
    public struct Counters: Codable, Sendable, Equatable {
        /// Answered 200: the worker took the update (or had it already).
        public var accepted = 0
        public var duplicates = 0
        /// 401: missing or wrong secret.
        public var unauthorized = 0
        /// 503: worker down, busy or too slow; Telegram redelivers.
        public var unavailable = 0
        /// 400: not a JSON object.
        public var invalid = 0
        /// 413: over the body limit.
        public var tooLarge = 0
        /// 403: source address outside the allowlist.
        public var forbidden = 0

        enum CodingKeys: String, CodingKey {
            case accepted, duplicates, unauthorized, unavailable, invalid, forbidden
            case tooLarge = "too_large"
        }
    }

    private let table = Mutex<[String: Counters]>([:])

    public init() {}

    func count(_ bot: String, _ change: (inout Counters) -> Void) {
        table.withLock { change(&$0[bot, default: Counters()]) }
    }

    /// Every bot that received a request, with its counters.
    public var snapshot: [String: Counters] { table.withLock { $0 } }
}

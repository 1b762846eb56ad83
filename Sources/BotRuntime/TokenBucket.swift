import BotmasterSystem

/// A token bucket: `rate` sends per second on average, bursts of up to `burst`. Returns how
/// long to wait rather than sleeping, so the caller decides how to wait.
public struct TokenBucket: Sendable, Equatable {
    /// Sends per second.
    public var rate: Double
    /// Most sends at once after a quiet spell.
    public var burst: Double
    private var tokens: Double
    private var updatedAt: MonotonicTime

    public init(rate: Double, burst: Double? = nil, now: MonotonicTime) {
        self.rate = max(rate, 0.001)
        self.burst = max(burst ?? max(rate, 1), 1)
        self.tokens = self.burst
        self.updatedAt = now
    }

    /// How long until a token is there (`.zero`: there is one now), taking nothing.
    public mutating func wait(now: MonotonicTime) -> Duration {
        refill(now: now)
        return tokens >= 1 ? .zero : .nanoseconds(Int64(((1 - tokens) / rate * 1e9).rounded(.up)))
    }

    /// Takes one token if there is one (returns `.zero`), or says how long until there is.
    public mutating func take(now: MonotonicTime) -> Duration {
        let wait = wait(now: now)
        if wait == .zero { tokens -= 1 }
        return wait
    }

    private mutating func refill(now: MonotonicTime) {
        guard now > updatedAt else { return }
        tokens = min(burst, tokens + Double((now - updatedAt).nanosecondsClamped) / 1e9 * rate)
        updatedAt = now
    }
}

/// The outgoing rate limits of one bot: a bot-wide bucket (Telegram allows about 30 messages a
/// second) and a bucket per chat (about 1 a second), plus the Bot API's own word: a 429 with
/// `retry_after` pauses every send exactly that long and halves the bot-wide rate, which then
/// recovers by a tenth of the configured rate every `recoveryStep` without another 429.
public struct OutgoingRateLimiter: Sendable {
    public private(set) var configuredRate: Double
    public var perChatRate: Double
    /// How often the lowered rate steps back up.
    public var recoveryStep: Duration = .seconds(10)

    private var bot: TokenBucket
    /// A broadcast's own pace: its rate, at most ``broadcastShare`` of the bot-wide rate in force.
    private var broadcast: TokenBucket
    /// What the running broadcast asked for, in sends per second.
    public private(set) var broadcastRate: Double
    /// The most of the bot-wide rate a broadcast may take.
    public private(set) var broadcastShare: Double
    private var chats: [Int64: TokenBucket] = [:]
    private var pausedUntil: MonotonicTime?
    private var lastAdjustment: MonotonicTime
    /// 429s obeyed so far.
    public private(set) var throttledCount: UInt64 = 0

    public init(
        perSecond: Double = 30, perChatPerSecond: Double = 1, broadcastPerSecond: Double = 25, broadcastShare: Double = 0.9,
        now: MonotonicTime
    ) {
        configuredRate = perSecond
        perChatRate = perChatPerSecond
        bot = TokenBucket(rate: perSecond, now: now)
        broadcastRate = broadcastPerSecond
        self.broadcastShare = broadcastShare
        broadcast = Self.broadcastBucket(rate: min(broadcastPerSecond, broadcastShare * perSecond), now: now)
        lastAdjustment = now
    }

    /// A broadcast's bucket: bursts of a tenth of a second's sends, so it keeps an even pace.
    private static func broadcastBucket(rate: Double, now: MonotonicTime) -> TokenBucket {
        TokenBucket(rate: rate, burst: max(rate / 10, 1), now: now)
    }

    /// The rate a broadcast may send at now: its own, within its share of the bot-wide rate
    /// (which a 429 lowers, so a 429 slows broadcasts and replies alike).
    public var broadcastRateInForce: Double { min(broadcastRate, broadcastShare * bot.rate) }

    /// The bot-wide rate in force now (lower than configured after a 429).
    public var currentRate: Double { bot.rate }

    /// How long to wait before sending to `chatID`; `.zero` means send now (a token is taken).
    public mutating func delay(chatID: Int64, now: MonotonicTime) -> Duration {
        recover(now: now)
        if let until = pausedUntil {
            if now < until { return until - now }
            pausedUntil = nil
        }
        var chat = chats[chatID] ?? TokenBucket(rate: perChatRate, burst: 1, now: now)
        let wait = max(chat.wait(now: now), bot.wait(now: now))
        if wait == .zero {
            _ = chat.take(now: now)
            _ = bot.take(now: now)
        }
        // Buckets of chats quiet for a second are full again: forgetting them loses nothing.
        if chats.count >= 10_000 { chats.removeAll(keepingCapacity: true) }
        chats[chatID] = chat
        return wait
    }

    /// How long before a broadcast may send to `chatID`; `.zero` means send now (tokens are
    /// taken from the bot's bucket and the broadcast's, and the chat's if it has one). Replies have no such
    /// bound: the broadcast's share leaves them room, and the sender lets a waiting reply go
    /// first.
    public mutating func broadcastDelay(chatID: Int64, now: MonotonicTime) -> Duration {
        recover(now: now)
        if let until = pausedUntil {
            if now < until { return until - now }
            pausedUntil = nil
        }
        let allowed = broadcastRateInForce
        if broadcast.rate != max(allowed, 0.001) { broadcast = Self.broadcastBucket(rate: allowed, now: now) }
        let wait = max(bot.wait(now: now), broadcast.wait(now: now))
        guard wait == .zero else { return wait }
        _ = bot.take(now: now)
        _ = broadcast.take(now: now)
        // Each chat gets one message, so the broadcast does not wait on a chat's own limit
        // (one chat just answered would hold up the whole broadcast); it takes the chat's
        // token, so a reply right after it waits its second.
        var chat = chats[chatID] ?? TokenBucket(rate: perChatRate, burst: 1, now: now)
        _ = chat.take(now: now)
        if chats.count >= 10_000 { chats.removeAll(keepingCapacity: true) }
        chats[chatID] = chat
        return .zero
    }

    /// Sets the running broadcast's rate (each broadcast may name its own).
    public mutating func setBroadcast(rate: Double, share: Double, now: MonotonicTime) {
        guard rate != broadcastRate || share != broadcastShare else { return }
        broadcastRate = rate
        broadcastShare = share
        broadcast = Self.broadcastBucket(rate: broadcastRateInForce, now: now)
    }

    /// The Bot API answered 429 with `retry_after`: pause exactly that long, halve the rate.
    /// The 429s of calls that were already on their way when the first came (a broadcast has
    /// several in flight) extend the pause but lower the rate only once.
    public mutating func throttled(retryAfter: Duration, now: MonotonicTime) {
        throttledCount += 1
        let alreadyPaused = pausedUntil.map { now < $0 } ?? false
        pausedUntil = max(pausedUntil ?? now, now + retryAfter)
        guard !alreadyPaused else { return }
        bot = TokenBucket(rate: max(bot.rate / 2, 0.5), burst: 1, now: now)
        lastAdjustment = now
    }

    /// Applies a new configuration (live reload).
    public mutating func reconfigure(perSecond: Double, perChatPerSecond: Double, now: MonotonicTime) {
        configuredRate = perSecond
        perChatRate = perChatPerSecond
        bot = TokenBucket(rate: min(bot.rate, perSecond), now: now)
        chats.removeAll()
    }

    private mutating func recover(now: MonotonicTime) {
        guard bot.rate < configuredRate, now - lastAdjustment >= recoveryStep else { return }
        lastAdjustment = now
        bot = TokenBucket(rate: min(configuredRate, bot.rate + configuredRate / 10), now: now)
    }
}

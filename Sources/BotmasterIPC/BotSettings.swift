/// A bot's runtime settings as they travel from master to worker: in the welcome's and the
/// config frame's `settings` object. Durations are whole milliseconds. For a bot defined in
/// `workers/` the token never travels here, only where to read it (`token_env` or
/// `token_file`); a bot from the HTTP fleet source has no such place, so its token travels in
/// `token` (the pipe is private to master and worker; the token is never written to disk).
public struct BotSettings: Codable, Sendable, Equatable {
    /// Where updates come from.
    public enum Mode: String, Codable, Sendable, Equatable {
        case polling, webhook
    }

    /// Name of the environment variable that holds the token.
    public var tokenEnv: String?
    /// Path of a file whose first line is the token.
    public var tokenFile: String?
    /// The token itself, for a bot from the HTTP fleet source; `nil` for every other bot.
    public var token: SecretText?
    public var mode: Mode
    /// Base URL of the Bot API (`https://api.telegram.org`, or a sandbox).
    public var apiBase: String
    public var batch: Batch
    public var dedup: Dedup
    public var rate: Rate
    public var handler: Handler
    public var retry: Retry
    public var handoff: Handoff
    /// Where the bot keeps its state, when its file says (`store = "sqlite"`); `nil` follows
    /// the fleet's default (see ``Store/resolve(_:environment:)``).
    public var store: Store?

    public init(
        tokenEnv: String? = nil, tokenFile: String? = nil, mode: Mode = .polling, apiBase: String = BotSettings.telegramAPIBase,
        batch: Batch = Batch(), dedup: Dedup = Dedup(), rate: Rate = Rate(), handler: Handler = Handler(),
        retry: Retry = Retry(), handoff: Handoff = Handoff(), store: Store? = nil
    ) {
        self.store = store
        self.tokenEnv = tokenEnv
        self.tokenFile = tokenFile
        self.mode = mode
        self.apiBase = apiBase
        self.batch = batch
        self.dedup = dedup
        self.rate = rate
        self.handler = handler
        self.retry = retry
        self.handoff = handoff
    }

    /// The public Telegram Bot API.
    public static let telegramAPIBase = "https://api.telegram.org"

    /// Rapid-fire batching: flush a chat's messages when it was quiet for `quietMs`, at
    /// `maxMessages`, or when the first message is `maxWaitMs` old.
    public struct Batch: Codable, Sendable, Equatable {
        public var quietMs: Int
        public var maxMessages: Int
        public var maxWaitMs: Int

        public init(quietMs: Int = 5000, maxMessages: Int = 10, maxWaitMs: Int = 15000) {
            self.quietMs = quietMs
            self.maxMessages = maxMessages
            self.maxWaitMs = maxWaitMs
        }

        enum CodingKeys: String, CodingKey {
            case quietMs = "quiet_ms", maxMessages = "max_messages", maxWaitMs = "max_wait_ms"
        }
    }

    /// Duplicate suppression window and its memory bound.
    public struct Dedup: Codable, Sendable, Equatable {
        public var windowMs: Int
        public var maxEntries: Int

        public init(windowMs: Int = 30000, maxEntries: Int = 10000) {
            self.windowMs = windowMs
            self.maxEntries = maxEntries
        }

        enum CodingKeys: String, CodingKey {
            case windowMs = "window_ms", maxEntries = "max_entries"
        }
    }

    /// Outgoing message rates.
    public struct Rate: Codable, Sendable, Equatable {
        public var perSecond: Double
        public var perChatPerSecond: Double
        /// A broadcast's sends per second unless the broadcast names its own rate (Telegram's
        /// free limit is about 30 a second per bot; paid broadcasts up to 1,000).
        public var broadcastPerSecond: Double
        /// The most of the bot-wide rate (``perSecond``, lowered after a 429) a broadcast may
        /// use: the rest stays for replies, which also go first whenever one waits.
        public var broadcastShare: Double

        public init(perSecond: Double = 30, perChatPerSecond: Double = 1, broadcastPerSecond: Double = 25, broadcastShare: Double = 0.9) {
            self.perSecond = perSecond
            self.perChatPerSecond = perChatPerSecond
            self.broadcastPerSecond = broadcastPerSecond
            self.broadcastShare = broadcastShare
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = Rate()
            perSecond = try container.decodeIfPresent(Double.self, forKey: .perSecond) ?? defaults.perSecond
            perChatPerSecond = try container.decodeIfPresent(Double.self, forKey: .perChatPerSecond) ?? defaults.perChatPerSecond
            broadcastPerSecond = try container.decodeIfPresent(Double.self, forKey: .broadcastPerSecond) ?? defaults.broadcastPerSecond
            broadcastShare = try container.decodeIfPresent(Double.self, forKey: .broadcastShare) ?? defaults.broadcastShare
        }

        enum CodingKeys: String, CodingKey {
            case perSecond = "per_second", perChatPerSecond = "per_chat_per_second"
            case broadcastPerSecond = "broadcast_per_second", broadcastShare = "broadcast_share"
        }
    }

    /// What turns a batch into a reply.
    public struct Handler: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable, Equatable {
            case echo, http, command
        }

        public var kind: Kind
        /// The backend for `http`.
        public var url: String?
        /// How long an `http` or `command` handler may take.
        public var timeoutMs: Int
        /// The program for `command`.
        public var argv: [String]?
        /// Chats handled in parallel.
        public var concurrency: Int

        public init(kind: Kind = .echo, url: String? = nil, timeoutMs: Int = 10000, argv: [String]? = nil, concurrency: Int = 20) {
            self.kind = kind
            self.url = url
            self.timeoutMs = timeoutMs
            self.argv = argv
            self.concurrency = concurrency
        }

        enum CodingKeys: String, CodingKey {
            case kind, url, argv, concurrency
            case timeoutMs = "timeout_ms"
        }
    }

    /// Retries of a failed job.
    public struct Retry: Codable, Sendable, Equatable {
        public var maxAttempts: Int
        public var baseDelayMs: Int
        public var maxDelayMs: Int

        public init(maxAttempts: Int = 3, baseDelayMs: Int = 500, maxDelayMs: Int = 30000) {
            self.maxAttempts = maxAttempts
            self.baseDelayMs = baseDelayMs
            self.maxDelayMs = maxDelayMs
        }

        enum CodingKeys: String, CodingKey {
            case maxAttempts = "max_attempts", baseDelayMs = "base_delay_ms", maxDelayMs = "max_delay_ms"
        }
    }

    /// Handing a chat to a human operator.
    public struct Handoff: Codable, Sendable, Equatable {
        /// Where the user's messages go while the chat is handed off; `nil` disables handoff.
        public var operatorChatID: Int64?
        public var startCommand: String
        public var stopCommand: String

        public init(operatorChatID: Int64? = nil, startCommand: String = "/operator", stopCommand: String = "/release") {
            self.operatorChatID = operatorChatID
            self.startCommand = startCommand
            self.stopCommand = stopCommand
        }

        enum CodingKeys: String, CodingKey {
            case operatorChatID = "operator_chat_id", startCommand = "start_command", stopCommand = "stop_command"
        }
    }

    enum CodingKeys: String, CodingKey {
        case tokenEnv = "token_env", tokenFile = "token_file", token, mode, apiBase = "api_base"
        case batch, dedup, rate, handler, retry, handoff, store
    }

    /// Whether moving from `self` to `other` needs a new process: the token, the mode, the API
    /// and the store are fixed for a process's life; everything else applies live.
    public func needsRestart(toApply other: BotSettings) -> Bool {
        tokenEnv != other.tokenEnv || tokenFile != other.tokenFile || token != other.token || mode != other.mode || apiBase != other.apiBase
            || store != other.store
    }

    /// Where a bot keeps its state.
    public enum Store: String, Codable, Sendable, Equatable, CaseIterable {
        /// An SQLite database per bot under the home's `run/store/`: durable, no server. The default.
        case sqlite
        /// A Redis server (`REDIS_URL`): durable, shared by several hosts.
        case redis
        /// The worker's memory: lost when the worker stops. For tests and benchmarks only.
        case memory

        /// The store a bot uses: its own `store` key; else `BOTMASTER_STORE`; else Redis when
        /// `REDIS_URL` is set (non-empty); else SQLite. `environment` is what the bot's worker
        /// sees (the master's environment under the bot's own `env`), so a bot's empty
        /// `env.REDIS_URL` keeps it off a fleet-wide Redis.
        public static func resolve(_ own: Store?, environment: [String: String]) -> Store {
            choose(own, environment: environment).store
        }

        /// ``resolve(_:environment:)`` with what decided it: `store` (the bot's own key),
        /// `BOTMASTER_STORE`, `REDIS_URL` or `default`, as `botmaster describe` names it.
        public static func choose(_ own: Store?, environment: [String: String]) -> (store: Store, decidedBy: String) {
            if let own { return (own, "store") }
            if let text = environment["BOTMASTER_STORE"], let fleet = Store(rawValue: text) { return (fleet, "BOTMASTER_STORE") }
            if let url = environment["REDIS_URL"], !url.isEmpty { return (.redis, "REDIS_URL") }
            return (.sqlite, "default")
        }
    }

    /// These settings as the `settings` object of a welcome or config frame.
    public var jsonObject: [String: JSONValue] {
        // Round trip through the encoder so the keys are exactly the Codable ones.
        let bytes = JSONPayload.encode(self)
        let frame = Frame(type: .config, payload: bytes)
        return (try? JSONPayload.decode([String: JSONValue].self, from: frame)) ?? [:]
    }

    /// Reads settings from a welcome's or config frame's `settings` object; `nil` when the object
    /// carries no bot (a plain worker), an error when it carries a malformed one.
    public init?(settingsObject: [String: JSONValue]) throws(ProtocolError) {
        guard !settingsObject.isEmpty else { return nil }
        let frame = Frame(type: .config, payload: JSONPayload.encode(settingsObject))
        self = try JSONPayload.decode(BotSettings.self, from: frame)
    }
}

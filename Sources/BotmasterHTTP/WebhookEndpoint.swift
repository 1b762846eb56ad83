import BotmasterConfig
import BotmasterIPC
import BotmasterSupervisor
import HTTPTypes
import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What every webhook connection shares: the routes, the acks, the secret and the limits. Its
/// decisions are plain functions of a request's parts, so the channel handler stays a thin
/// state machine and the rules are tested without sockets.
struct WebhookEndpoint: Sendable {
    static let secretHeader = HTTPField.Name("X-Telegram-Bot-Api-Secret-Token")!

    let routes: WebhookRoutes
    let acks: WebhookAcks
    let stats: WebhookStats
    let relay: (any WebhookRelay)?
    let secret: [UInt8]
    /// The largest body taken, in bytes (`WEBHOOK_MAX_BODY`).
    let maximumBody: Int
    /// How long a delivery waits for its worker's ack before it is answered 503.
    let acknowledgementTimeout: Duration

    init(settings: WebhookSettings, routes: WebhookRoutes, acks: WebhookAcks, stats: WebhookStats, relay: (any WebhookRelay)?) {
        self.routes = routes
        self.acks = acks
        self.stats = stats
        self.relay = relay
        self.secret = Array((settings.secret ?? "").utf8)
        self.maximumBody = settings.maximumBodyBytes
        self.acknowledgementTimeout = settings.acknowledgementTimeout
    }

    /// What a request's head decides.
    enum Admission: Equatable {
        /// Read the body, then deliver it to `bot` by `target`.
        case readBody(bot: String, target: WebhookRoutes.Target)
        /// Answer this without reading the body (which is read and dropped).
        case answer(WebhookAnswer)
    }

    /// The checks a head allows before any body is read: the path and method, then the secret
    /// (a request without it costs no route lookup and no counter keyed by a name the caller
    /// chose), then the route.
    func admit(_ head: HTTPRequest) -> Admission {
        guard let bot = Self.botID(inPath: head.path ?? "") else { return .answer(.noRoute(.notFound)) }
        guard head.method == .post else { return .answer(.noRoute(.methodNotAllowed)) }
        let offered = head.headerFields[Self.secretHeader].map { Array($0.utf8) } ?? []
        guard ConstantTime.equals(offered, secret) else {
            stats.countUnauthorized()
            return .answer(.wrongSecret)
        }
        let target = routes.target(for: bot)
        switch target {
        case .unknownBot: return .answer(.unknownBot)
        case .pollingBot: return .answer(.pollingBot)
        case .unavailable, .ready, .relayed: return .readBody(bot: bot, target: target)
        }
    }

    /// `hook` for `/webhook/hook` (a trailing slash or a query allowed); nil for any other path.
    static func botID(inPath path: String) -> String? {
        let withoutQuery = path.utf8.firstIndex(of: UInt8(ascii: "?")).map { path[..<$0] } ?? path[...]
        let segments = withoutQuery.split(separator: "/", omittingEmptySubsequences: true)
        guard segments.count == 2, segments[0] == "webhook" else { return nil }
        return String(segments[1])
    }

    /// The body grew past the limit.
    func tooLarge(_ bot: String) -> WebhookAnswer {
        stats.count(bot) { $0.tooLarge += 1 }
        return .tooLarge(maximum: maximumBody)
    }

    /// The answer for a complete body that cannot go to a worker here, or nil when it can
    /// (`.ready`: hand it over and wait for the ack; `.relayed`: relay it).
    func refusal(_ body: ByteBuffer, bot: String, target: WebhookRoutes.Target) -> WebhookAnswer? {
        guard Self.looksLikeJSONObject(body) else {
            stats.count(bot) { $0.invalid += 1 }
            return .notJSONObject
        }
        switch target {
        case .ready: return nil
        case .relayed where relay != nil: return nil
        case .relayed, .unavailable, .unknownBot, .pollingBot:
            stats.count(bot) { $0.unavailable += 1 }
            return .workerNotRunning
        }
    }

    /// The answer for what the worker (or the wait for it) said.
    func answer(_ outcome: WebhookAcks.Outcome, bot: String) -> WebhookAnswer {
        switch outcome {
        case .acknowledged(.accepted):
            stats.count(bot) { $0.accepted += 1 }
            return .taken
        case .acknowledged(.duplicate):
            stats.count(bot) { $0.duplicates += 1 }
            return .taken
        case .acknowledged(.invalid):
            stats.count(bot) { $0.invalid += 1 }
            return .notUpdate
        case .acknowledged(.busy), .workerGone, .timedOut:
            stats.count(bot) { $0.unavailable += 1 }
            return .workerCannotTake
        }
    }

    /// Hands `body` to the worker behind `channel` and calls `completion` once with the answer:
    /// on the worker channel's event loop when the worker answers or the wait times out, at
    /// once when the write fails.
    func deliver(
        _ body: ByteBuffer, bot: String, to channel: any Channel, completion: @escaping @Sendable (WebhookAnswer) -> Void
    ) {
        let acks = acks
        let requestID = acks.makeRequestID()
        let frame = WebhookUpdate.frameBuffer(requestID: requestID, body: body, allocator: channel.allocator)
        acks.request(
            requestID, bot: bot, timeout: acknowledgementTimeout, on: channel.eventLoop,
            send: {
                // A channel that closed since the lookup fails the write: answer 503 at once.
                channel.writeAndFlush(frame).whenFailure { _ in acks.resolve(requestID, .workerGone) }
            },
            completion: { outcome in completion(answer(outcome, bot: bot)) })
    }

    /// Cluster mode: hands a delivery to the bot's owner through Redis. The update's id is read
    /// here (a redelivery the bot has taken already is answered at once); the owner's worker
    /// parses the rest.
    func relayed(_ body: ByteBuffer, bot: String) async -> WebhookAnswer {
        let bytes = Array(body.readableBytesView)
        guard let relay, let identity = try? JSONDecoder().decode(UpdateIdentity.self, from: Data(bytes)) else {
            stats.count(bot) { $0.invalid += 1 }
            return .notUpdate
        }
        switch await relay.relay(bot: bot, updateID: identity.updateID, body: bytes) {
        case .queued:
            stats.count(bot) { $0.relayed += 1 }
            return .taken
        case .duplicate:
            stats.count(bot) { $0.duplicates += 1 }
            return .taken
        case .full, .failed:
            stats.count(bot) { $0.unavailable += 1 }
            return .cannotRelay
        }
    }

    /// The one field of an update a relaying master reads.
    struct UpdateIdentity: Decodable {
        let updateID: Int64
        enum CodingKeys: String, CodingKey { case updateID = "update_id" }
    }

    /// A cheap first check; the worker parses the update itself.
    static func looksLikeJSONObject(_ body: ByteBuffer) -> Bool {
        let bytes = body.readableBytesView
        guard let first = bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
            let last = bytes.last(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 })
        else { return false }
        return first == UInt8(ascii: "{") && last == UInt8(ascii: "}")
    }
}

import BotmasterConfig
import BotmasterIPC
import BotmasterSupervisor
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `POST /webhook/<bot id>`: Telegram's deliveries, handed to the bot's worker over its pipe.
///
/// The answer waits for the worker: 200 only once it has taken the update, 503 when it is down,
/// busy or silent (Telegram then delivers again), so an update is never acknowledged and lost.
/// A bot the fleet defines but has not started (yet) answers 503 too, never 404. In cluster
/// mode a delivery for a bot whose worker does not run here is relayed to its owner through
/// Redis (``WebhookRelay``) and answered 200 once Redis has it.
public enum WebhookServer {
    static let secretHeader = HTTPField.Name("X-Telegram-Bot-Api-Secret-Token")!

    static func router(
        routes: WebhookRoutes, acks: WebhookAcks, settings: WebhookSettings, stats: WebhookStats, relay: (any WebhookRelay)?
    ) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let secret = Array((settings.secret ?? "").utf8)
        let maximumBody = settings.maximumBodyBytes
        let acknowledgementTimeout = settings.acknowledgementTimeout
        router.post("/webhook/:bot") { request, context -> Response in
            let bot = try context.parameters.require("bot")
            // The secret first: a request without it costs no lookup, no body read, no counter
            // keyed by a name the caller chose.
            let offered = Array((request.headers[secretHeader] ?? "").utf8)
            guard ConstantTime.equals(offered, secret) else {
                stats.countUnauthorized()
                return JSONResponses.error(.unauthorized, "missing or wrong X-Telegram-Bot-Api-Secret-Token")
            }
            let target = routes.target(for: bot)
            switch target {
            case .unknownBot:
                return JSONResponses.error(.notFound, "unknown bot")
            case .pollingBot:
                return JSONResponses.error(.notFound, "this bot polls; it takes no webhook deliveries")
            case .unavailable, .ready, .relayed:
                break
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maximumBody)
            } catch {
                stats.count(bot) { $0.tooLarge += 1 }
                return JSONResponses.error(.contentTooLarge, "body over \(maximumBody) bytes")
            }
            guard Self.looksLikeJSONObject(body) else {
                stats.count(bot) { $0.invalid += 1 }
                return JSONResponses.error(.badRequest, "body is not a JSON object")
            }
            if case .relayed = target, let relay {
                return await relayed(body, bot: bot, relay: relay, stats: stats)
            }
            guard case .ready(let channel) = target else {
                stats.count(bot) { $0.unavailable += 1 }
                return JSONResponses.error(.serviceUnavailable, "bot worker is not running", headers: [.retryAfter: "1"])
            }
            let requestID = acks.makeRequestID()
            let frame = WebhookUpdate.frameBuffer(requestID: requestID, body: body, allocator: channel.allocator)
            let outcome = await acks.wait(for: requestID, bot: bot, timeout: acknowledgementTimeout, on: channel.eventLoop) {
                // A channel that closed since the lookup fails the write: answer 503 at once.
                channel.writeAndFlush(frame).whenFailure { _ in
                    acks.resolve(requestID, .workerGone)
                }
            }
            switch outcome {
            case .acknowledged(.accepted):
                stats.count(bot) { $0.accepted += 1 }
                return Response(status: .ok)
            case .acknowledged(.duplicate):
                stats.count(bot) { $0.duplicates += 1 }
                return Response(status: .ok)
            case .acknowledged(.invalid):
                stats.count(bot) { $0.invalid += 1 }
                return JSONResponses.error(.badRequest, "body is not a Bot API Update")
            case .acknowledged(.busy), .workerGone, .timedOut:
                stats.count(bot) { $0.unavailable += 1 }
                return JSONResponses.error(.serviceUnavailable, "bot worker cannot take updates now", headers: [.retryAfter: "1"])
            }
        }
        return router
    }

    /// Cluster mode: hands a delivery to the bot's owner through Redis. The update's id is read
    /// here (a redelivery the bot has taken already is answered at once); the owner's worker
    /// parses the rest.
    static func relayed(_ body: ByteBuffer, bot: String, relay: any WebhookRelay, stats: WebhookStats) async -> Response {
        let bytes = Array(body.readableBytesView)
        guard let identity = try? JSONDecoder().decode(UpdateIdentity.self, from: Data(bytes)) else {
            stats.count(bot) { $0.invalid += 1 }
            return JSONResponses.error(.badRequest, "body is not a Bot API Update")
        }
        switch await relay.relay(bot: bot, updateID: identity.updateID, body: bytes) {
        case .queued:
            stats.count(bot) { $0.relayed += 1 }
            return Response(status: .ok)
        case .duplicate:
            stats.count(bot) { $0.duplicates += 1 }
            return Response(status: .ok)
        case .full, .failed:
            stats.count(bot) { $0.unavailable += 1 }
            return JSONResponses.error(.serviceUnavailable, "cannot relay the update to the bot's owner now", headers: [.retryAfter: "1"])
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

    /// The endpoint as a `Service`, with TLS when a certificate and key are configured.
    /// - Parameter maximumConnections: the connections held at once, already lowered to what
    ///   the master's file-descriptor budget leaves after supervision's reserve.
    /// - Parameter relay: cluster mode's way to the owners of bots that do not run here.
    public static func application(
        settings: WebhookSettings, routes: WebhookRoutes, acks: WebhookAcks, stats: WebhookStats, relay: (any WebhookRelay)? = nil,
        maximumConnections: Int, eventLoopGroup: any EventLoopGroup, logger: Logger
    ) throws -> some Service {
        let readTimeout = TimeAmount(settings.readTimeout)
        let connections = stats.connections
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [WebhookConnectionGuard(connections: connections, readTimeout: readTimeout)],
            idleTimeout: TimeAmount(settings.idleTimeout))
        var server: HTTPServerBuilder = .http1(configuration: http1)
        if let certificate = settings.certificatePath, let key = settings.privateKeyPath {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            server = try .tls(.http1(configuration: http1), tlsConfiguration: tls)
        }
        return Application(
            router: router(routes: routes, acks: acks, settings: settings, stats: stats, relay: relay),
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(settings.bind, port: settings.port), serverName: "botmaster",
                availableConnectionsDelegate: MaximumAvailableConnections(maximumConnections, logger: logger)),
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
    }
}

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

/// `POST /webhook/<bot id>`: Telegram's deliveries, handed to the bot's worker over its pipe.
///
/// The answer waits for the worker: 200 only once it has taken the update, 503 when it is down,
/// busy or silent (Telegram then delivers again), so an update is never acknowledged and lost.
public enum WebhookServer {
    static let secretHeader = HTTPField.Name("X-Telegram-Bot-Api-Secret-Token")!

    static func router(
        supervisor: Supervisor, settings: WebhookSettings, stats: WebhookStats
    ) -> Router<WebhookRequestContext> {
        let router = Router(context: WebhookRequestContext.self)
        let secret = Array((settings.secret ?? "").utf8)
        let allowlist = NetworkAllowlist(settings.allowedNetworks)
        let acks = supervisor.webhookAcks
        let maximumBody = settings.maximumBodyBytes
        let acknowledgementTimeout = settings.acknowledgementTimeout
        router.post("/webhook/:bot") { request, context -> Response in
            let bot = try context.parameters.require("bot")
            if let allowlist, !settings.allowedNetworks.isEmpty {
                guard let address = context.remoteAddress?.ipAddress, allowlist.allows(address) else {
                    stats.count(bot) { $0.forbidden += 1 }
                    return JSONResponses.error(.forbidden, "source address not allowed")
                }
            }
            let target = await supervisor.webhookTarget(for: bot)
            if case .unknownBot = target { return JSONResponses.error(.notFound, "unknown bot") }
            let offered = Array((request.headers[secretHeader] ?? "").utf8)
            guard ConstantTime.equals(offered, secret) else {
                stats.count(bot) { $0.unauthorized += 1 }
                return JSONResponses.error(.unauthorized, "missing or wrong X-Telegram-Bot-Api-Secret-Token")
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
            guard case .ready(let channel) = target else {
                stats.count(bot) { $0.unavailable += 1 }
                return JSONResponses.error(.serviceUnavailable, "bot worker is not running", headers: [.retryAfter: "1"])
            }
            let requestID = acks.makeRequestID()
            let frame = WebhookUpdate(requestID: requestID, body: Array(body.readableBytesView)).frame()
            let outcome = await acks.wait(for: requestID, bot: bot, timeout: acknowledgementTimeout) {
                // A channel that closed since the lookup fails the write: answer 503 at once.
                channel.writeAndFlush(ByteBuffer(bytes: frame.encoded())).whenFailure { _ in
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
        router.get("/webhook/stats") { _, _ in JSONResponses.json(stats.snapshot) }
        return router
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
    public static func application(
        settings: WebhookSettings, supervisor: Supervisor, stats: WebhookStats, eventLoopGroup: any EventLoopGroup, logger: Logger
    ) throws -> some Service {
        var server: HTTPServerBuilder = .http1()
        if let certificate = settings.certificatePath, let key = settings.privateKeyPath {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            server = try .tls(.http1(), tlsConfiguration: tls)
        }
        return Application(
            router: router(supervisor: supervisor, settings: settings, stats: stats),
            server: server,
            configuration: ApplicationConfiguration(address: .hostname(settings.bind, port: settings.port), serverName: "botmaster"),
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
    }
}

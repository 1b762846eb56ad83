import BotmasterConfig
import BotmasterSupervisor
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
/// A bot the fleet defines but has not started (yet) answers 503 too, never 404. In cluster
/// mode a delivery for a bot whose worker does not run here is relayed to its owner through
/// Redis (``WebhookRelay``) and answered 200 once Redis has it.
///
/// Each request is served on its connection's event loop by ``WebhookRequestHandler``
/// (HummingbirdCore's server binds, caps the connections and quiesces them at shutdown).
public enum WebhookServer {
    /// The endpoint as a `Service`, with TLS when a certificate and key are configured.
    /// - Parameter maximumConnections: the connections held at once, already lowered to what
    ///   the master's file-descriptor budget leaves after supervision's reserve.
    /// - Parameter relay: cluster mode's way to the owners of bots that do not run here.
    public static func application(
        settings: WebhookSettings, routes: WebhookRoutes, acks: WebhookAcks, stats: WebhookStats, relay: (any WebhookRelay)? = nil,
        maximumConnections: Int, eventLoopGroup: any EventLoopGroup, logger: Logger
    ) throws -> any Service {
        let channel = WebhookChannel(
            endpoint: WebhookEndpoint(settings: settings, routes: routes, acks: acks, stats: stats, relay: relay),
            connections: stats.connections, readTimeout: TimeAmount(settings.readTimeout), idleTimeout: settings.idleTimeout)
        let configuration = ServerConfiguration(
            address: .hostname(settings.bind, port: settings.port),
            availableConnectionsDelegate: MaximumAvailableConnections(maximumConnections, logger: logger))
        guard let certificate = settings.certificatePath, let key = settings.privateKeyPath else {
            return channel.server(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        }
        let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        return try TLSChannel(channel, tlsConfiguration: tls).server(
            configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
    }
}

import BotmasterConfig
import BotmasterControl
import BotmasterSupervisor
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The master's HTTP face for operators and monitoring: the status API, health checks,
/// Prometheus metrics and the live dashboard, all read from the supervisor.
public enum StatusServer {
    /// The routes, declared in one place.
    static func router(
        supervisor: Supervisor, metrics: MetricsExporter, token: String?, webhookStats: WebhookStats?, fleetChangesAllowed: Bool,
        history: FleetHistory? = nil
    ) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        if let token { router.add(middleware: BearerTokenMiddleware(token: token)) }
        router.get("/") { _, _ in DashboardPage.response() }
        router.get("/api/workers/status") { _, _ in JSONResponses.raw(await supervisor.status().compactJSON()) }
        router.get("/api/workers/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let description = await supervisor.describe(id) else {
                return JSONResponses.error(.notFound, "unknown bot id \"\(id)\"")
            }
            return JSONResponses.json(description)
        }
        router.get("/health") { _, _ in
            let report = HealthReport(await supervisor.status())
            return JSONResponses.json(report, status: report.isHealthy ? .ok : .serviceUnavailable)
        }
        router.get("/api/cluster/status") { _, _ in
            guard let cluster = await supervisor.clusterStatus else {
                return JSONResponses.error(.notFound, "cluster mode is off (BOTMASTER_CLUSTER=1 turns it on)")
            }
            return JSONResponses.json(cluster)
        }
        if let webhookStats {
            router.get("/api/webhook/stats") { _, _ in JSONResponses.json(webhookStats.snapshot) }
        }
        FleetRoutes.add(to: router, supervisor: supervisor, changesAllowed: fleetChangesAllowed)
        DashboardRoutes.add(to: router, supervisor: supervisor, history: history, actionsAllowed: fleetChangesAllowed)
        BroadcastRoutes.add(to: router, supervisor: supervisor, actionsAllowed: fleetChangesAllowed)
        router.get("/api/openapi.json") { _, _ in JSONResponses.raw(PackageResources.openapi_json) }
        router.get("/health/live") { _, _ in JSONResponses.json(["status": "live"]) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render(await supervisor.status()))))
        }
        return router
    }

    /// Connections the status port holds at once; counted in the master's descriptor reserve.
    public static let maximumConnections = 128

    /// The server as a `Service` for the master's service group.
    public static func application(
        host: String, port: Int, token: String?, supervisor: Supervisor, registry: PrometheusCollectorRegistry,
        webhookStats: WebhookStats?, history: FleetHistory?, eventLoopGroup: any EventLoopGroup, logger: Logger
    ) -> some Service {
        Application(
            router: router(
                supervisor: supervisor, metrics: MetricsExporter(registry: registry), token: token, webhookStats: webhookStats,
                fleetChangesAllowed: token != nil || MasterSettings.isLoopback(host), history: history),
            // Operators and scrapers hold few connections; the caps keep a misbehaving client
            // from holding the master's descriptors.
            server: .http1(configuration: .init(idleTimeout: .seconds(60))),
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port), serverName: "botmaster",
                availableConnectionsDelegate: MaximumAvailableConnections(Self.maximumConnections, logger: logger)),
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
    }
}

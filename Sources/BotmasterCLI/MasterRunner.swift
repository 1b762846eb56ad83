import BotRedisCore
import BotmasterCluster
import BotmasterConfig
import BotmasterFleetSource
import BotmasterHTTP
import BotmasterSupervisor
import BotmasterSystem
import BotmasterSystemd
import Glibc
import Logging
import Metrics
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Runs the master in this process until SIGTERM, SIGINT or `botmaster stop`.
struct MasterRunner {
    let context: FleetContext
    let settings: MasterSettings
    let fleet: FleetDefinition
    let echoLogs: Bool

    func run() async throws(CLIFailure) {
        let layout = context.layout
        // sockaddr_un holds 107 bytes of path; fail before anything starts rather than run a
        // fleet nobody can control.
        guard layout.controlSocket.utf8.count < 108 else {
            throw CLIFailure("the home path is too long for the control socket (\(layout.controlSocket)); use a shorter --home")
        }
        do {
            try FileSystem.createDirectory(layout.logsDirectory, mode: 0o750)
            try FileSystem.createDirectory(layout.runDirectory, mode: 0o700)
            // The control socket is the master's remote control: owner only, even if the
            // directory was made by hand with looser permissions.
            chmod(layout.runDirectory, 0o700)
        } catch {
            throw CLIFailure("cannot prepare \(layout.home): \(error)")
        }
        let lock: InstanceLock
        do throws(InstanceLock.Failure) {
            lock = try InstanceLock(path: layout.lockFile, pidPath: layout.masterPIDFile)
        } catch {
            switch error {
            case .heldByAnotherMaster(let pid):
                throw CLIFailure("a master is already running in \(layout.home) (pid \(pid.map { "\($0)" } ?? "unknown"))")
            case .system(let error):
                throw CLIFailure("cannot lock \(layout.lockFile): \(error)")
            }
        }
        let openFiles = Processes.raiseOpenFileLimit()

        let masterLog = RotatingLogFile(path: layout.masterLog, maximumBytes: settings.logMaxBytes, filesKept: settings.logFilesKept)
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        let sink = MasterLogSink(file: masterLog, echoToStandardError: echoLogs, throttle: LogThrottle())
        LoggingSystem.bootstrap { label in
            MasterLogHandler(label: label, sink: sink, level: level)
        }
        let logger = Logger(label: "botmaster")
        logger.info(
            "master starting",
            metadata: [
                "pid": "\(Processes.currentID)", "home": "\(layout.home)", "version": "\(Supervisor.version)",
                "open_files_limit": "\(openFiles)",
            ])
        if openFiles < UInt64(fleet.enabledWorkers.count * 4 + 64) {
            logger.warning("the open-file limit is low for this fleet; raise LimitNOFILE", metadata: ["limit": "\(openFiles)"])
        }

        // The fleet source's first answer joins the files' bots before anything starts.
        var fleet = self.fleet
        var sourceStart: (client: FleetSourceClient, first: FleetSourceStart)?
        if let source = settings.fleetSource {
            let client = FleetSourceClient(settings: source)
            let (first, joined, _) = await context.askFleetSource(client)
            if let joined { fleet = joined }
            sourceStart = (client, first)
        }

        var configuration = SupervisorConfiguration(
            layout: layout,
            settings: settings,
            fleet: fleet.workers,
            defaultWorkerCommand: [defaultWorkerBinary()],
            environment: context.environment)
        configuration.sourcedBots = sourceStart?.first.bots ?? []
        // Workers run bots' code (a `command` handler may be a customer's program): they get
        // none of the master's own secrets.
        for secret in ["STATUS_TOKEN", "BOTMASTER_FLEET_URL", FleetSourceSettings.authorizationVariable] {
            configuration.environment[secret] = nil
        }
        configuration.masterNice = Processes.niceValue
        if let notifier = SystemdNotifier.fromEnvironment(context.environment) {
            configuration.notify = { notifier.notify($0) }
            configuration.watchdogPingInterval = notifier.watchdogPingInterval
            // Workers must not inherit the master's notify socket: a bot could otherwise tell
            // systemd the service is ready or stopping.
            configuration.environment["NOTIFY_SOCKET"] = nil
            configuration.environment["WATCHDOG_USEC"] = nil
            configuration.environment["WATCHDOG_PID"] = nil
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(CatalogMetricsFactory(registry: registry))
        if settings.statusToken == nil && !settings.statusIsLoopbackOnly {
            logger.warning(
                "the status API listens beyond this host without a token; set STATUS_TOKEN",
                metadata: ["host": "\(settings.statusHost)", "port": "\(settings.statusPort)"])
        }
        let eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        // The status API gets a loop of its own: a thousand heartbeats arriving together on
        // the workers' loops must not hold up an HTTP answer.
        let httpEventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let supervisor = Supervisor(configuration: configuration, logger: logger, eventLoopGroup: eventLoopGroup)
        var sourceServices: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let sourceStart, let source = settings.fleetSource {
            await supervisor.recordFleetSource(sourceStart.first.outcome)
            sourceServices.append(
                .init(
                    service: await FleetSourceService(
                        client: sourceStart.client, supervisor: supervisor, interval: source.interval, etag: sourceStart.first.etag)))
        }
        var clusterServices: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var webhookRelay: (any WebhookRelay)?
        if let cluster = settings.cluster {
            let redis: RedisURL
            do {
                redis = try RedisURL(parsing: context.environment["REDIS_URL"] ?? "")
            } catch {
                throw CLIFailure("cluster mode: REDIS_URL: \(error)")
            }
            clusterServices.append(
                .init(
                    service: ClusterService(
                        settings: cluster, capacity: settings.workerLimit(cores: Environment.coreCount),
                        address: "\(settings.statusHost):\(settings.statusPort)",
                        fleet: FleetName.resolve(environment: context.environment),
                        redis: redis, supervisor: supervisor, logger: logger)))
            webhookRelay = RedisWebhookRelay(redis: redis, fleet: FleetName.resolve(environment: context.environment), logger: logger)
        }
        let control = ControlServer(
            socketPath: layout.controlSocket, supervisor: supervisor, eventLoopGroup: eventLoopGroup, logger: logger)
        var webhookServices: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var webhookStats: WebhookStats?
        if settings.webhook.isEnabled {
            let reserve = DescriptorBudget.reserve(
                workers: max(fleet.workers.count, settings.workerLimit(cores: Environment.coreCount)),
                statusConnections: StatusServer.maximumConnections)
            let maximumConnections = DescriptorBudget.webhookConnections(
                configured: settings.webhook.maximumConnections, openFileLimit: openFiles, reserve: reserve)
            if maximumConnections < settings.webhook.maximumConnections {
                logger.warning(
                    "the open-file limit leaves the webhook port fewer connections than WEBHOOK_MAX_CONNECTIONS; raise LimitNOFILE",
                    metadata: [
                        "limit": "\(openFiles)", "reserved_for_supervision": "\(reserve)", "connections": "\(maximumConnections)",
                    ])
            }
            let stats = WebhookStats(
                connections: WebhookConnections(
                    allowedNetworks: settings.webhook.allowedNetworks,
                    maximumPerAddress: settings.webhook.maximumConnectionsPerAddress))
            webhookStats = stats
            do {
                let webhook = try WebhookServer.application(
                    settings: settings.webhook, routes: supervisor.webhookRoutes, acks: supervisor.webhookAcks, stats: stats,
                    relay: webhookRelay, maximumConnections: maximumConnections, eventLoopGroup: eventLoopGroup, logger: logger)
                webhookServices.append(.init(service: webhook))
            } catch {
                throw CLIFailure(
                    "cannot load the webhook TLS certificate or key (WEBHOOK_SSL_CERT, WEBHOOK_SSL_KEY): \(error)")
            }
            logger.info(
                "webhook endpoint enabled",
                metadata: [
                    "bind": "\(settings.webhook.bind)", "port": "\(settings.webhook.port)",
                    "tls": "\(settings.webhook.certificatePath != nil)", "max_connections": "\(maximumConnections)",
                ])
            if settings.webhook.certificatePath == nil && !MasterSettings.isLoopback(settings.webhook.bind) {
                logger.warning(
                    "the webhook port listens beyond this host without TLS; put a TLS reverse proxy in front or set WEBHOOK_SSL_CERT and WEBHOOK_SSL_KEY",
                    metadata: ["bind": "\(settings.webhook.bind)"])
            }
        } else if fleet.enabledWorkers.contains(where: { $0.bot?.mode == .webhook }) {
            logger.error("bots in webhook mode need WEBHOOK_SECRET (and WEBHOOK_HOST); they will not start without it")
        }
        let history = FleetHistory(interval: settings.historyInterval, capacity: MasterSettings.historySamples)
        // Services shut down in reverse order: the fleet drains first while `status` still answers.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: control),
                    .init(service: ReloadSignalService(supervisor: supervisor)),
                    .init(service: LogSummaryService(sink: sink)),
                    .init(service: FleetHistoryService(supervisor: supervisor, history: history)),
                    .init(
                        service: StatusServer.application(
                            host: settings.statusHost, port: settings.statusPort, token: settings.statusToken,
                            supervisor: supervisor, registry: registry, webhookStats: webhookStats, history: history,
                            eventLoopGroup: httpEventLoopGroup, logger: logger)),
                ] + webhookServices + sourceServices + clusterServices + [
                    .init(service: SupervisorService(supervisor: supervisor), successTerminationBehavior: .gracefullyShutdownGroup)
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        var failure: CLIFailure?
        do {
            try await group.run()
        } catch {
            // A service failed (the status port taken, say); the fleet was drained all the same.
            logger.error("master stopped with an error", metadata: ["error": "\(error)"])
            failure = CLIFailure("the master stopped with an error: \(error)")
        }
        FileSystem.removeFile(layout.controlSocket)
        FileSystem.removeFile(layout.masterPIDFile)
        logger.info("master stopped")
        masterLog.close()
        withExtendedLifetime(lock) {}
        if let failure { throw failure }
    }

    /// `BOTMASTER_WORKER_BINARY`, else the `botworker` installed next to this executable.
    private func defaultWorkerBinary() -> String {
        if let configured = settings.workerBinary { return configured }
        let executable = FileSystem.currentExecutablePath() ?? "botmaster"
        guard let slash = executable.lastIndex(of: "/") else { return "botworker" }
        return executable[..<slash] + "/botworker"
    }
}

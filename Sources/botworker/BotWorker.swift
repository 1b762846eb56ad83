import AsyncHTTPClient
import BotAPI
import BotEngine
import BotRedis
import BotmasterIPC
import BotmasterSystem
import BotworkerKit
import Glibc
import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The bot runtime as a ``WorkerPayload``: started by the welcome's settings, tuned live by
/// config frames (applied in the order they came), fed by webhook frames or its own poller,
/// drained on request.
final class BotWorker: WorkerPayload {
    private let botID: String
    private let stats = BotStats()
    private let logger: Logger
    private let state = Mutex<State>(State())
    /// Live settings changes, applied one after another in the order the frames came.
    private let changes: AsyncStream<BotSettings>.Continuation
    private let changeStream: AsyncStream<BotSettings>

    private struct State {
        var engine: BotEngine?
        var settings: BotSettings?
        var http: HTTPClient?
        var source: Task<Void, Never>?
        /// Cluster mode, webhook bots: the reader of deliveries relayed by other masters.
        var relay: Task<Void, Never>?
        var poller: UpdatePoller?
        var webhooks: WebhookInbox?
        var store: (any BotStore)?
        var writer: FrameWriter?
        var applier: Task<Void, Never>?
        /// The worker's one event loop, where its engine and its HTTP client run.
        var executor: EventLoopTaskExecutor?
    }

    /// The runtime reads the process environment when it starts (token variables, `WEBHOOK_*`,
    /// `AUTO_SWITCH_MODE`, the store's `BOTMASTER_STORE`, `REDIS_URL` and `BOTMASTER_HOME`).
    ///
    /// - Parameters:
    ///   - botID: the bot id.
    ///   - logger: the worker's log.
    init(botID: String, logger: Logger) {
        self.botID = botID
        self.logger = logger
        (changeStream, changes) = AsyncStream.makeStream(of: BotSettings.self)
    }

    var messages: UInt64 { stats.received.load(ordering: .relaxed) }
    var errors: UInt64 { stats.jobFailures.load(ordering: .relaxed) }
    /// The bot counters, once the runtime runs: a worker without bot settings reports none, so
    /// its status row carries no `bot` object.
    var heartbeatExtra: [UInt64] { state.withLock { $0.engine == nil } ? [] : stats.heartbeatCounters }

    func configure(settings object: [String: JSONValue], writer: FrameWriter) throws(WorkerPayloadError) {
        let parsed: BotSettings?
        do {
            parsed = try BotSettings(settingsObject: object)
        } catch {
            throw WorkerPayloadError("bad bot settings from the master: \(error)")
        }
        guard let settings = parsed else { return }
        if state.withLock({ $0.engine }) != nil {
            // One task applies them in order: a task per frame could apply an older one last.
            changes.yield(settings)
            return
        }
        try start(settings, writer: writer)
    }

    private func start(_ settings: BotSettings, writer: FrameWriter) throws(WorkerPayloadError) {
        // Read here, not at launch: a worker that only keeps the protocol never needs it.
        let environment = Environment.current()
        let token = try BotToken.resolve(settings, environment: environment)
        var webhookURL: String?
        var secret: String?
        if settings.mode == .webhook {
            guard let value = environment["WEBHOOK_SECRET"], !value.isEmpty else {
                throw WorkerPayloadError("webhook mode needs WEBHOOK_SECRET (the secret Telegram sends back with every update)")
            }
            guard let host = environment["WEBHOOK_HOST"], host.hasPrefix("https://") || host.hasPrefix("http://") else {
                throw WorkerPayloadError("webhook mode needs WEBHOOK_HOST, the public https:// address of the master's webhook port")
            }
            secret = value
            webhookURL = (host.hasSuffix("/") ? String(host.dropLast()) : host) + "/webhook/" + botID
        }
        var configuration = HTTPClient.Configuration(
            timeout: HTTPClient.Configuration.Timeout(connect: .seconds(10)),
            connectionPool: HTTPClient.Configuration.ConnectionPool(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64))
        // The worker bootstraps no tracer; with the default (no-op) one the client still
        // builds every request's span attributes: 3 % of a busy worker's CPU.
        configuration.tracing.tracer = nil
        configuration.coalesceFlushes()
        // One event-loop thread runs the bot: its HTTP client and, through the executor, every
        // task of its engine, so an update and its reply never cross threads (see
        // EventLoopTaskExecutor). It also keeps the worker small.
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let executor = EventLoopTaskExecutor(loop.next())
        let http = HTTPClient(eventLoopGroup: loop, configuration: configuration)
        let client = BotAPIClient(http: http, apiBase: settings.apiBase, token: token)
        let store = try Self.makeStore(settings, botID: botID, environment: environment)
        var handlerEnvironment = environment
        if let name = settings.tokenEnv { handlerEnvironment[name] = nil }
        let engine = BotEngine(
            botID: botID, settings: settings, client: client, stats: stats, store: store,
            makeHandler: { [handlerEnvironment] handler in BotEngine.makeHandler(handler, http: http, environment: handlerEnvironment) },
            logger: logger)
        let logger = self.logger
        let poller = UpdatePoller(engine: engine, client: client, stats: stats, logger: logger, source: .polling)
        let autoSwitch = environment["AUTO_SWITCH_MODE"] == "true"
        let stats = self.stats
        // Until a store call fails, status says where the state is meant to be.
        stats.store.store(BotStats.Store(store.kind).rawValue, ordering: .relaxed)
        let applier = TaskPlacement.start(on: executor) { [changeStream] in
            for await change in changeStream { await engine.apply(change) }
        }
        let source = TaskPlacement.start(on: executor) {
            await engine.start()
            if let webhookURL, let secret {
                let hook = SetWebhook(url: webhookURL, secretToken: secret, allowedUpdates: ["message"])
                if await Self.setWebhook(hook, client: client, retries: autoSwitch ? 3 : Int.max, stats: stats, logger: logger) {
                    stats.source.store(BotStats.Source.webhook.rawValue, ordering: .relaxed)
                    logger.info("receiving updates by webhook")
                    return
                }
                logger.warning("setWebhook failed; AUTO_SWITCH_MODE=true, so polling instead")
                let fallback = UpdatePoller(
                    engine: engine, client: client, stats: stats, logger: logger, source: .pollingAfterWebhookFailed)
                await Self.deleteWebhook(client: client, logger: logger)
                await fallback.run()
                return
            }
            await Self.deleteWebhook(client: client, logger: logger)
            logger.info("receiving updates by long polling")
            await poller.run()
        }
        let webhooks = WebhookInbox(engine: engine, writer: writer, executor: executor)
        var relay: Task<Void, Never>?
        if settings.mode == .webhook, let redis = store as? RedisStore, redis.epoch != nil {
            let reader = RelayedWebhookReader(engine: engine, store: redis, logger: logger)
            relay = TaskPlacement.start(on: executor) { await reader.run() }
        }
        state.withLock { state in
            state.relay = relay
            state.engine = engine
            state.settings = settings
            state.http = http
            state.source = source
            state.poller = poller
            state.webhooks = webhooks
            state.store = store
            state.writer = writer
            state.applier = applier
            state.executor = executor
        }
        logger.info(
            "bot runtime started",
            metadata: [
                "mode": "\(settings.mode.rawValue)", "handler": "\(settings.handler.kind.rawValue)", "store": "\(store.kind.rawValue)",
            ])
        if store.kind == .memory {
            logger.warning("the memory store is not durable: a killed worker loses its open batches and queued jobs")
        }
    }

    /// The bot's store: its `store` key, else the fleet's default (``BotSettings/Store/resolve(_:environment:)``).
    static func makeStore(_ settings: BotSettings, botID: String, environment: [String: String]) throws(WorkerPayloadError)
        -> any BotStore
    {
        switch BotSettings.Store.resolve(settings.store, environment: environment) {
        case .memory:
            return MemoryStore()
        case .sqlite:
            guard let home = environment["BOTMASTER_HOME"], !home.isEmpty else {
                throw WorkerPayloadError("the sqlite store needs BOTMASTER_HOME (botmaster sets it)")
            }
            return SQLiteStore(path: SQLiteStore.path(home: home, bot: botID))
        case .redis:
            guard let text = environment["REDIS_URL"], !text.isEmpty else {
                throw WorkerPayloadError("the redis store needs REDIS_URL")
            }
            do {
                let epoch = environment[WorkerExitCode.epochVariable].flatMap { Int64($0) }
                return RedisStore(
                    url: try RedisURL(parsing: text), fleet: FleetName.resolve(environment: environment), bot: botID, epoch: epoch
                ) { reason in
                    // Another master took the bot: whatever this process does next would be a
                    // second owner's, so it ends now, without a drain.
                    Logger(label: "botworker").critical(
                        "fenced: another master owns this bot now; stopping at once", metadata: ["reason": "\(reason)"])
                    exit(WorkerExitCode.fenced)
                }
            } catch {
                throw WorkerPayloadError("\(error)")
            }
        }
    }

    func receive(_ update: WebhookUpdate) {
        state.withLock { $0.webhooks }?.receive(update)
    }

    func deadLetters(_ request: DeadLetterRequest) {
        let (engine, writer, executor) = state.withLock { ($0.engine, $0.writer, $0.executor) }
        guard let engine, let writer else { return }
        TaskPlacement.start(on: executor) {
            let reply = await engine.deadLetterAction(request)
            try? writer.write(reply.frame())
        }
    }

    func broadcast(_ request: BroadcastRequest) {
        let (engine, writer, executor) = state.withLock { ($0.engine, $0.writer, $0.executor) }
        guard let engine, let writer else { return }
        TaskPlacement.start(on: executor) {
            let reply = await engine.broadcastAction(request)
            try? writer.write(reply.frame())
        }
    }

    /// Reads the channel on the engine's event loop from now on: an update frame is read where
    /// the engine takes it, with no hand-off from the protocol thread.
    func takeChannelReading(fd: Int32, reader: ChannelReader) -> Bool {
        guard let loop = state.withLock({ $0.executor?.eventLoop }) else { return false }
        // NIO closes what it reads when the channel ends; the protocol thread keeps writing to
        // `fd`, so the loop reads a duplicate.
        let duplicate = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard duplicate >= 0 else {
            let error = SystemError(call: "fcntl(F_DUPFD_CLOEXEC)", code: errno)
            logger.warning("cannot read the channel on the event loop; the protocol thread reads it", metadata: ["error": "\(error)"])
            return false
        }
        do {
            _ = try ClientBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(MasterChannelReadHandler(reader: reader))
                    }
                }
                .withConnectedSocket(duplicate)
                .wait()
            return true
        } catch {
            // The duplicate is left open: whether NIO closed it already depends on where it
            // failed, and closing a reused descriptor number would be worse than one leaked.
            logger.warning("cannot read the channel on the event loop; the protocol thread reads it", metadata: ["error": "\(error)"])
            return false
        }
    }

    func drain() {
        let (engine, source, relay, poller, http, webhooks, store, executor) = state.withLock {
            ($0.engine, $0.source, $0.relay, $0.poller, $0.http, $0.webhooks, $0.store, $0.executor)
        }
        guard let engine else { return }
        webhooks?.close()
        // The protocol thread blocks on a pipe until the drain is over; the master's
        // stop_timeout bounds how long.
        guard let done = try? Descriptors.pipe() else { return }
        defer {
            Descriptors.close(done.read)
            Descriptors.close(done.write)
        }
        let stats = stats
        TaskPlacement.start(on: executor) {
            source?.cancel()
            relay?.cancel()
            await engine.drain()
            // Whichever poller ran (also the fallback after a failed setWebhook) confirms what
            // finished; a webhook bot has nothing to confirm.
            let source = stats.source.load(ordering: .relaxed)
            if source == BotStats.Source.polling.rawValue || source == BotStats.Source.pollingAfterWebhookFailed.rawValue {
                await poller?.confirmFinished()
            }
            try? await http?.shutdown()
            await store?.close()
            try? FileSystem.writeAll(done.write, [1])
        }
        var byte: UInt8 = 0
        while read(done.read, &byte, 1) < 0 && errno == EINTR {}
    }

    /// Calls setWebhook until it works or `retries` failures; reports the state in status.
    static func setWebhook(
        _ hook: SetWebhook, client: BotAPIClient, retries: Int, stats: BotStats, logger: Logger
    ) async -> Bool {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await client.setWebhook(hook)
                return true
            } catch {
                failures += 1
                stats.source.store(BotStats.Source.webhookFailed.rawValue, ordering: .relaxed)
                logger.warning("setWebhook failed", metadata: ["failures_in_a_row": "\(failures)", "error": "\(error)"])
                if failures >= retries { return false }
                try? await TaskPlacement.sleep(for: UpdatePoller.backoff(afterFailures: failures))
            }
        }
        return false
    }

    /// Polling and a webhook exclude each other: remove any webhook before polling.
    static func deleteWebhook(client: BotAPIClient, logger: Logger) async {
        for attempt in 1...5 {
            do {
                try await client.deleteWebhook()
                return
            } catch {
                logger.warning("deleteWebhook failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                try? await TaskPlacement.sleep(for: UpdatePoller.backoff(afterFailures: attempt))
            }
        }
    }
}

import AsyncHTTPClient
import BotAPI
import BotRedis
import BotmasterIPC
import BotmasterSystem
import BotworkerKit
import Glibc
import NIOCore
import NIOPosix
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The bot runtime as a ``WorkerPayload``: started by the welcome's settings, tuned live by
/// config frames, fed by webhook frames or its own poller, drained on request.
public final class BotWorker: WorkerPayload {
    private let botID: String
    private let environment: [String: String]
    private let stats = BotStats()
    private let log: @Sendable (String) -> Void
    private let state = Mutex<State>(State())

    private struct State {
        var engine: BotEngine?
        var settings: BotSettings?
        var http: HTTPClient?
        var source: Task<Void, Never>?
        var poller: UpdatePoller?
        var webhooks: WebhookInbox?
        var durable: RedisBotState?
        var writer: FrameWriter?
    }

    /// - Parameters:
    ///   - botID: the bot id.
    ///   - environment: the worker's environment (token variables, `WEBHOOK_*`, `AUTO_SWITCH_MODE`).
    ///   - log: writes one line to the worker's log.
    public init(botID: String, environment: [String: String], log: @escaping @Sendable (String) -> Void) {
        self.botID = botID
        self.environment = environment
        self.log = log
    }

    public var messages: UInt64 { stats.received.load(ordering: .relaxed) }
    public var errors: UInt64 { stats.jobFailures.load(ordering: .relaxed) }
    /// The bot counters, once the runtime runs: a worker without bot settings reports none, so
    /// its status row carries no `bot` object.
    public var heartbeatExtra: [UInt64] { state.withLock { $0.engine == nil } ? [] : stats.heartbeatCounters }

    public func configure(settings object: [String: JSONValue], writer: FrameWriter) throws(WorkerPayloadError) {
        let parsed: BotSettings?
        do {
            parsed = try BotSettings(settingsObject: object)
        } catch {
            throw WorkerPayloadError("bad bot settings from the master: \(error)")
        }
        guard let settings = parsed else { return }
        if let engine = state.withLock({ $0.engine }) {
            Task { await engine.apply(settings) }
            return
        }
        try start(settings, writer: writer)
    }

    private func start(_ settings: BotSettings, writer: FrameWriter) throws(WorkerPayloadError) {
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
        // One event-loop thread is plenty for one bot's HTTP and keeps the worker small.
        let http = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup(numberOfThreads: 1),
            configuration: HTTPClient.Configuration(
                timeout: HTTPClient.Configuration.Timeout(connect: .seconds(10)),
                connectionPool: HTTPClient.Configuration.ConnectionPool(
                    idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)))
        let client = BotAPIClient(http: http, apiBase: settings.apiBase, token: token)
        // REDIS_URL (the fleet's, or the bot's own from its definition's env) moves the
        // state to Redis; empty or unset keeps it in memory.
        var durable: RedisBotState?
        if let text = environment["REDIS_URL"], !text.isEmpty {
            do {
                durable = RedisBotState(
                    url: try RedisURL(parsing: text), fleet: FleetName.resolve(environment: environment), bot: botID)
            } catch {
                throw WorkerPayloadError("\(error)")
            }
        }
        var handlerEnvironment = environment
        if let name = settings.tokenEnv { handlerEnvironment[name] = nil }
        let environment = handlerEnvironment
        let engine = BotEngine(
            botID: botID, settings: settings, client: client, stats: stats, durable: durable,
            makeHandler: { [environment] handler in Self.makeHandler(handler, http: http, environment: environment) }, log: log)
        let poller = UpdatePoller(engine: engine, client: client, stats: stats, log: log, source: .polling)
        let autoSwitch = environment["AUTO_SWITCH_MODE"] == "true"
        let log = self.log
        let stats = self.stats
        let store = durable
        let isDurable = store != nil
        // Until a Redis call fails, status says where the state is meant to be.
        if isDurable { stats.store.store(BotStats.Store.redis.rawValue, ordering: .relaxed) }
        let source = Task {
            if isDurable { await engine.startDurably() }
            if let webhookURL, let secret {
                let hook = SetWebhook(url: webhookURL, secretToken: secret, allowedUpdates: ["message"])
                if await Self.setWebhook(hook, client: client, retries: autoSwitch ? 3 : Int.max, stats: stats, log: log) {
                    stats.source.store(BotStats.Source.webhook.rawValue, ordering: .relaxed)
                    log("receiving updates by webhook")
                    return
                }
                log("setWebhook failed; AUTO_SWITCH_MODE=true, so polling instead")
                let fallback = UpdatePoller(engine: engine, client: client, stats: stats, log: log, source: .pollingAfterWebhookFailed)
                await Self.deleteWebhook(client: client, log: log)
                await fallback.run()
                return
            }
            await Self.deleteWebhook(client: client, log: log)
            log("receiving updates by long polling")
            await poller.run()
        }
        let webhooks = WebhookInbox(engine: engine, writer: writer)
        state.withLock { state in
            state.engine = engine
            state.settings = settings
            state.http = http
            state.source = source
            state.poller = poller
            state.webhooks = webhooks
            state.durable = store
            state.writer = writer
        }
        log(
            "bot runtime started: mode \(settings.mode.rawValue), handler \(settings.handler.kind.rawValue), state in \(isDurable ? "Redis" : "memory")"
        )
    }

    public func receive(_ update: WebhookUpdate) {
        state.withLock { $0.webhooks }?.receive(update)
    }

    public func deadLetters(_ request: DeadLetterRequest) {
        let (engine, writer) = state.withLock { ($0.engine, $0.writer) }
        guard let engine, let writer else { return }
        Task {
            let reply = await engine.deadLetterAction(request)
            try? writer.write(reply.frame())
        }
    }

    public func drain() {
        let (engine, source, poller, http, webhooks, durable) = state.withLock {
            ($0.engine, $0.source, $0.poller, $0.http, $0.webhooks, $0.durable)
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
        Task {
            source?.cancel()
            await engine.drain()
            // Whichever poller ran (also the fallback after a failed setWebhook) confirms what
            // finished; a webhook bot has nothing to confirm.
            let source = stats.source.load(ordering: .relaxed)
            if source == BotStats.Source.polling.rawValue || source == BotStats.Source.pollingAfterWebhookFailed.rawValue {
                await poller?.confirmFinished()
            }
            try? await http?.shutdown()
            await durable?.shutdown()
            try? FileSystem.writeAll(done.write, [1])
        }
        var byte: UInt8 = 0
        while read(done.read, &byte, 1) < 0 && errno == EINTR {}
    }

    /// - Parameter environment: the worker's environment; the token variable is left out of
    ///   what a `command` handler's program sees.
    static func makeHandler(_ handler: BotSettings.Handler, http: HTTPClient, environment: [String: String]) -> any BatchHandler {
        switch handler.kind {
        case .echo: EchoHandler()
        case .http: HTTPHandler(http: http, url: handler.url ?? "", timeout: .milliseconds(handler.timeoutMs))
        case .command:
            CommandHandler(argv: handler.argv ?? ["false"], timeout: .milliseconds(handler.timeoutMs), environment: environment)
        }
    }

    /// Calls setWebhook until it works or `retries` failures; reports the state in status.
    static func setWebhook(
        _ hook: SetWebhook, client: BotAPIClient, retries: Int, stats: BotStats, log: @Sendable (String) -> Void
    ) async -> Bool {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await client.setWebhook(hook)
                return true
            } catch {
                failures += 1
                stats.source.store(BotStats.Source.webhookFailed.rawValue, ordering: .relaxed)
                log("setWebhook failed (\(failures)): \(error)")
                if failures >= retries { return false }
                try? await Task.sleep(for: UpdatePoller.backoff(afterFailures: failures))
            }
        }
        return false
    }

    /// Polling and a webhook exclude each other: remove any webhook before polling.
    static func deleteWebhook(client: BotAPIClient, log: @Sendable (String) -> Void) async {
        for attempt in 1...5 {
            do {
                try await client.deleteWebhook()
                return
            } catch {
                log("deleteWebhook failed (\(attempt)): \(error)")
                try? await Task.sleep(for: UpdatePoller.backoff(afterFailures: attempt))
            }
        }
    }
}

import BotmasterConfig
import BotmasterControl
import BotmasterIPC

// Publishing where each bot's webhook deliveries go, after every change of a worker's state or
// channel, so the HTTP side reads it without waiting for the supervisor.
extension Supervisor {
    static func botModes(of fleet: [WorkerDefinition]) -> [String: BotSettings.Mode] {
        var modes: [String: BotSettings.Mode] = [:]
        for definition in fleet {
            if let bot = definition.bot { modes[definition.id] = bot.mode }
        }
        return modes
    }

    /// Cluster mode: the enabled webhook bots whose state is in the master's own Redis (the
    /// fleet's `REDIS_URL` and `BOTMASTER_FLEET`, not a Redis of the bot's own), whose
    /// deliveries any master can therefore relay to the owner.
    static func relayedBots(of fleet: [WorkerDefinition], environment: [String: String]) -> Set<String> {
        var bots: Set<String> = []
        for definition in fleet where definition.enabled {
            guard let bot = definition.bot, bot.mode == .webhook else { continue }
            let seen = environment.merging(definition.environment) { $1 }
            guard BotSettings.Store.resolve(bot.store, environment: seen) == .redis, seen["REDIS_URL"] == environment["REDIS_URL"],
                seen["BOTMASTER_FLEET"] == environment["BOTMASTER_FLEET"]
            else { continue }
            bots.insert(definition.id)
        }
        return bots
    }

    /// The route `id` should have now; nil for an id that is not a bot of the fleet.
    func desiredRoute(_ id: String) -> WebhookRoutes.Target? {
        let local = localRoute(id)
        // Cluster mode: what this master cannot hand to a worker of its own goes to the owner
        // through Redis, 200 once it is there, instead of 503 and a redelivery.
        if local == .unavailable, clusterOwnership != nil, relayedBots.contains(id) { return .relayed }
        return local
    }

    /// The route by this master's own workers alone.
    private func localRoute(_ id: String) -> WebhookRoutes.Target? {
        if let worker = workers[id], !worker.retiring {
            guard let bot = worker.definition.bot else { return nil }
            if bot.mode == .polling { return .pollingBot }
            if worker.lifecycle.state == .running, let channel = worker.channel, !shuttingDown {
                // Cluster mode: a worker that has just started here (a bot taken over or moved
                // here) answers busy until its store is open and its webhook set; relayed, those
                // deliveries wait in Redis for it instead of getting 503. It says when it takes
                // webhooks in its heartbeat (a `.sourceChanged` event refreshes the route).
                if clusterOwnership != nil, relayedBots.contains(id), !Self.takesWebhooks(worker) { return .unavailable }
                return .ready(channel)
            }
            return .unavailable
        }
        // Defined but without a worker: disabled, or removed from `workers` while it stops.
        return definedBotModes[id].map { $0 == .polling ? .pollingBot : .unavailable }
    }

    /// Whether the worker's last heartbeat says it receives updates by webhook (its store is
    /// open and its webhook set).
    static func takesWebhooks(_ worker: ManagedWorker) -> Bool {
        worker.stats.heartbeat.flatMap { BotCounters.source(inHeartbeatExtra: $0.extra) } == BotCounters.webhookSource
    }

    /// Publishes `id`'s route if it changed.
    func refreshRoute(_ id: String) {
        let desired = desiredRoute(id)
        if webhookRoutes.current(id) != desired { webhookRoutes.set(id, desired) }
    }

    /// Publishes every route at once: after a reload, at shutdown, and now and then as a
    /// backstop.
    func syncAllRoutes() {
        var routes: [String: WebhookRoutes.Target] = [:]
        for id in Set(workers.keys).union(definedBotModes.keys) {
            if let route = desiredRoute(id) { routes[id] = route }
        }
        webhookRoutes.replaceAll(routes)
    }
}

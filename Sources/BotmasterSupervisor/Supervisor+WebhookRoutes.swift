import BotmasterConfig
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

    /// The route `id` should have now; nil for an id that is not a bot of the fleet.
    func desiredRoute(_ id: String) -> WebhookRoutes.Target? {
        if let worker = workers[id], !worker.retiring {
            guard let bot = worker.definition.bot else { return nil }
            if bot.mode == .polling { return .pollingBot }
            if worker.lifecycle.state == .running, let channel = worker.channel, !shuttingDown { return .ready(channel) }
            return .unavailable
        }
        // Defined but without a worker: disabled, or removed from `workers` while it stops.
        return definedBotModes[id].map { $0 == .polling ? .pollingBot : .unavailable }
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

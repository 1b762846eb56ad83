import BotmasterIPC

/// `botmaster broadcast`: the bot's broadcasts made, read, paused, resumed or cancelled.
extension BotEngine {
    public func broadcastAction(_ request: BroadcastRequest) async -> BroadcastReply {
        var reply = BroadcastReply(requestID: request.requestID)
        guard storeReady else {
            reply.error = "the bot's state is not open yet (see its log); try again shortly"
            return reply
        }
        do {
            switch request.action {
            case .create:
                reply.broadcasts = [try await broadcasts.create(request, defaultRate: settings.rate.broadcastPerSecond)]
            case .list:
                reply.broadcasts = try await store.broadcasts().map(\.info)
            case .show:
                guard let id = request.id, var info = try await store.broadcasts().first(where: { $0.info.id == id })?.info else {
                    reply.error = "no broadcast \(request.id ?? "")"
                    return reply
                }
                info.failures = try await store.broadcastFailures(id, limit: BroadcastInfo.reportedFailures)
                reply.broadcasts = [info]
            case .pause, .resume, .cancel:
                guard let id = request.id else {
                    reply.error = "\(request.action.rawValue) needs a broadcast id"
                    return reply
                }
                reply.broadcasts = [try await broadcasts.control(request.action, id: id)]
            }
        } catch {
            reply.error = "\(error)"
        }
        return reply
    }
}

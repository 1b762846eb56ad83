import BotmasterIPC

/// `botmaster dlq`: the bot's dead letters, read, rerun or emptied, in whichever store.
extension BotEngine {
    public func deadLetterAction(_ request: DeadLetterRequest) async -> DeadLetterReply {
        var reply = DeadLetterReply(requestID: request.requestID, store: store.kind.rawValue)
        do {
            switch request.action {
            case .list: reply.entries = try await store.deadLetters().map(\.entry)
            case .retry:
                var count = 0
                for letter in try await store.deadLetters() where request.key == nil || letter.entry.key == request.key {
                    if try await store.requeue(letter) { count += 1 }
                }
                reply.count = count
                if let key = request.key, count == 0 { reply.error = "no dead letter \(key)" }
                if count > 0 { logger.notice("dead letters queued again", metadata: ["count": "\(count)"]) }
            case .purge: reply.count = try await store.purgeDeadLetters()
            }
        } catch {
            reply.error = "\(error)"
        }
        return reply
    }
}

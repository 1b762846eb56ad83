import BotmasterIPC

/// `botmaster dlq`: the dead-letter list of either backend, read, rerun or emptied.
extension BotEngine {
    public func deadLetterAction(_ request: DeadLetterRequest) async -> DeadLetterReply {
        var reply = DeadLetterReply(requestID: request.requestID, backend: backendName)
        do {
            switch request.action {
            case .list: reply.entries = try await deadLetterEntries()
            case .retry:
                reply.count = try await retryDeadLetters(key: request.key)
                if let key = request.key, reply.count == 0 { reply.error = "no dead letter \(key)" }
            case .purge: reply.count = try await purgeDeadLetters()
            }
        } catch {
            reply.error = "\(error)"
        }
        return reply
    }

    private func deadLetterEntries() async throws -> [DeadLetterEntry] {
        if let durable { return try await durable.deadLetters().map(\.letter.entry) }
        return deadLetters.map(\.entry)
    }

    private func retryDeadLetters(key: String?) async throws -> Int {
        if let durable {
            var count = 0
            for (raw, letter) in try await durable.deadLetters() where key == nil || letter.entry.key == key {
                if try await durable.requeue(raw: raw, job: letter.job) { count += 1 }
            }
            return count
        }
        let chosen = deadLetters.filter { key == nil || $0.entry.key == key }
        deadLetters.removeAll { key == nil || $0.entry.key == key }
        for (_, job) in chosen {
            var fresh = job
            fresh.failures = 0
            fresh.reply = nil
            enqueue(fresh)
        }
        if !chosen.isEmpty { log("bot \(botID): \(chosen.count) dead letters queued again") }
        return chosen.count
    }

    private func purgeDeadLetters() async throws -> Int {
        if let durable { return try await durable.purgeDeadLetters() }
        let count = deadLetters.count
        deadLetters.removeAll()
        return count
    }
}

import BotmasterIPC

/// The memory store's broadcasts and known chats: the same rules as the durable stores.
struct MemoryBroadcastBook {
    /// Known chats, and whether each blocked the bot.
    var knownChats: [Int64: Bool] = [:]
    var broadcasts: [Entry] = []
    var nextID = 1

    struct Entry {
        var stored: StoredBroadcast
        var chats: [Int64]
        var done: [Bool]
        var failures: [Int: BroadcastFailure] = [:]
    }

    mutating func create(_ draft: BroadcastInfo, audience: BroadcastAudience) -> BroadcastInfo {
        let chats =
            switch audience {
            case .chats(let list): BroadcastRules.distinct(list)
            case .known: knownChats.filter { !$0.value }.keys.sorted()
            }
        var info = draft
        info.id = "\(nextID)"
        nextID += 1
        info.total = chats.count
        info.state = .queued
        broadcasts.append(
            Entry(stored: StoredBroadcast(info: info, cursor: 0), chats: chats, done: Array(repeating: false, count: chats.count)))
        while broadcasts.count > StoreLimits.keptBroadcasts, let index = broadcasts.firstIndex(where: { $0.stored.info.state.isFinal }) {
            broadcasts.remove(at: index)
        }
        return info
    }

    mutating func setState(_ id: String, to state: BroadcastState, atMs: Int64) -> Bool {
        guard let index = broadcasts.firstIndex(where: { $0.stored.info.id == id }) else { return false }
        broadcasts[index].stored.info.state = state
        if state == .running, broadcasts[index].stored.info.startedMs == nil { broadcasts[index].stored.info.startedMs = atMs }
        if state.isFinal { broadcasts[index].stored.info.finishedMs = atMs }
        return true
    }

    func targets(_ id: String, from: Int, count: Int) -> [BroadcastTarget] {
        guard let entry = broadcasts.first(where: { $0.stored.info.id == id }), from < entry.chats.count else { return [] }
        let end = min(from + count, entry.chats.count)
        return (max(from, 0)..<end).map { BroadcastTarget(position: $0, chat: entry.chats[$0], done: entry.done[$0]) }
    }

    mutating func record(_ id: String, _ outcome: BroadcastOutcome, cursor: Int) {
        guard let index = broadcasts.firstIndex(where: { $0.stored.info.id == id }),
            broadcasts[index].chats.indices.contains(outcome.position), !broadcasts[index].done[outcome.position]
        else { return }
        broadcasts[index].done[outcome.position] = true
        broadcasts[index].stored.info.counts.count(outcome.kind)
        broadcasts[index].stored.cursor = max(broadcasts[index].stored.cursor, cursor)
        if outcome.kind != .sent {
            broadcasts[index].failures[outcome.position] = BroadcastFailure(
                chat: outcome.chat, outcome: outcome.kind, reason: outcome.reason ?? "")
        }
        if outcome.kind == .blocked { knownChats[outcome.chat] = true }
    }

    func failures(_ id: String, limit: Int) -> [BroadcastFailure] {
        guard let entry = broadcasts.first(where: { $0.stored.info.id == id }) else { return [] }
        return entry.failures.keys.sorted().prefix(limit).compactMap { entry.failures[$0] }
    }
}

extension MemoryStore {
    package func createBroadcast(_ draft: BroadcastInfo, audience: BroadcastAudience) async throws(StoreError) -> BroadcastInfo {
        book.withLock { $0.create(draft, audience: audience) }
    }

    package func broadcasts() async throws(StoreError) -> [StoredBroadcast] {
        book.withLock { $0.broadcasts.map(\.stored) }
    }

    package func setBroadcastState(_ id: String, to state: BroadcastState, atMs: Int64) async throws(StoreError) -> Bool {
        book.withLock { $0.setState(id, to: state, atMs: atMs) }
    }

    package func broadcastTargets(_ id: String, from: Int, count: Int) async throws(StoreError) -> [BroadcastTarget] {
        book.withLock { $0.targets(id, from: from, count: count) }
    }

    package func recordBroadcastOutcome(_ id: String, _ outcome: BroadcastOutcome, cursor: Int) async throws(StoreError) {
        book.withLock { $0.record(id, outcome, cursor: cursor) }
    }

    package func broadcastFailures(_ id: String, limit: Int) async throws(StoreError) -> [BroadcastFailure] {
        book.withLock { $0.failures(id, limit: limit) }
    }
}

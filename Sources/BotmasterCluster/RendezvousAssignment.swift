import BotmasterSystem

/// Which live member owns each bot: rendezvous (highest-random-weight) hashing of the bot id
/// over the members, bounded by each member's capacity. Every master computes it from the same
/// inputs (the fleet's bot ids and the members in Redis) and gets the same answer, and a member
/// joining or leaving moves only the bots that must move: those it wins, or those it had.
public enum RendezvousAssignment {
    /// A member as the assignment sees it.
    public struct Member: Sendable, Equatable {
        public var node: String
        /// Most bots it takes.
        public var capacity: Int

        public init(node: String, capacity: Int) {
            self.node = node
            self.capacity = capacity
        }
    }

    /// Bot id → node, for every bot some member has room for; bots beyond the members' total
    /// capacity are left out (they wait for room). Bots are placed in id order, each with the
    /// member of highest weight that still has room, so the answer does not depend on the order
    /// of either input.
    public static func assign(bots: [String], members: [Member]) -> [String: String] {
        var load: [String: Int] = [:]
        var result: [String: String] = [:]
        let sortedMembers = members.sorted { $0.node < $1.node }
        for bot in Set(bots).sorted() {
            let ranked = sortedMembers.map { ($0, weight(bot: bot, node: $0.node)) }.sorted { $0.1 > $1.1 }
            guard let (member, _) = ranked.first(where: { load[$0.0.node, default: 0] < $0.0.capacity }) else { continue }
            load[member.node, default: 0] += 1
            result[bot] = member.node
        }
        return result
    }

    /// The bot's weight on a node: FNV-1a of both names, then splitmix64's finalizer, so that
    /// ids differing in one character spread well.
    static func weight(bot: String, node: String) -> UInt64 {
        var digest = FNV1a()
        digest.add(node)
        digest.add(bot)
        var hash = digest.value
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        return hash ^ (hash >> 31)
    }
}

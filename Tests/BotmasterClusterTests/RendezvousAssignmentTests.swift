import Testing

@testable import BotEngine
@testable import BotmasterCluster

struct RendezvousAssignmentTests {
    static let bots = (0..<300).map { "bot\($0)" }
    static func members(_ names: [String], capacity: Int = 1000) -> [RendezvousAssignment.Member] {
        names.map { RendezvousAssignment.Member(node: $0, capacity: capacity) }
    }

    @Test func everyMasterComputesTheSameAnswerWhateverTheOrder() {
        let one = RendezvousAssignment.assign(bots: Self.bots, members: Self.members(["a", "b", "c"]))
        let two = RendezvousAssignment.assign(bots: Self.bots.reversed(), members: Self.members(["c", "a", "b"]))
        #expect(one == two)
        #expect(one.count == Self.bots.count)
        let counts = Dictionary(grouping: one.values, by: { $0 }).mapValues(\.count)
        #expect(counts.values.allSatisfy { $0 > 60 }, "spread over all three: \(counts)")
    }

    @Test func aJoinOrALeaveMovesOnlyTheBotsThatMust() {
        let three = RendezvousAssignment.assign(bots: Self.bots, members: Self.members(["a", "b", "c"]))
        let four = RendezvousAssignment.assign(bots: Self.bots, members: Self.members(["a", "b", "c", "d"]))
        for bot in Self.bots where four[bot] != three[bot] {
            #expect(four[bot] == "d", "\(bot) moved from \(three[bot] ?? "-") to \(four[bot] ?? "-"), not to the new member")
        }
        let two = RendezvousAssignment.assign(bots: Self.bots, members: Self.members(["a", "c"]))
        for bot in Self.bots where three[bot] != "b" {
            #expect(two[bot] == three[bot], "\(bot) was not b's and must stay")
        }
    }

    @Test func capacityBoundsEachMemberAndTheRestWait() {
        let result = RendezvousAssignment.assign(bots: Self.bots, members: Self.members(["a", "b"], capacity: 100))
        #expect(result.count == 200)
        #expect(result.values.filter { $0 == "a" }.count == 100)
        #expect(RendezvousAssignment.assign(bots: Self.bots, members: []).isEmpty)
    }

    @Test func theLeaseAndEpochKeysAreTheStoresOwn() {
        let cluster = ClusterKeys(fleet: "main")
        let store = RedisKeys(fleet: "main", bot: "shop")
        #expect(cluster.lease("shop") == store.lease)
        #expect(cluster.epoch("shop") == store.epoch)
    }
}

import Testing

@testable import BotmasterCluster

/// When a member brings its next round forward: just after an expiry it waits for (another
/// member's membership, or a lease it wants), when that comes before the next regular round.
struct ClusterStateTests {
    @Test func aRoundComesJustAfterAnExpiryDueBeforeTheNextRegularOne() {
        var state = ClusterState()
        state.expectExpiry(in: .seconds(12), before: .seconds(3))
        #expect(state.earlyRound == nil, "a live member renews long before its expiry")
        state.expectExpiry(in: nil, before: .seconds(3))
        #expect(state.earlyRound == nil)
        state.expectExpiry(in: .milliseconds(1200), before: .seconds(3))
        #expect(state.earlyRound == .milliseconds(1300), "just after the expiry, with a margin for the lease renewed after it")
        state.expectExpiry(in: .milliseconds(2500), before: .seconds(3))
        #expect(state.earlyRound == .milliseconds(1300), "the soonest expiry decides")
        state.expectExpiry(in: .zero, before: .seconds(3))
        #expect(state.earlyRound == .milliseconds(100), "already expired: at once, with the margin")
    }
}

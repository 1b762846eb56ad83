import BotRuntime
import Testing

@Suite struct OffsetTrackerTests {
    @Test func theOffsetNeverPassesAnUnfinishedUpdate() {
        var tracker = OffsetTracker()
        #expect(tracker.offset == nil)
        tracker.begin(10)
        tracker.begin(11)
        tracker.begin(12)
        #expect(tracker.offset == 10)
        tracker.finish(11)
        #expect(tracker.offset == 10, "11 is done but 10 is not: confirming 11 would confirm 10")
        tracker.finish(10)
        #expect(tracker.offset == 12)
        tracker.finish(12)
        #expect(tracker.offset == 13)
    }

    @Test func aReReadUpdateIsRecognisedWhileInFlight() {
        var tracker = OffsetTracker()
        let first = tracker.begin(5)
        let again = tracker.begin(5)
        #expect(first)
        #expect(!again)
        #expect(tracker.isInFlight(5))
        tracker.finish(5)
        #expect(!tracker.isInFlight(5))
        tracker.finish(5)
        #expect(tracker.offset == 6)
        #expect(tracker.count == 0)
    }
}

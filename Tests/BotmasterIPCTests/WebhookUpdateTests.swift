import Testing

@testable import BotmasterIPC

@Suite struct WebhookUpdateTests {
    @Test func updateAndAckRoundTrip() throws {
        let update = WebhookUpdate(requestID: 0x0102_0304_0506_0708, body: Array(#"{"update_id":1}"#.utf8))
        let frame = update.frame()
        #expect(frame.type == .update)
        #expect(Array(frame.payload.prefix(8)) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try MasterMessage(frame: frame) == .update(update))
        for result in [UpdateAck.Result.accepted, .duplicate, .busy, .invalid] {
            let ack = UpdateAck(requestID: 42, result: result)
            #expect(try UpdateAck(payload: ack.frame().payload) == ack)
        }
    }

    @Test func malformedUpdatesAndAcksAreProtocolErrors() {
        #expect(throws: ProtocolError.self) { try WebhookUpdate(payload: [1, 2, 3]) }
        #expect(throws: ProtocolError.self) { try UpdateAck(payload: [0, 0, 0, 0, 0, 0, 0, 1, 9]) }
        #expect(throws: ProtocolError.self) { try UpdateAck(payload: [0, 0, 0, 0, 0, 0, 0, 1]) }
    }

    @Test func anAckBeforeTheHelloIsRejectedAndAfterItAccepted() throws {
        var validator = WorkerStreamValidator()
        let ack = UpdateAck(requestID: 1, result: .accepted).frame()
        #expect(throws: ProtocolError.self) { try validator.accept(ack) }
        _ = try validator.accept(Hello(pid: 1, bot: "a", runtime: "t").frame())
        #expect(try validator.accept(ack) == .updateAck(UpdateAck(requestID: 1, result: .accepted)))
        #expect(throws: ProtocolError.self) { try validator.accept(WebhookUpdate(requestID: 1, body: []).frame()) }
    }
}

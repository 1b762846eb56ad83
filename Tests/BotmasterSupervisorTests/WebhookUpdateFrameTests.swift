import BotmasterIPC
import NIOCore
import Testing

@testable import BotmasterSupervisor

/// The webhook path writes update frames straight from the request's buffer; the worker reads
/// them with the protocol module's decoder, so the bytes must be the protocol's own.
@Suite struct WebhookUpdateFrameTests {
    @Test(arguments: [0, 1, 300, 70_000])
    func theBufferHoldsTheProtocolsBytes(bodySize: Int) throws {
        let body = (0..<bodySize).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var request = ByteBuffer(bytes: [9, 9, 9])
        request.moveReaderIndex(forwardBy: 3)  // a body that does not start at the buffer's start
        request.writeBytes(body)
        let id: UInt64 = 0x0102_0304_0506_0708
        let buffer = WebhookUpdate.frameBuffer(requestID: id, body: request, allocator: ByteBufferAllocator())
        #expect(Array(buffer.readableBytesView) == WebhookUpdate(requestID: id, body: body).frame().encoded())
        var decoder = FrameDecoder()
        decoder.append(contentsOf: Array(buffer.readableBytesView))
        let frame = try #require(try decoder.nextFrame())
        #expect(try WebhookUpdate(payload: frame.payload) == WebhookUpdate(requestID: id, body: body))
        #expect(request.readableBytes == bodySize, "the request's buffer is left as it was")
    }
}

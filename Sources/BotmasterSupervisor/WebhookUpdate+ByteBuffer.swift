import BotmasterIPC
import NIOCore

extension WebhookUpdate {
    /// The update frame for `body` as wire bytes in one buffer: the same bytes as
    /// `WebhookUpdate(requestID:body:).frame().encoded()`, written straight from the request's
    /// buffer (the protocol module stays free of NIO, so that path copies the body three times).
    public static func frameBuffer(requestID: UInt64, body: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var body = body
        var buffer = allocator.buffer(capacity: Frame.headerSize + 1 + 8 + body.readableBytes)
        buffer.writeInteger(UInt32(1 + 8 + body.readableBytes))
        buffer.writeInteger(FrameType.update.rawValue)
        buffer.writeInteger(requestID)
        buffer.writeBuffer(&body)
        return buffer
    }
}

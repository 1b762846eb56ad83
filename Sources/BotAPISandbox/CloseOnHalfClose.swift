import NIOCore

/// Closes a connection whose client closed its side. Hummingbird keeps a half-closed
/// connection open to finish the response, so without this a long poll whose caller was
/// killed would wait out its timeout and be recorded as still polling; closed, its
/// connection's close ends the poll at once, as `disconnected` (``PollRecord``).
public final class CloseOnHalfClose: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    public typealias InboundIn = NIOAny

    public init() {}

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

import BotworkerKit
import Glibc
import NIOCore

/// Reads the worker's IPC channel on the bot's event loop and passes every byte to the
/// ``ChannelReader`` the protocol loop handed over: an update then wakes only the thread that
/// runs the engine.
final class MasterChannelReadHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let reader: ChannelReader

    init(reader: ChannelReader) {
        self.reader = reader
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        unwrapInboundIn(data).withUnsafeReadableBytes { reader.receive($0) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        reader.endOfFile()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset is the master going away, as an end of file is.
        if let error = error as? IOError, error.errnoCode == ECONNRESET {
            reader.endOfFile()
        } else {
            reader.failed("reading the channel: \(error)")
        }
        context.close(promise: nil)
    }
}

import AsyncHTTPClient
import NIOCore

/// Holds a connection's flushes until the event loop's current turn is over, so that what the
/// turn wrote leaves in one `writev`.
///
/// AsyncHTTPClient flushes a request's head on its own and then its body: two system calls and
/// two TCP segments per Bot API call, and the server wakes for a head whose body is still on
/// its way (the head's `write` alone was a sixth of a busy worker's CPU). Both are written in
/// the same turn of the loop, so one flush at its end sends both.
final class FlushCoalescingHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = Any

    private var flushScheduled = false

    func flush(context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        // A task enqueued from the loop itself runs before the loop sleeps again, with no
        // wake-up; a channel closed meanwhile has nothing left to flush.
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            context.flush()
        }
    }
}

extension HTTPClient.Configuration {
    /// Makes every HTTP/1.1 connection of the client send what one turn of its event loop
    /// writes with one system call (``FlushCoalescingHandler``): a request's head and body
    /// leave together.
    package mutating func coalesceFlushes() {
        http1_1ConnectionDebugInitializer = { channel in
            channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(FlushCoalescingHandler(), position: .first)
            }
        }
    }
}

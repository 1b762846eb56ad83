import BotmasterConfig
import BotmasterSystem
import Logging
import NIOCore

/// Appends one worker's stdout and stderr to its log file, a timestamp on every line, within
/// the bot's `log_rate`: output over it is dropped, counted, and noted in the log when writing
/// resumes. While over it, the pipe is read only every ``overBudgetReadPause``: draining a
/// pipe as fast as a worker fills it costs a core in copies and wake-ups alone, and the
/// worker's writes wait instead (what is read then is still dropped).
final class WorkerOutputHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Never

    static let overBudgetReadPause: TimeAmount = .milliseconds(100)

    private let id: String
    private let log: RotatingLogFile
    private let volume: WorkerLogVolume
    private let logger: Logger
    private var lines = LineTimestamper()
    private var budget: LogBudget
    private var droppedSinceNotice: UInt64 = 0
    private var warned = false
    private var readPaused = false
    private var readPending = false

    init(id: String, log: RotatingLogFile, volume: WorkerLogVolume, logger: Logger) {
        self.id = id
        self.log = log
        self.volume = volume
        self.logger = logger
        self.budget = LogBudget(bytesPerSecond: volume.bytesPerSecond, now: .now())
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let now = MonotonicTime.now()
        let rate = volume.bytesPerSecond
        if Double(rate) != budget.rate { budget = LogBudget(bytesPerSecond: rate, now: now) }
        guard budget.admit(buffer.readableBytes, now: now) else {
            drop(buffer.readableBytes)
            pauseReading(context)
            return
        }
        let wallClock = WallClock.nowMilliseconds()
        noteDropped(wallClockMs: wallClock)
        // A blocking append to a page-cache file takes microseconds.
        let output = lines.consume(buffer.readableBytesView, wallClockMs: wallClock)
        if !output.isEmpty { log.append(output) }
    }

    func read(context: ChannelHandlerContext) {
        if readPaused {
            readPending = true
        } else {
            context.read()
        }
    }

    private func pauseReading(_ context: ChannelHandlerContext) {
        guard !readPaused else { return }
        readPaused = true
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.overBudgetReadPause) {
            self.readPaused = false
            if self.readPending {
                self.readPending = false
                context.read()
            }
        }
    }

    private func drop(_ count: Int) {
        // The line cut short by the drop is written as it is, not joined to what follows.
        if droppedSinceNotice == 0 { writePartialLine() }
        droppedSinceNotice += UInt64(count)
        if !warned {
            warned = true
            logger.warning(
                "worker's output is over its log_rate; dropping the excess",
                metadata: ["bot": "\(id)", "log_rate": "\(ByteSizeText.format(volume.bytesPerSecond))/s"])
        }
    }

    /// Notes in the log what was dropped since the last notice and counts it: once per notice
    /// rather than per read, so the drop path stays cheap.
    private func noteDropped(wallClockMs: Int64) {
        guard droppedSinceNotice > 0 else { return }
        let notice =
            "[botmaster] dropped \(droppedSinceNotice) bytes of output over log_rate \(ByteSizeText.format(volume.bytesPerSecond))/s\n"
        log.append(Array((LogTimestamp.format(millisecondsSinceEpoch: wallClockMs) + " " + notice).utf8))
        volume.countDropped(droppedSinceNotice)
        SupervisorMetrics.logDropped(bot: id, bytes: Int(clamping: droppedSinceNotice))
        droppedSinceNotice = 0
    }

    private func writePartialLine() {
        let rest = lines.flush(wallClockMs: WallClock.nowMilliseconds())
        if !rest.isEmpty { log.append(rest) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        writePartialLine()
        noteDropped(wallClockMs: WallClock.nowMilliseconds())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

import BotmasterIPC
import BotmasterSystem
import Glibc
import Synchronization

/// The reading of the channel, handed by the protocol loop to a payload that runs its own
/// thread (``WorkerPayload/takeChannelReading(fd:reader:)``): the payload's thread reads the
/// descriptor and passes the bytes here, in order; the frames are carried out on that thread,
/// and only what the protocol loop must do — its heartbeat clock, a drain, the end — is passed
/// back to it.
///
/// A busy webhook bot's update then wakes one thread instead of two: the protocol loop read
/// each frame and woke the payload's event loop for it, two context switches and an `eventfd`
/// round per update when updates come one at a time.
public final class ChannelReader: Sendable {
    private struct State {
        var decoder: FrameDecoder
        /// Set by a drain or the end: later frames are not carried out, as the protocol loop
        /// stops reading at a drain.
        var stopped = false
    }

    private let state: Mutex<State>
    private let dispatcher: MasterFrameDispatcher
    private let directives: DirectiveQueue

    init(buffered: [UInt8], maximumFrameLength: Int, dispatcher: MasterFrameDispatcher, directives: DirectiveQueue) {
        var decoder = FrameDecoder(maximumLength: maximumFrameLength)
        decoder.append(contentsOf: buffered)
        state = Mutex(State(decoder: decoder))
        self.dispatcher = dispatcher
        self.directives = directives
    }

    /// Bytes read from the channel, in the order they came; call from one thread at a time.
    public func receive<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        carryOut(state.withLock { state in Self.append(bytes, to: &state) })
    }

    /// Bytes read from the channel, as the generic form takes them: the form a caller in another
    /// module uses on its hot path, where the generic one would run unspecialized.
    public func receive(_ bytes: UnsafeRawBufferPointer) {
        carryOut(state.withLock { state in Self.append(bytes, to: &state) })
    }

    /// Appends the bytes and takes out every complete frame.
    private static func append(_ bytes: some Sequence<UInt8>, to state: inout State) -> Result<[Frame], ProtocolError> {
        guard !state.stopped else { return .success([]) }
        state.decoder.append(contentsOf: bytes)
        return completeFrames(&state)
    }

    private func carryOut(_ frames: Result<[Frame], ProtocolError>) {
        switch frames {
        case .success(let frames):
            for frame in frames {
                guard let directive = dispatcher.dispatch(frame) else { continue }
                if directive.endsReading { state.withLock { $0.stopped = true } }
                directives.post(directive)
                if directive.endsReading { return }
            }
        case .failure(let error):
            end(.failed("\(error)"))
        }
    }

    /// The master closed its end.
    public func endOfFile() {
        end(.masterGone)
    }

    /// Reading failed; the worker ends with `reason`.
    public func failed(_ reason: String) {
        end(.failed(reason))
    }

    private func end(_ outcome: WorkerRuntime.Outcome) {
        let first = state.withLock { state in
            defer { state.stopped = true }
            return !state.stopped
        }
        if first { directives.post(.end(outcome)) }
    }

    /// Every complete frame in the decoder, or the framing error that ends the reader.
    private static func completeFrames(_ state: inout State) -> Result<[Frame], ProtocolError> {
        var frames: [Frame] = []
        do throws(ProtocolError) {
            while let frame = try state.decoder.nextFrame() { frames.append(frame) }
        } catch {
            return .failure(error)
        }
        return .success(frames)
    }
}

/// Directives from the reader's thread to the protocol loop, which polls ``wakeFD``.
final class DirectiveQueue: Sendable {
    private let queue = Mutex<[ProtocolDirective]>([])
    /// Readable while directives wait.
    let wakeFD: Int32
    private let signalFD: Int32

    init() throws(SystemError) {
        let pipe = try Descriptors.pipe()
        _ = fcntl(pipe.read, F_SETFL, O_NONBLOCK)
        _ = fcntl(pipe.write, F_SETFL, O_NONBLOCK)
        wakeFD = pipe.read
        signalFD = pipe.write
    }

    deinit {
        Descriptors.close(wakeFD)
        Descriptors.close(signalFD)
    }

    /// Queues a directive and wakes the protocol loop.
    func post(_ directive: ProtocolDirective) {
        queue.withLock { $0.append(directive) }
        // A full pipe already wakes the loop: a failed write loses nothing.
        var byte: UInt8 = 1
        _ = write(signalFD, &byte, 1)
    }

    /// Everything queued, oldest first; empties the wake pipe before taking, so a directive
    /// posted meanwhile wakes the loop again.
    func take() -> [ProtocolDirective] {
        var bytes = [UInt8](repeating: 0, count: 64)
        while bytes.withUnsafeMutableBytes({ read(wakeFD, $0.baseAddress, $0.count) }) > 0 {}
        return queue.withLock { queue in
            defer { queue.removeAll() }
            return queue
        }
    }
}

import BotmasterIPC
import Synchronization

/// What a master's frame asks of the protocol loop itself: its heartbeat clock, a drain, or
/// the end of the worker. Everything else a frame asks is done by ``MasterFrameDispatcher``
/// on the thread that read it.
enum ProtocolDirective: Sendable {
    /// Beat every `milliseconds` from now on; `beatNow` after the welcome.
    case heartbeatInterval(milliseconds: Int, beatNow: Bool)
    /// Finish the work in hand and exit.
    case drain
    /// Stop at once, for this reason.
    case end(WorkerRuntime.Outcome)

    /// Whether the frames after it are left unread: the protocol loop drains or ends.
    var endsReading: Bool {
        switch self {
        case .heartbeatInterval: false
        case .drain, .end: true
        }
    }
}

/// Carries out the master's frames for whichever thread reads the channel — the protocol loop,
/// or the payload's own thread once it took the reading over: updates, dead-letter and
/// broadcast actions go to the payload, settings configure it, a log level applies at once;
/// what only the protocol loop can do comes back as a ``ProtocolDirective``.
final class MasterFrameDispatcher: Sendable {
    private let botID: String
    private let payload: (any WorkerPayload)?
    private let writer: FrameWriter
    private let configured = Atomic<Bool>(false)

    /// Whether settings have configured the payload (its runtime runs).
    var hasConfiguredPayload: Bool { configured.load(ordering: .relaxed) }

    init(botID: String, payload: (any WorkerPayload)?, writer: FrameWriter) {
        self.botID = botID
        self.payload = payload
        self.writer = writer
    }

    /// Carries out one frame; a frame that is not a master's message, or an answer that cannot
    /// be written, ends the worker.
    func dispatch(_ frame: Frame) -> ProtocolDirective? {
        do {
            return try handle(frame)
        } catch {
            return .end(.failed("\(error)"))
        }
    }

    private func handle(_ frame: Frame) throws -> ProtocolDirective? {
        switch try MasterMessage(frame: frame) {
        case .welcome(let welcome):
            WorkerLog.setLevel(named: welcome.logLevel)
            if !welcome.settings.isEmpty, let failure = configurePayload(welcome.settings) { return failure }
            return .heartbeatInterval(milliseconds: welcome.heartbeatIntervalMs, beatNow: true)
        case .config(let update):
            if let settings = update.settings, let failure = configurePayload(settings) { return failure }
            return update.heartbeatIntervalMs.map { .heartbeatInterval(milliseconds: $0, beatNow: false) }
        case .update(let update):
            if let payload {
                payload.receive(update)
            } else {
                try writer.write(UpdateAck(requestID: update.requestID, result: .invalid).frame())
            }
        case .deadLetters(let request):
            if let payload {
                payload.deadLetters(request)
            } else {
                try writer.write(DeadLetterReply(requestID: request.requestID, error: "this worker runs no bot", store: "none").frame())
            }
        case .broadcast(let request):
            if let payload {
                payload.broadcast(request)
            } else {
                try writer.write(BroadcastReply(requestID: request.requestID, error: "this worker runs no bot").frame())
            }
        case .logLevel(let change):
            WorkerLog.setLevel(named: change.level)
            WorkerRuntime.say("botworker \(botID): log level \(change.level)")
        case .drain:
            return .drain
        }
        return nil
    }

    private func configurePayload(_ settings: [String: JSONValue]) -> ProtocolDirective? {
        guard let payload else { return nil }
        do {
            try payload.configure(settings: settings, writer: writer)
            configured.store(true, ordering: .relaxed)
            return nil
        } catch {
            return .end(.failed(error.description))
        }
    }
}

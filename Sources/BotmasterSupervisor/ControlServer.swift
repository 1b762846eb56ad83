import BotmasterControl
import BotmasterSystem
import Glibc
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Serves the CLI on `run/control.sock`: one JSON request per line, one JSON response per line.
/// The run directory is owner-only and the socket is made owner-only, so only the fleet's
/// owner (and root) can drive the master.
public struct ControlServer: Service {
    private let socketPath: String
    private let supervisor: Supervisor
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger

    public init(socketPath: String, supervisor: Supervisor, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.socketPath = socketPath
        self.supervisor = supervisor
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Longest request line accepted: most requests are a few dozen bytes, a broadcast's chat
    /// list about 13 bytes per chat (two million chats fit).
    static let maximumRequestBytes = 32 << 20

    public func run() async throws {
        FileSystem.removeFile(socketPath)
        let supervisor = self.supervisor
        let logger = self.logger
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ControlConnectionHandler(supervisor: supervisor, logger: logger))
                }
            }
            .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true)
            .get()
        chmod(socketPath, 0o600)
        // Closed on graceful shutdown and also on cancellation (another service failed): a
        // future's `get()` does not end by itself when the task is cancelled.
        await withTaskCancellationOrGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            channel.close(promise: nil)
        }
        FileSystem.removeFile(socketPath)
    }
}

/// One CLI connection: reads request lines, answers each.
private final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let supervisor: Supervisor
    private let logger: Logger
    private var pending: [UInt8] = []
    /// Bytes of `pending` known to hold no newline: a long request (a broadcast's chat list)
    /// arrives in many reads, and each is searched once.
    private var scanned = 0

    init(supervisor: Supervisor, logger: Logger) {
        self.supervisor = supervisor
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(contentsOf: unwrapInboundIn(data).readableBytesView)
        if pending.count > ControlServer.maximumRequestBytes && !pending[scanned...].contains(0x0A) {
            Self.reply(.failure("request too long"), on: context.channel, close: true)
            return
        }
        while let newline = pending[scanned...].firstIndex(of: 0x0A) {
            let line = Array(pending[..<newline])
            pending.removeSubrange(...newline)
            scanned = 0
            guard let request = try? JSONDecoder().decode(ControlRequest.self, from: Data(line)) else {
                Self.reply(.failure("not a control request (expected one JSON object per line)"), on: context.channel, close: false)
                continue
            }
            Self.answerLater(request, supervisor: supervisor, on: context.channel)
        }
        scanned = pending.count
    }

    /// Answers off the event loop: the supervisor is an actor, and the loop must not wait on it.
    private static func answerLater(_ request: ControlRequest, supervisor: Supervisor, on channel: any Channel) {
        Task {
            reply(await answer(request, supervisor: supervisor), on: channel, close: false)
        }
    }

    private static func answer(_ request: ControlRequest, supervisor: Supervisor) async -> ControlResponse {
        switch request.command {
        case "status":
            return ControlResponse(ok: true, status: await supervisor.status(only: request.id))
        case "describe":
            guard let id = request.id else { return .failure("describe needs a bot id") }
            guard let description = await supervisor.describe(id) else { return .failure("unknown bot id \"\(id)\"") }
            return ControlResponse(ok: true, description: description)
        case "restart":
            guard let id = request.id else { return .failure("restart needs a bot id") }
            if let problem = await supervisor.restart(id) { return .failure(problem) }
            return ControlResponse(ok: true, message: "restarting \(id)")
        case "stop-bot":
            guard let id = request.id else { return .failure("stop-bot needs a bot id") }
            if let problem = await supervisor.stopBot(id) { return .failure(problem) }
            return ControlResponse(ok: true, message: "stopping \(id)")
        case "start-bot":
            guard let id = request.id else { return .failure("start-bot needs a bot id") }
            if let problem = await supervisor.startBot(id) { return .failure(problem) }
            return ControlResponse(ok: true, message: "starting \(id)")
        case "reload":
            switch await supervisor.operatorReload(trigger: "botmaster reload") {
            case .success(let summary): return ControlResponse(ok: true, message: "reloaded: \(summary)")
            case .failure(let problems):
                return .failure("reload rejected, nothing changed:\n" + problems.problems.map(\.description).joined(separator: "\n"))
            }
        case "dlq":
            guard let id = request.id, let action = request.action else { return .failure("dlq needs a bot id and an action") }
            switch await supervisor.deadLetters(id, action: action, key: request.key) {
            case .success(let reply): return ControlResponse(ok: true, deadLetters: reply)
            case .failure(let failure): return .failure(failure.description)
            }
        case "broadcast":
            guard let id = request.id, let broadcast = request.broadcast else { return .failure("broadcast needs a bot id and an action") }
            switch await supervisor.broadcast(id, broadcast) {
            case .success(let broadcasts): return ControlResponse(ok: true, broadcasts: broadcasts)
            case .failure(let failure): return .failure(failure.description)
            }
        case "bot-get":
            guard let id = request.id else { return .failure("bot-get needs a bot id") }
            guard let document = await supervisor.botDocument(id) else { return .failure("unknown bot id \"\(id)\"") }
            return ControlResponse(ok: true, message: document.file, document: document.keys)
        case "bot-put", "bot-patch":
            guard let id = request.id, let document = request.document else {
                return .failure("\(request.command) needs a bot id and a document")
            }
            let change = request.command == "bot-put" ? await supervisor.putBot(id, document) : await supervisor.patchBot(id, document)
            return response(to: change, id: id)
        case "bot-remove":
            guard let id = request.id else { return .failure("bot-remove needs a bot id") }
            return response(to: await supervisor.removeBot(id), id: id)
        case "stop":
            supervisor.shutdown()
            return ControlResponse(ok: true, message: "stopping")
        default:
            return .failure("unknown command \"\(request.command)\"")
        }
    }

    private static func response(to change: FleetChange, id: String) -> ControlResponse {
        switch change {
        case .applied(let summary, _): ControlResponse(ok: true, message: "reloaded: \(summary)")
        case .invalid(let problems):
            ControlResponse(ok: false, error: "the fleet would not be valid; nothing changed", problems: problems.map(\.description))
        case .notFound: .failure("unknown bot id \"\(id)\"")
        case .failed(let reason): .failure(reason)
        case .definedBySource: .failure(FleetChange.definedBySourceMessage(id))
        }
    }

    private static func reply(_ response: ControlResponse, on channel: any Channel, close: Bool) {
        var bytes = (try? JSONEncoder().encode(response)).map { Array($0) } ?? Array("{\"ok\":false}".utf8)
        bytes.append(0x0A)
        let write = channel.writeAndFlush(ByteBuffer(bytes: bytes))
        if close { write.whenComplete { _ in channel.close(promise: nil) } }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

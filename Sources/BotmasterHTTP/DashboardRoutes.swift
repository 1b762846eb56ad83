import BotmasterIPC
import BotmasterSupervisor
import BotmasterSystem
import Hummingbird

/// What the dashboard reads and does beyond the status document: the fleet's and each bot's
/// history, a bot's recent log lines and dead letters, and the restart and retry buttons.
///
/// The actions are POSTs behind the status token like every route, refused (as fleet changes
/// are) on a server that listens beyond loopback without one, and refused when a browser sends
/// them from another site's page (its `Origin` is not this server), so a page elsewhere cannot
/// make an operator's browser restart bots.
enum DashboardRoutes {
    /// Lines `GET /api/workers/<id>/logs` returns at most.
    static let maximumLogLines = 1000

    struct LogLines: Encodable {
        var file: String
        var lines: [String]
    }

    /// A dead letter as the HTTP API shows it: without the messages' texts, which only
    /// `botmaster dlq show` on the host prints.
    struct DeadLetter: Encodable {
        var key: String
        var chat: Int64
        var kind: String
        var updateIDs: [Int64]
        var attempts: Int
        var lastError: String
        var atMs: Int64
        var messages: Int

        init(_ entry: DeadLetterEntry) {
            (key, chat, kind, updateIDs) = (entry.key, entry.chat, entry.kind, entry.updateIDs)
            (attempts, lastError, atMs, messages) = (entry.attempts, entry.lastError, entry.atMs, entry.texts.count)
        }

        enum CodingKeys: String, CodingKey {
            case key, chat, kind, attempts, messages
            case updateIDs = "update_ids", lastError = "last_error", atMs = "at_ms"
        }
    }

    struct DeadLetters: Encodable {
        var store: String
        var entries: [DeadLetter]
    }

    struct ActionBody: Encodable {
        var ok: Bool
        var message: String
    }

    static func add(to router: Router<BasicRequestContext>, supervisor: Supervisor, history: FleetHistory?, actionsAllowed: Bool) {
        if let history {
            router.get("/api/history") { _, _ in JSONResponses.json(history.series(of: nil)) }
            router.get("/api/workers/:id/history") { _, context in
                let id = try context.parameters.require("id")
                if let series = history.series(of: id) { return JSONResponses.json(series) }
                // A bot the master knows but has not sampled yet.
                guard await supervisor.logPath(of: id) != nil else { return JSONResponses.error(.notFound, "unknown bot id \"\(id)\"") }
                return JSONResponses.json(history.empty)
            }
        }
        router.get("/api/workers/:id/logs") { request, context in
            let id = try context.parameters.require("id")
            guard let path = await supervisor.logPath(of: id) else { return JSONResponses.error(.notFound, "unknown bot id \"\(id)\"") }
            let wanted = request.uri.queryParameters.get("lines", as: Int.self) ?? 100
            guard (1...maximumLogLines).contains(wanted) else {
                return JSONResponses.error(.badRequest, "lines must be 1 to \(maximumLogLines)")
            }
            let tail = LogTail(path: path)?.readLast(lines: wanted) ?? []
            let lines = tail.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
            return JSONResponses.json(LogLines(file: path, lines: lines))
        }
        router.get("/api/workers/:id/dead-letters") { _, context in
            let id = try context.parameters.require("id")
            switch await supervisor.deadLetters(id, action: .list, key: nil) {
            case .success(let reply):
                return JSONResponses.json(DeadLetters(store: reply.store, entries: (reply.entries ?? []).map(DeadLetter.init)))
            case .failure(let failure):
                return await failureResponse(failure.description, id: id, supervisor: supervisor)
            }
        }
        router.post("/api/workers/:id/restart") { request, context in
            let id = try context.parameters.require("id")
            if let refusal = refusal(request, actionsAllowed) { return refusal }
            if let problem = await supervisor.restart(id) { return await failureResponse(problem, id: id, supervisor: supervisor) }
            return JSONResponses.json(ActionBody(ok: true, message: "restarting \(id)"))
        }
        router.post("/api/workers/:id/dead-letters/retry") { request, context in
            let id = try context.parameters.require("id")
            if let refusal = refusal(request, actionsAllowed) { return refusal }
            let key = request.uri.queryParameters["key"].map(String.init)
            switch await supervisor.deadLetters(id, action: .retry, key: key) {
            case .success(let reply):
                return JSONResponses.json(ActionBody(ok: true, message: "retrying \(reply.count ?? 0) dead letters of \(id)"))
            case .failure(let failure):
                return await failureResponse(failure.description, id: id, supervisor: supervisor)
            }
        }
    }

    /// 404 for an unknown bot, 409 for a bot that cannot do it now (stopped, not a bot).
    static func failureResponse(_ problem: String, id: String, supervisor: Supervisor) async -> Response {
        await supervisor.logPath(of: id) == nil
            ? JSONResponses.error(.notFound, "unknown bot id \"\(id)\"") : JSONResponses.error(.conflict, problem)
    }

    static func refusal(_ request: Request, _ actionsAllowed: Bool) -> Response? {
        guard actionsAllowed else { return JSONResponses.refusedWithoutToken("act on bots") }
        // Browsers name the page's origin on every cross-site POST; curl and the CLI send none.
        if let origin = request.headers[.origin], let host = request.head.authority,
            origin != "http://\(host)" && origin != "https://\(host)"
        {
            return JSONResponses.error(.forbidden, "a page of \(origin) cannot act on this master")
        }
        return nil
    }
}

import BotmasterIPC
import TOMLKit

extension WorkerDefinitionParser {
    /// Top-level keys that make a file a bot for the bundled runtime.
    static let botKeys: Set<String> = [
        "token_env", "token_file", "mode", "api_base", "batch", "dedup", "rate", "handler", "retry", "handoff", "store",
    ]
    static let sectionKeys: [String: Set<String>] = [
        "batch": ["quiet", "max_messages", "max_wait"],
        "dedup": ["window", "max_entries"],
        "rate": ["per_second", "per_chat_per_second", "broadcast_per_second", "broadcast_share"],
        "handler": ["kind", "url", "timeout", "argv", "concurrency"],
        "retry": ["max_attempts", "base_delay", "max_delay"],
        "handoff": ["operator_chat_id", "start_command", "stop_command"],
    ]
}

// The bot runtime's keys: `token_env`/`token_file`, `mode`, `api_base`, `store` and the `[batch]`,
// `[dedup]`, `[rate]`, `[handler]`, `[retry]` and `[handoff]` sections.
extension TableReader {
    mutating func bot(from table: TOMLTable) -> BotSettings? {
        guard sourceToken != nil || table.keys.contains(where: { WorkerDefinitionParser.botKeys.contains($0) }) else { return nil }
        var bot = BotSettings()
        bot.tokenEnv = string(table, "token_env")
        bot.tokenFile = string(table, "token_file")
        switch (bot.tokenEnv, bot.tokenFile) {
        case _ where sourceToken != nil:
            if bot.tokenEnv != nil || bot.tokenFile != nil {
                problem(bot.tokenEnv != nil ? "token_env" : "token_file", "the fleet source gives this bot's token; leave this key out")
            }
            bot.token = sourceToken.map(SecretText.init)
        case (nil, nil):
            problem("token_env", "a bot needs token_env (a variable's name) or token_file (a path); the token is never written inline")
        case (.some, .some):
            problem("token_file", "set token_env or token_file, not both")
        case (.some(let name), nil) where name.isEmpty || name.contains("=") || name.contains(":"):
            problem("token_env", "must name an environment variable (such as \"SUPPORT_BOT_TOKEN\"), not the token itself")
        case (nil, .some(let path)) where BotTokenShape.appears(in: path):
            problem("token_file", "must be the path of a file that holds the token, not the token itself")
        case (nil, .some(let path)) where path.isEmpty:
            problem("token_file", "must be the path of a file that holds the token")
        default: break
        }
        if let text = string(table, "mode") {
            if let mode = BotSettings.Mode(rawValue: text) {
                bot.mode = mode
            } else {
                problem("mode", "\"\(text)\" is not a mode (use \"polling\" or \"webhook\")")
            }
        }
        if let text = string(table, "store") {
            if let store = BotSettings.Store(rawValue: text) {
                bot.store = store
            } else {
                problem("store", "\"\(text)\" is not a store (use \"sqlite\", \"redis\" or \"memory\")")
            }
        }
        if let base = string(table, "api_base") {
            if base.hasPrefix("http://") || base.hasPrefix("https://") {
                bot.apiBase = base.hasSuffix("/") ? String(base.dropLast()) : base
            } else {
                problem("api_base", "\"\(base)\" must be an http:// or https:// URL")
            }
        }
        if let batch = section(table, "batch") {
            milliseconds(batch, "batch", "quiet", into: &bot.batch.quietMs, minimum: 0)
            milliseconds(batch, "batch", "max_wait", into: &bot.batch.maxWaitMs, minimum: 0)
            count(batch, "batch", "max_messages", into: &bot.batch.maxMessages, minimum: 1)
        }
        if let dedup = section(table, "dedup") {
            milliseconds(dedup, "dedup", "window", into: &bot.dedup.windowMs, minimum: 0)
            count(dedup, "dedup", "max_entries", into: &bot.dedup.maxEntries, minimum: 1)
        }
        if let rate = section(table, "rate") {
            rateValue(rate, "per_second", into: &bot.rate.perSecond)
            rateValue(rate, "per_chat_per_second", into: &bot.rate.perChatPerSecond)
            rateValue(rate, "broadcast_per_second", into: &bot.rate.broadcastPerSecond)
            if bot.rate.broadcastPerSecond > BroadcastRequest.maximumRate {
                problem("rate.broadcast_per_second", "must be at most \(Int(BroadcastRequest.maximumRate)) (Telegram's paid broadcasts)")
            }
            if let value = rate["broadcast_share"] {
                if let share = value.double ?? value.int.map(Double.init), share > 0, share < 1 {
                    bot.rate.broadcastShare = share
                } else {
                    problem(
                        "rate.broadcast_share",
                        "must be a fraction above 0 and below 1 (the part of per_second a broadcast may use), not \(describe(value))")
                }
            }
        }
        if let handler = section(table, "handler") { parseHandler(handler, into: &bot.handler) }
        if let retry = section(table, "retry") {
            count(retry, "retry", "max_attempts", into: &bot.retry.maxAttempts, minimum: 1)
            milliseconds(retry, "retry", "base_delay", into: &bot.retry.baseDelayMs, minimum: 0)
            milliseconds(retry, "retry", "max_delay", into: &bot.retry.maxDelayMs, minimum: 0)
        }
        if let handoff = section(table, "handoff") {
            if let value = handoff["operator_chat_id"] {
                if let id = value.int {
                    bot.handoff.operatorChatID = Int64(id)
                } else {
                    problem("handoff.operator_chat_id", "must be a chat id (a whole number), not \(describe(value))")
                }
            }
            command(handoff, "start_command", into: &bot.handoff.startCommand)
            command(handoff, "stop_command", into: &bot.handoff.stopCommand)
        }
        return bot
    }

    private mutating func parseHandler(_ table: TOMLTable, into handler: inout BotSettings.Handler) {
        if let text = sectionString(table, "handler", "kind") {
            if let kind = BotSettings.Handler.Kind(rawValue: text) {
                handler.kind = kind
            } else {
                problem("handler.kind", "\"\(text)\" is not a handler (use \"echo\", \"http\" or \"command\")")
            }
        }
        handler.url = sectionString(table, "handler", "url")
        if let value = table["argv"] {
            if let array = value.array, let argv = strings(array, key: "handler.argv"), !argv.isEmpty, !argv[0].isEmpty {
                handler.argv = argv
            } else {
                problem("handler.argv", "must be a non-empty array of strings such as [\"python3\", \"reply.py\"]")
            }
        }
        milliseconds(table, "handler", "timeout", into: &handler.timeoutMs, minimum: 1)
        count(table, "handler", "concurrency", into: &handler.concurrency, minimum: 1)
        switch handler.kind {
        case .http:
            if let url = handler.url {
                if !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                    problem("handler.url", "\"\(url)\" must be an http:// or https:// URL")
                }
            } else {
                problem("handler.url", "kind = \"http\" needs the backend's url")
            }
        case .command where handler.argv == nil && table["argv"] == nil:
            problem("handler.argv", "kind = \"command\" needs argv, the program to run")
        default: break
        }
    }

    private mutating func section(_ table: TOMLTable, _ name: String) -> TOMLTable? {
        guard let value = table[name] else { return nil }
        guard let section = value.table else {
            problem(name, "must be a table ([\(name)]), not \(describe(value))")
            return nil
        }
        let known = WorkerDefinitionParser.sectionKeys[name] ?? []
        for key in section.keys where !known.contains(key) {
            problem("\(name).\(key)", "unknown key (known: \(known.sorted().joined(separator: ", ")))")
        }
        return section
    }

    private mutating func sectionString(_ table: TOMLTable, _ section: String, _ key: String) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else {
            problem("\(section).\(key)", "must be a string, not \(describe(value))")
            return nil
        }
        return text
    }

    private mutating func milliseconds(_ table: TOMLTable, _ section: String, _ key: String, into target: inout Int, minimum: Int) {
        var duration = Duration.milliseconds(target)
        self.duration(table, key, into: &duration, minimum: .milliseconds(minimum), section: section)
        target = Int(duration.millisecondsClamped)
    }

    private mutating func count(_ table: TOMLTable, _ section: String, _ key: String, into target: inout Int, minimum: Int) {
        guard let value = table[key] else { return }
        guard let number = value.int, number >= minimum else {
            problem("\(section).\(key)", "must be a whole number ≥ \(minimum), not \(describe(value))")
            return
        }
        target = number
    }

    private mutating func rateValue(_ table: TOMLTable, _ key: String, into target: inout Double) {
        guard let value = table[key] else { return }
        let number = value.double ?? value.int.map(Double.init)
        guard let number, number > 0, number.isFinite else {
            problem("rate.\(key)", "must be a number of messages per second above 0, not \(describe(value))")
            return
        }
        target = number
    }

    private mutating func command(_ table: TOMLTable, _ key: String, into target: inout String) {
        guard let text = sectionString(table, "handoff", key) else { return }
        guard text.hasPrefix("/"), text.count > 1, !text.contains(" ") else {
            problem("handoff.\(key)", "\"\(text)\" must be a bot command such as \"/operator\"")
            return
        }
        target = text
    }
}

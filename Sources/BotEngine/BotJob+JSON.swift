import BotAPI
import BotmasterIPC

/// Job documents are written and read once or more per update by the durable stores; a
/// generic `JSONEncoder` and `JSONDecoder` were a tenth of a worker's CPU with SQLite. The
/// documents written here are the ones `encode(to:)` describes (a test decodes them with
/// `JSONDecoder` and compares), and the reader takes whatever `JSONDecoder` would, falling back
/// to it for anything unusual (documents written by Lua scripts, by older versions).
extension BotJob {
    /// The job's stored document.
    package var document: [UInt8] {
        var out = JSONWriter(capacity: 96 + messages.count * 96)
        out.raw("{\"chat\":")
        out.integer(chatID)
        out.raw(",\"kind\":")
        out.string(kind.rawValue)
        if !messages.isEmpty {
            out.raw(",\"messages\":[")
            for (index, message) in messages.enumerated() {
                if index > 0 { out.raw(",") }
                message.write(to: &out)
            }
            out.raw("]")
        }
        out.raw(",\"updates\":")
        out.integers(updateIDs)
        out.integerIfPresent(",\"message_id\":", messageID)
        out.integerIfPresent(",\"operator_chat\":", operatorChatID)
        out.stringIfPresent(",\"tag\":", tag)
        if failures > 0 {
            out.raw(",\"failures\":")
            out.integer(Int64(failures))
        }
        if retried { out.raw(",\"retried\":true") }
        if let reply {
            out.raw(",\"reply\":{")
            var separator: StaticString = ""
            if let text = reply.reply {
                out.raw("\"reply\":")
                out.string(text)
                separator = ","
            }
            if let handoff = reply.handoff {
                out.raw(separator)
                out.raw("\"handoff\":")
                out.bool(handoff)
            }
            out.raw("}")
        }
        if !stepsDone.isEmpty {
            out.raw(",\"steps\":")
            out.integers(stepsDone.sorted().map(Int64.init))
        }
        out.raw("}")
        return out.bytes
    }
}

extension BotJob: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var seen = JSONReader.SeenFields()
        var chatID: Int64?
        var kind: Kind?
        var messages: [JobMessage]?
        var updateIDs: [Int64]?
        var messageID: Int64?
        var operatorChatID: Int64?
        var tag: String?
        var failures: Int?
        var retried: Bool?
        var reply: HandlerReply?
        var steps: [Int]?
        try reader.object { reader, key throws(JSONReader.Failure) in
            if key == "chat" {
                try seen.mark(0)
                chatID = try reader.int64()
            } else if key == "kind" {
                try seen.mark(1)
                guard let known = Kind(rawValue: try reader.string()) else { throw JSONReader.Failure() }
                kind = known
            } else if key == "messages" {
                try seen.mark(2)
                messages = try reader.optional([JobMessage].self)
            } else if key == "updates" {
                try seen.mark(3)
                updateIDs = try reader.optional { reader throws(JSONReader.Failure) in
                    try reader.array { reader throws(JSONReader.Failure) in try reader.int64() }
                }
            } else if key == "message_id" {
                try seen.mark(4)
                messageID = try reader.optionalInt64()
            } else if key == "operator_chat" {
                try seen.mark(5)
                operatorChatID = try reader.optionalInt64()
            } else if key == "tag" {
                try seen.mark(6)
                tag = try reader.optionalString()
            } else if key == "failures" {
                try seen.mark(7)
                failures = try reader.optionalInt()
            } else if key == "retried" {
                try seen.mark(8)
                retried = try reader.optionalBool()
            } else if key == "reply" {
                try seen.mark(9)
                reply = try reader.optional(HandlerReply.self)
            } else if key == "steps" {
                try seen.mark(10)
                steps = try reader.optional { reader throws(JSONReader.Failure) in
                    try reader.array { reader throws(JSONReader.Failure) in try reader.int() }
                }
            } else {
                try reader.skip()
            }
        }
        guard let chatID, let kind else { throw JSONReader.Failure() }
        let batch = messages ?? []
        // The same defaults as `init(from:)`.
        self.init(
            chatID: chatID, kind: kind, messages: batch, updateIDs: updateIDs ?? batch.map(\.updateID), messageID: messageID,
            operatorChatID: operatorChatID, tag: tag)
        self.failures = failures ?? 0
        self.retried = retried ?? (self.failures > 0)
        self.reply = reply
        self.stepsDone = Set(steps ?? [])
    }
}

extension JobMessage: JSONReadable {
    /// The message as a batch's stored document.
    package var document: [UInt8] {
        var out = JSONWriter(capacity: 96 + text.utf8.count)
        write(to: &out)
        return out.bytes
    }

    func write(to out: inout JSONWriter) {
        out.raw("{\"update_id\":")
        out.integer(updateID)
        out.raw(",\"message_id\":")
        out.integer(messageID)
        out.raw(",\"text\":")
        out.string(text)
        out.integerIfPresent(",\"user_id\":", userID)
        out.stringIfPresent(",\"first_name\":", firstName)
        out.stringIfPresent(",\"username\":", username)
        out.stringIfPresent(",\"chat_type\":", chatType)
        out.raw("}")
    }

    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var seen = JSONReader.SeenFields()
        var updateID: Int64?
        var messageID: Int64?
        var text: String?
        var userID: Int64?
        var firstName: String?
        var username: String?
        var chatType: String?
        try reader.object { reader, key throws(JSONReader.Failure) in
            if key == "update_id" {
                try seen.mark(0)
                updateID = try reader.int64()
            } else if key == "message_id" {
                try seen.mark(1)
                messageID = try reader.int64()
            } else if key == "text" {
                try seen.mark(2)
                text = try reader.string()
            } else if key == "user_id" {
                try seen.mark(3)
                userID = try reader.optionalInt64()
            } else if key == "first_name" {
                try seen.mark(4)
                firstName = try reader.optionalString()
            } else if key == "username" {
                try seen.mark(5)
                username = try reader.optionalString()
            } else if key == "chat_type" {
                try seen.mark(6)
                chatType = try reader.optionalString()
            } else {
                try reader.skip()
            }
        }
        guard let updateID, let messageID, let text else { throw JSONReader.Failure() }
        self.init(
            updateID: updateID, messageID: messageID, text: text, userID: userID, firstName: firstName, username: username,
            chatType: chatType)
    }
}

extension HandlerReply: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var seen = JSONReader.SeenFields()
        var reply: String?
        var handoff: Bool?
        try reader.object { reader, key throws(JSONReader.Failure) in
            if key == "reply" {
                try seen.mark(0)
                reply = try reader.optionalString()
            } else if key == "handoff" {
                try seen.mark(1)
                handoff = try reader.optionalBool()
            } else {
                try reader.skip()
            }
        }
        self.init(reply: reply, handoff: handoff)
    }
}

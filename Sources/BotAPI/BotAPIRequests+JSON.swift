import BotmasterIPC

// Bot API request bodies written by hand: `JSONEncoder` was 3 % of a busy worker's CPU for
// `sendMessage` alone. Each type writes what its `Encodable` conformance encodes (optional
// parameters left out when absent); a test decodes the writing with `JSONDecoder` and compares.

extension GetUpdates: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object {
            $0.integer("offset", offset)
            $0.integer("limit", limit.map(Int64.init))
            $0.integer("timeout", timeout.map(Int64.init))
            $0.strings("allowed_updates", allowedUpdates)
        }
    }
}

extension ReplyParameters: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object {
            $0.integer("message_id", messageID)
            $0.bool("allow_sending_without_reply", allowSendingWithoutReply)
        }
    }
}

extension SendMessage: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object {
            $0.integer("chat_id", chatID)
            $0.string("text", text)
            $0.value("reply_parameters", replyParameters)
            $0.string("parse_mode", parseMode)
        }
    }
}

extension MessageTransfer: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object {
            $0.integer("chat_id", chatID)
            $0.integer("from_chat_id", fromChatID)
            $0.integer("message_id", messageID)
        }
    }
}

extension SetWebhook: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object {
            $0.string("url", url)
            $0.string("secret_token", secretToken)
            $0.strings("allowed_updates", allowedUpdates)
            $0.bool("drop_pending_updates", dropPendingUpdates)
        }
    }
}

extension DeleteWebhook: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object {
            $0.bool("drop_pending_updates", dropPendingUpdates)
        }
    }
}

extension NoParameters: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.raw("{}")
    }
}

// The requests read by hand, for the sandbox, which reads one per call: `JSONDecoder` takes
// whatever the reader leaves to it (``JSONReadable/decode(_:)-([UInt8])``) and gives the same
// value or the same refusal.

extension ReplyParameters: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var seen = JSONReader.SeenFields()
        var messageID: Int64?
        var allowSendingWithoutReply: Bool?
        try reader.object { reader, key throws(JSONReader.Failure) in
            if key == "message_id" {
                try seen.mark(0)
                messageID = try reader.int64()
            } else if key == "allow_sending_without_reply" {
                try seen.mark(1)
                allowSendingWithoutReply = try reader.optionalBool()
            } else {
                try reader.skip()
            }
        }
        guard let messageID else { throw JSONReader.Failure() }
        self.init(messageID: messageID, allowSendingWithoutReply: allowSendingWithoutReply)
    }
}

extension SendMessage: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var seen = JSONReader.SeenFields()
        var chatID: Int64?
        var text: String?
        var replyParameters: ReplyParameters?
        var parseMode: String?
        try reader.object { reader, key throws(JSONReader.Failure) in
            if key == "chat_id" {
                try seen.mark(0)
                chatID = try reader.int64()
            } else if key == "text" {
                try seen.mark(1)
                text = try reader.string()
            } else if key == "reply_parameters" {
                try seen.mark(2)
                replyParameters = try reader.optional(ReplyParameters.self)
            } else if key == "parse_mode" {
                try seen.mark(3)
                parseMode = try reader.optionalString()
            } else {
                try reader.skip()
            }
        }
        guard let chatID, let text else { throw JSONReader.Failure() }
        self.init(chatID: chatID, text: text, replyParameters: replyParameters, parseMode: parseMode)
    }
}

extension MessageTransfer: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var seen = JSONReader.SeenFields()
        var chatID: Int64?
        var fromChatID: Int64?
        var messageID: Int64?
        try reader.object { reader, key throws(JSONReader.Failure) in
            if key == "chat_id" {
                try seen.mark(0)
                chatID = try reader.int64()
            } else if key == "from_chat_id" {
                try seen.mark(1)
                fromChatID = try reader.int64()
            } else if key == "message_id" {
                try seen.mark(2)
                messageID = try reader.int64()
            } else {
                try reader.skip()
            }
        }
        guard let chatID, let fromChatID, let messageID else { throw JSONReader.Failure() }
        self.init(chatID: chatID, fromChatID: fromChatID, messageID: messageID)
    }
}

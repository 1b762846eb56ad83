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

import BotmasterIPC

// The Bot API's objects written by hand, for the sandbox, which answers every call with one:
// `JSONEncoder` was a tenth of its CPU per `sendMessage`. Keys in sorted order and strings
// escaped as `JSONEncoder` escapes them with `.sortedKeys` and `.withoutEscapingSlashes`, the
// sandbox's encoder settings: the bytes are the same (a test compares them).

extension User: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object {
            $0.string("first_name", firstName)
            $0.integer("id", id)
            $0.bool("is_bot", isBot)
            $0.string("last_name", lastName)
            $0.string("username", username)
        }
    }
}

extension Chat: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object {
            $0.string("first_name", firstName)
            $0.integer("id", id)
            $0.string("title", title)
            $0.string("type", type)
            $0.string("username", username)
        }
    }
}

extension RepliedMessage: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object {
            $0.value("chat", chat)
            $0.integer("date", date)
            $0.value("from", from)
            $0.integer("message_id", messageID)
            $0.string("text", text)
        }
    }
}

extension Message: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object {
            $0.value("chat", chat)
            $0.integer("date", date)
            $0.value("from", from)
            $0.integer("message_id", messageID)
            $0.value("reply_to_message", replyToMessage)
            $0.string("text", text)
        }
    }
}

extension MessageID: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object { $0.integer("message_id", messageID) }
    }
}

extension Update: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object {
            $0.value("edited_message", editedMessage)
            $0.value("message", message)
            $0.integer("update_id", updateID)
        }
    }
}

extension ResponseParameters: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object {
            $0.integer("migrate_to_chat_id", migrateToChatID)
            $0.integer("retry_after", retryAfter.map(Int64.init))
        }
    }
}

extension Bool: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.bool(self)
    }
}

extension Array: JSONWritable where Element: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.raw("[")
        for (index, element) in enumerated() {
            if index > 0 { json.raw(",") }
            element.write(to: &json)
        }
        json.raw("]")
    }
}

extension APIResponse: JSONWritable where Result: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object {
            $0.string("description", description)
            $0.integer("error_code", errorCode.map(Int64.init))
            $0.bool("ok", ok)
            $0.value("parameters", parameters)
            $0.value("result", result)
        }
    }
}

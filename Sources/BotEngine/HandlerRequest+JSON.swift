import BotAPI
import BotmasterIPC

/// The `http` handler posts one of these per job, so it is written by hand as the job
/// documents are: `JSONEncoder` was most of the handler's own CPU per job (`botmaster-bench
/// --pipeline-only` times both). The document is the one `Encodable` describes — the same
/// keys, absent optionals left out — and a test decodes it with `JSONDecoder` and compares.
extension HandlerRequest: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object { fields in
            fields.string("bot", bot)
            fields.value("chat", chat)
            fields.value("user", user)
            fields.string("text", text)
            fields.value("messages", messages)
        }
    }
}

extension HandlerRequest.ChatInfo: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object { fields in
            fields.integer("id", id)
            fields.string("type", type)
        }
    }
}

extension HandlerRequest.UserInfo: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object { fields in
            fields.integer("id", id)
            fields.string("first_name", firstName)
            fields.string("username", username)
        }
    }
}

extension HandlerRequest.OriginalMessage: JSONWritable {
    package func write(to json: inout JSONWriter) {
        json.object { fields in
            fields.integer("update_id", updateID)
            fields.integer("message_id", messageID)
            fields.string("text", text)
        }
    }
}

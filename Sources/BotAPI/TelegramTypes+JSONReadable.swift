import BotmasterIPC
import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension JSONReadable {
    /// The value in a buffer's readable bytes, as ``decode(_:)-([UInt8])``.
    package static func decode(_ buffer: ByteBuffer) throws -> Self {
        let fast = buffer.withUnsafeReadableBytes { raw in
            try? JSONReader.read(raw) { reader throws(JSONReader.Failure) in try Self(reading: &reader) }
        }
        if let fast { return fast }
        return try JSONDecoder().decode(Self.self, from: Data(buffer.readableBytesView))
    }
}

extension Bool: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        self = try reader.bool()
    }
}

extension Array: JSONReadable where Element: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        self = try reader.array { element throws(JSONReader.Failure) in try Element(reading: &element) }
    }
}

extension User: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var seen = JSONReader.SeenFields()
        var id: Int64?
        var isBot: Bool?
        var firstName: String?
        var lastName: String?
        var username: String?
        try reader.object { reader, key throws(JSONReader.Failure) in
            if key == "id" {
                try seen.mark(0)
                id = try reader.int64()
            } else if key == "is_bot" {
                try seen.mark(1)
                isBot = try reader.bool()
            } else if key == "first_name" {
                try seen.mark(2)
                firstName = try reader.string()
            } else if key == "last_name" {
                try seen.mark(3)
                lastName = try reader.optionalString()
            } else if key == "username" {
                try seen.mark(4)
                username = try reader.optionalString()
            } else {
                try reader.skip()
            }
        }
        guard let id, let isBot, let firstName else { throw JSONReader.Failure() }
        self.init(id: id, isBot: isBot, firstName: firstName, lastName: lastName, username: username)
    }
}

extension Chat: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var seen = JSONReader.SeenFields()
        var id: Int64?
        var type: String?
        var title: String?
        var username: String?
        var firstName: String?
        try reader.object { reader, key throws(JSONReader.Failure) in
            if key == "id" {
                try seen.mark(0)
                id = try reader.int64()
            } else if key == "type" {
                try seen.mark(1)
                type = try reader.string()
            } else if key == "title" {
                try seen.mark(2)
                title = try reader.optionalString()
            } else if key == "username" {
                try seen.mark(3)
                username = try reader.optionalString()
            } else if key == "first_name" {
                try seen.mark(4)
                firstName = try reader.optionalString()
            } else {
                try reader.skip()
            }
        }
        guard let id, let type else { throw JSONReader.Failure() }
        self.init(id: id, type: type, title: title, username: username, firstName: firstName)
    }
}

/// The fields `Message` and `RepliedMessage` share, read once for both.
private struct MessageFields {
    /// The first field number free for a type's own fields beside the shared ones.
    static let firstOwnField = 5
    var seen = JSONReader.SeenFields()
    var messageID: Int64?
    var date: Int64?
    var chat: Chat?
    var from: User?
    var text: String?

    /// Reads the field under `key` if it is a shared one; false for any other key.
    mutating func read(_ key: JSONReader.Key, from reader: inout JSONReader) throws(JSONReader.Failure) -> Bool {
        if key == "message_id" {
            try seen.mark(0)
            messageID = try reader.int64()
        } else if key == "date" {
            try seen.mark(1)
            date = try reader.optionalInt64()
        } else if key == "chat" {
            try seen.mark(2)
            chat = try Chat(reading: &reader)
        } else if key == "from" {
            try seen.mark(3)
            from = try reader.optional(User.self)
        } else if key == "text" {
            try seen.mark(4)
            text = try reader.optionalString()
        } else {
            return false
        }
        return true
    }
}

extension RepliedMessage: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var fields = MessageFields()
        try reader.object { reader, key throws(JSONReader.Failure) in
            if try !fields.read(key, from: &reader) { try reader.skip() }
        }
        guard let messageID = fields.messageID, let chat = fields.chat else { throw JSONReader.Failure() }
        self.init(messageID: messageID, date: fields.date, chat: chat, from: fields.from, text: fields.text)
    }
}

extension Message: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var fields = MessageFields()
        var replyToMessage: RepliedMessage?
        try reader.object { reader, key throws(JSONReader.Failure) in
            if try fields.read(key, from: &reader) { return }
            if key == "reply_to_message" {
                try fields.seen.mark(MessageFields.firstOwnField)
                replyToMessage = try reader.optional(RepliedMessage.self)
            } else {
                try reader.skip()
            }
        }
        // `date` is required in a message (it is optional only in the message replied to).
        guard let messageID = fields.messageID, let date = fields.date, let chat = fields.chat else { throw JSONReader.Failure() }
        self.init(messageID: messageID, date: date, chat: chat, from: fields.from, text: fields.text, replyToMessage: replyToMessage)
    }
}

extension Update: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var seen = JSONReader.SeenFields()
        var updateID: Int64?
        var message: Message?
        var editedMessage: Message?
        try reader.object { reader, key throws(JSONReader.Failure) in
            if key == "update_id" {
                try seen.mark(0)
                updateID = try reader.int64()
            } else if key == "message" {
                try seen.mark(1)
                message = try reader.optional(Message.self)
            } else if key == "edited_message" {
                try seen.mark(2)
                editedMessage = try reader.optional(Message.self)
            } else {
                try reader.skip()
            }
        }
        guard let updateID else { throw JSONReader.Failure() }
        self.init(updateID: updateID, message: message, editedMessage: editedMessage)
    }
}

extension MessageID: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var messageID: Int64?
        try reader.object { reader, key throws(JSONReader.Failure) in
            if key == "message_id" {
                guard messageID == nil else { throw JSONReader.Failure() }
                messageID = try reader.int64()
            } else {
                try reader.skip()
            }
        }
        guard let messageID else { throw JSONReader.Failure() }
        self.init(messageID: messageID)
    }
}

extension ResponseParameters: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var seen = JSONReader.SeenFields()
        var retryAfter: Int?
        var migrateToChatID: Int64?
        try reader.object { reader, key throws(JSONReader.Failure) in
            if key == "retry_after" {
                try seen.mark(0)
                retryAfter = try reader.optionalInt()
            } else if key == "migrate_to_chat_id" {
                try seen.mark(1)
                migrateToChatID = try reader.optionalInt64()
            } else {
                try reader.skip()
            }
        }
        self.init(retryAfter: retryAfter, migrateToChatID: migrateToChatID)
    }
}

extension APIResponse: JSONReadable where Result: JSONReadable {
    package init(reading reader: inout JSONReader) throws(JSONReader.Failure) {
        var seen = JSONReader.SeenFields()
        var ok: Bool?
        var result: Result?
        var errorCode: Int?
        var description: String?
        var parameters: ResponseParameters?
        try reader.object { reader, key throws(JSONReader.Failure) in
            if key == "ok" {
                try seen.mark(0)
                ok = try reader.bool()
            } else if key == "result" {
                try seen.mark(1)
                result = try reader.optional(Result.self)
            } else if key == "error_code" {
                try seen.mark(2)
                errorCode = try reader.optionalInt()
            } else if key == "description" {
                try seen.mark(3)
                description = try reader.optionalString()
            } else if key == "parameters" {
                try seen.mark(4)
                parameters = try reader.optional(ResponseParameters.self)
            } else {
                try reader.skip()
            }
        }
        guard let ok else { throw JSONReader.Failure() }
        self.init(ok: ok, result: result, errorCode: errorCode, description: description, parameters: parameters)
    }
}

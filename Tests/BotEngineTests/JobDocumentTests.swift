import BotAPI
import BotmasterIPC
import Testing

@testable import BotEngine

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Job documents are written and read by hand on the stores' hot path; what they say must be
/// exactly what `JSONEncoder` and `JSONDecoder` said before (older documents, documents the Lua
/// scripts write), so a store written by one version reads the same in the next.
@Suite struct JobDocumentTests {
    /// A job's fields as `JSONEncoder` writes them with sorted keys: equal strings, equal jobs.
    static func canonical(_ job: BotJob) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(job), as: UTF8.self)
    }

    static func fast(_ bytes: [UInt8]) -> BotJob? {
        try? JSONReader.read(bytes) { reader throws(JSONReader.Failure) in try BotJob(reading: &reader) }
    }

    static var jobs: [BotJob] {
        let texts = ["hi", "Привет \"мир\"\n\\ /😀", "\u{0}\u{1F}\t", ""]
        var batch = BotJob(
            chatID: -1_001_234_567_890, kind: .batch,
            messages: texts.enumerated().map { index, text in
                JobMessage(
                    updateID: Int64(100 + index), messageID: Int64(index), text: text, userID: index == 0 ? nil : 42,
                    firstName: index == 1 ? "Анна" : nil, username: index == 2 ? "anna" : nil, chatType: index == 3 ? nil : "private")
            })
        batch.failures = 2
        batch.retried = true
        batch.reply = HandlerReply(reply: "answer \"quoted\"", handoff: false)
        batch.stepsDone = [3, 1, 2]
        var forward = BotJob(chatID: 7, kind: .forward, updateIDs: [9], messageID: 11, operatorChatID: -5, tag: "handoff/1")
        forward.reply = HandlerReply(reply: nil, handoff: true)
        var failedOnce = BotJob(chatID: 8, kind: .operatorReply, updateIDs: [1, 2, Int64.max])
        failedOnce.failures = 1
        // (`retried` is not written when false, and reads back as `failures > 0`: a failed job
        // is a retried one, for the hand-written path as for JSONDecoder.)
        failedOnce.retried = true
        var replyOnly = BotJob(chatID: Int64.min, kind: .handoffEnded, updateIDs: [])
        replyOnly.reply = HandlerReply(reply: "bye")
        return [batch, forward, failedOnce, replyOnly, BotJob(chatID: 0, kind: .handoffStarted, updateIDs: [5])]
    }

    @Test("a written document reads back equal, with JSONDecoder and with the reader")
    func writtenDocumentsReadBack() throws {
        for job in Self.jobs {
            let document = job.document
            let byFoundation = try JSONDecoder().decode(BotJob.self, from: Data(document))
            #expect(try Self.canonical(byFoundation) == Self.canonical(job))
            let byReader = try #require(Self.fast(document), "left to JSONDecoder: \(String(decoding: document, as: UTF8.self))")
            #expect(try Self.canonical(byReader) == Self.canonical(job))
        }
    }

    @Test("documents JSONEncoder wrote (older versions) read the same through the reader")
    func encoderDocumentsReadTheSame() throws {
        for job in Self.jobs {
            let document = Array(try JSONEncoder().encode(job))
            let byReader = try #require(Self.fast(document))
            #expect(try Self.canonical(byReader) == Self.canonical(job))
        }
    }

    @Test("the Lua scripts' and old documents' shapes: defaults as JSONDecoder fills them")
    func scriptAndOldShapes() throws {
        let shapes = [
            // A batch flushed by the Redis script: messages only, the updates come from them.
            #"{"chat":12,"kind":"batch","messages":[{"update_id":5,"message_id":6,"text":"a"},{"update_id":7,"message_id":8,"text":"b","user_id":1}]}"#,
            // From before the `retried` flag: a failed job was a retried one.
            #"{"chat":1,"kind":"forward","updates":[3],"message_id":4,"failures":2}"#,
            #"{"chat":1,"kind":"batch","updates":[3],"messages":null,"reply":null,"steps":null,"extra":{"x":[1,2.5e3]}}"#,
            // Numbers as cjson writes big ones: JSONDecoder takes them, the reader leaves them.
            #"{"chat":1e14,"kind":"batch","updates":[1]}"#,
        ]
        for text in shapes {
            let bytes = Array(text.utf8)
            let decoded = try BotJob.decode(bytes)
            #expect(try Self.canonical(decoded) == Self.canonical(try JSONDecoder().decode(BotJob.self, from: Data(bytes))))
        }
        #expect(try BotJob.decode(Array(shapes[0].utf8)).updateIDs == [5, 7])
        #expect(try BotJob.decode(Array(shapes[1].utf8)).retried)
        #expect(try BotJob.decode(Array(shapes[3].utf8)).chatID == 100_000_000_000_000)
        #expect(Self.fast(Array(shapes[3].utf8)) == nil)
        #expect((try? BotJob.decode(Array(#"{"chat":1,"kind":"unknown","updates":[]}"#.utf8))) == nil, "not a job: deleted by the store")
    }

    @Test("a batch message's document reads back equal")
    func messageDocuments() throws {
        for message in Self.jobs[0].messages {
            #expect(try JSONDecoder().decode(JobMessage.self, from: Data(message.document)) == message)
            #expect(try JobMessage.decode(message.document) == message)
        }
    }
}

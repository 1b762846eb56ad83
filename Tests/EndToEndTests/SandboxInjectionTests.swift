import BotmasterSystem
import Glibc
import Testing

/// The sandbox's message injection: one message, or a list of them written in order (the peer
/// benchmark's bursts), each read back by `getUpdates` once.
@Suite struct SandboxInjectionTests {
    @Test func aListOfMessagesIsWrittenInOrderAndABadBodySaysWhatIsExpected() throws {
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-sandbox-")
        let sandbox = try SandboxProcess(directory: directory)
        defer {
            sandbox.stop()
            FileSystem.removeTree(directory)
        }
        let one = try HTTPGet.post(port: sandbox.port, path: "/sandbox/bots/77/messages", body: #"{"chat_id": 1, "text": "first"}"#)
        #expect(one.status == 200 && one.body.contains(#""update_id""#), "\(one.body)")
        let burst = try HTTPGet.post(
            port: sandbox.port, path: "/sandbox/bots/77/messages",
            body: #"[{"chat_id": 2, "text": "second"}, {"chat_id": 3, "text": "third"}]"#)
        #expect(burst.status == 200 && burst.body.hasPrefix("["), "\(burst.body)")
        let updates = try HTTPGet.get(port: sandbox.port, path: "/bot77:token/getUpdates?timeout=0")
        let texts = ["first", "second", "third"].map { #""text":"\#($0)""# }
        let positions = texts.compactMap { updates.body.range(of: $0)?.lowerBound }
        #expect(positions.count == 3 && positions == positions.sorted(), "in order, once each: \(updates.body)")
        let bad = try HTTPGet.post(port: sandbox.port, path: "/sandbox/bots/77/messages", body: #"{"text": "no chat"}"#)
        #expect(bad.status == 400 && bad.body.contains("or a list of them"), "\(bad.body)")
    }

    /// A restarted sandbox numbers its updates, and each chat's messages, above the last one's
    /// (Telegram reuses neither; a bot's durable store skips update ids it took, its dedup window
    /// message ids it saw), unless told where to start.
    @Test func aRestartedSandboxNumbersUpdatesAndMessagesAboveTheLastOne() throws {
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-sandbox-")
        defer { FileSystem.removeTree(directory) }
        /// The update ids and message ids of `messages` messages in chat 5.
        func ids(firstID: Int64?, messages: Int) throws -> (updates: [Int64], messages: [Int64]) {
            let sandbox = try SandboxProcess(directory: directory, firstID: firstID)
            defer { sandbox.stop() }
            let body = "[" + Array(repeating: #"{"chat_id": 5, "text": "m"}"#, count: messages).joined(separator: ",") + "]"
            let answer = try HTTPGet.post(port: sandbox.port, path: "/sandbox/bots/78/messages", body: body)
            #expect(answer.status == 200, "\(answer.body)")
            let numbers = { (key: String) in
                answer.body.split(separator: "\"\(key)\":").dropFirst().compactMap { Int64($0.prefix { $0.isNumber }) }
            }
            return (numbers("update_id"), numbers("message_id"))
        }
        let first = try ids(firstID: nil, messages: 1)
        // The default counts seconds: a sandbox started a second later numbers above this one.
        usleep(1_100_000)
        let second = try ids(firstID: nil, messages: 3)
        #expect(first.updates.count == 1 && first.updates[0] < Int64(Int32.max), "fits the 32-bit ids some clients use: \(first)")
        #expect(second.updates.count == 3 && second.updates == second.updates.sorted() && second.updates[0] > first.updates[0])
        #expect(second.messages.count == 3 && second.messages[0] > first.messages[0], "first \(first), second \(second)")
        #expect(second.messages == (0..<3).map { second.messages[0] + $0 }, "one chat's messages are numbered one after another")
        let given = try ids(firstID: 7, messages: 2)
        #expect(given.updates == [7, 8] && given.messages == [7, 8])
    }
}

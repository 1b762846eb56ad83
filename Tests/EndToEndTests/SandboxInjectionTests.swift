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

    /// A restarted sandbox numbers its updates above the last one's (Telegram never reuses an
    /// update id; a bot's durable store skips the ids it took), unless told where to start.
    @Test func aRestartedSandboxNumbersUpdatesAboveTheLastOne() throws {
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-sandbox-")
        defer { FileSystem.removeTree(directory) }
        func updateIDs(firstUpdateID: Int64?, messages: Int) throws -> [Int64] {
            let sandbox = try SandboxProcess(directory: directory, firstUpdateID: firstUpdateID)
            defer { sandbox.stop() }
            let body = "[" + (1...messages).map { #"{"chat_id": \#($0), "text": "m"}"# }.joined(separator: ",") + "]"
            let answer = try HTTPGet.post(port: sandbox.port, path: "/sandbox/bots/78/messages", body: body)
            #expect(answer.status == 200, "\(answer.body)")
            return answer.body.split(separator: #""update_id":"#).dropFirst().compactMap { Int64($0.prefix { $0.isNumber }) }
        }
        let first = try updateIDs(firstUpdateID: nil, messages: 1)
        // The default counts seconds: a sandbox started a second later numbers above this one.
        usleep(1_100_000)
        let second = try updateIDs(firstUpdateID: nil, messages: 3)
        #expect(first.count == 1 && first[0] < Int64(Int32.max), "fits the 32-bit ids some clients use: \(first)")
        #expect(second.count == 3 && second == second.sorted() && second[0] > first[0], "first run \(first), second \(second)")
        #expect(try updateIDs(firstUpdateID: 7, messages: 2) == [7, 8])
    }
}

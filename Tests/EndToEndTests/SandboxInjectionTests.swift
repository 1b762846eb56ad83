import BotmasterSystem
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
}

import Testing

@testable import BotmasterIPC

@Suite struct MessageTests {
    @Test func helloUsesTheDocumentedJSONKeys() throws {
        let frame = Hello(pid: 7, bot: "support", runtime: "botworker/0.1.0").frame()
        #expect(frame.type == .hello)
        #expect(String(decoding: frame.payload, as: UTF8.self) == #"{"bot":"support","pid":7,"protocol":1,"runtime":"botworker/0.1.0"}"#)
        // Written by hand; read by the master's decoder, escapes and all.
        let unusual = Hello(pid: -1, bot: "a\"b\\c\u{1}\nд😀", runtime: "")
        var validator = WorkerStreamValidator()
        #expect(try validator.accept(unusual.frame()) == .hello(unusual))
    }

    @Test func masterMessagesRoundTrip() throws {
        let messages: [MasterMessage] = [
            .welcome(Welcome(heartbeatIntervalMs: 1000, logLevel: "debug", settings: ["batch": .object(["quiet": .string("5s")])])),
            .config(ConfigUpdate(heartbeatIntervalMs: 500, settings: ["n": .number(3), "on": .bool(true), "x": .null])),
            .logLevel(LogLevelChange(level: "warning")),
            .drain(Drain(deadlineMs: 90_000, reason: "shutdown")),
        ]
        for message in messages {
            #expect(try MasterMessage(frame: message.frame()) == message)
        }
    }

    @Test func drainPayloadIsSnakeCase() {
        let frame = MasterMessage.drain(Drain(deadlineMs: 5, reason: "memory")).frame()
        #expect(String(decoding: frame.payload, as: UTF8.self) == #"{"deadline_ms":5,"reason":"memory"}"#)
    }

    @Test func heartbeatCarriesCountersBigEndianAndKeepsExtras() throws {
        let heartbeat = Heartbeat(uptimeMs: 0x0102, messages: 3, errors: 4, extra: [9, 10])
        let frame = heartbeat.frame()
        #expect(frame.payload.count == 40)
        #expect(Array(frame.payload[0..<8]) == [0, 0, 0, 0, 0, 0, 1, 2])
        #expect(try Heartbeat(payload: frame.payload) == heartbeat)
    }

    @Test func heartbeatOfTheWrongSizeIsMalformed() {
        #expect(throws: ProtocolError.self) { try Heartbeat(payload: [UInt8](repeating: 0, count: 16)) }
        #expect(throws: ProtocolError.self) { try Heartbeat(payload: [UInt8](repeating: 0, count: 25)) }
    }

    @Test func workerMustSayHelloFirstAndOnlyOnce() throws {
        var validator = WorkerStreamValidator()
        let heartbeat = Heartbeat(uptimeMs: 1, messages: 0, errors: 0).frame()
        #expect(throws: ProtocolError.unexpectedFrame(.heartbeat, reason: "heartbeat before hello")) {
            try validator.accept(heartbeat)
        }
        let hello = Hello(pid: 1, bot: "a", runtime: "r")
        #expect(try validator.accept(hello.frame()) == .hello(hello))
        #expect(try validator.accept(heartbeat) == .heartbeat(Heartbeat(uptimeMs: 1, messages: 0, errors: 0)))
        #expect(throws: ProtocolError.unexpectedFrame(.hello, reason: "hello was already received")) {
            try validator.accept(hello.frame())
        }
    }

    @Test func workerCannotSendMasterFrames() {
        var validator = WorkerStreamValidator()
        for type in FrameType.allCases where !type.isSentByWorker {
            #expect(throws: ProtocolError.self) { try validator.accept(Frame(type: type, payload: Array("{}".utf8))) }
        }
    }

    @Test func helloWithAnotherProtocolVersionIsRefused() {
        var validator = WorkerStreamValidator()
        let frame = Hello(protocolVersion: 99, pid: 1, bot: "a", runtime: "r").frame()
        #expect(throws: ProtocolError.unsupportedVersion(99)) { try validator.accept(frame) }
    }

    @Test func helloThatIsNotTheExpectedJSONIsMalformed() {
        var validator = WorkerStreamValidator()
        #expect(throws: ProtocolError.malformedPayload(.hello, reason: #"not the expected JSON object (missing key "pid")"#)) {
            try validator.accept(Frame(type: .hello, payload: Array(#"{"protocol":1,"bot":"a","runtime":"r"}"#.utf8)))
        }
        #expect(throws: ProtocolError.self) { try validator.accept(Frame(type: .hello, payload: Array("not json".utf8))) }
    }
}

@Suite struct SecretTextTests {
    @Test func aTokenTravelsInJSONButNeverPrints() throws {
        var settings = BotSettings()
        settings.token = SecretText("123456:AAH-secret")
        #expect(!"\(settings)".contains("AAH-secret"))
        #expect(!String(reflecting: settings).contains("AAH-secret"))
        #expect(settings.jsonObject["token"] == .string("123456:AAH-secret"))
        let decoded = try BotSettings(settingsObject: settings.jsonObject)
        #expect(decoded?.token?.value == "123456:AAH-secret")
        var other = settings
        other.token = SecretText("123456:AAH-other")
        #expect(settings.needsRestart(toApply: other))
        #expect(BotSettings().jsonObject["token"] == nil)
    }
}

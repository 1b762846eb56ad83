import Testing

@testable import BotmasterIPC

@Suite struct FrameDecoderTests {
    @Test func roundTripsEveryFrameType() throws {
        for type in FrameType.allCases {
            let frame = Frame(type: type, payload: Array("payload of \(type)".utf8))
            var decoder = FrameDecoder()
            decoder.append(contentsOf: frame.encoded())
            #expect(try decoder.nextFrame() == frame)
            #expect(try decoder.nextFrame() == nil)
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test func wireLayoutIsLengthThenTypeThenPayload() {
        let bytes = Frame(type: .heartbeat, payload: [0xAA, 0xBB]).encoded()
        #expect(bytes == [0, 0, 0, 3, 0x03, 0xAA, 0xBB])
    }

    @Test func decodesAStreamFedOneByteAtATime() throws {
        let frames = [
            Frame(type: .hello, payload: Array("{}".utf8)),
            Frame(type: .heartbeat, payload: [UInt8](repeating: 7, count: 24)),
            Frame(type: .drain),
        ]
        var decoder = FrameDecoder()
        var decoded: [Frame] = []
        for byte in frames.flatMap({ $0.encoded() }) {
            decoder.append(contentsOf: [byte])
            while let frame = try decoder.nextFrame() { decoded.append(frame) }
        }
        #expect(decoded == frames)
    }

    @Test func rejectsAnOversizedLengthBeforeTheBodyArrives() {
        var decoder = FrameDecoder(maximumLength: 1024)
        decoder.append(contentsOf: [0x00, 0x10, 0x00, 0x00])  // announces 1 MiB, sends nothing more
        #expect(throws: ProtocolError.frameTooLarge(length: 1 << 20, maximum: 1024)) { try decoder.nextFrame() }
    }

    @Test func rejectsAZeroLength() {
        var decoder = FrameDecoder()
        decoder.append(contentsOf: [0, 0, 0, 0, 0x01])
        #expect(throws: ProtocolError.emptyFrame) { try decoder.nextFrame() }
    }

    @Test func rejectsAnUnknownType() {
        var decoder = FrameDecoder()
        decoder.append(contentsOf: [0, 0, 0, 1, 0x7F])
        #expect(throws: ProtocolError.unknownFrameType(0x7F)) { try decoder.nextFrame() }
    }

    @Test func waitsForTheRestOfATruncatedFrame() throws {
        let bytes = Frame(type: .hello, payload: Array("{\"a\":1}".utf8)).encoded()
        for cut in 0..<bytes.count {
            var decoder = FrameDecoder()
            decoder.append(contentsOf: bytes[0..<cut])
            #expect(try decoder.nextFrame() == nil, "cut at \(cut)")
        }
    }

    @Test func keepsMemoryBoundedOverAManyFrameStream() throws {
        var decoder = FrameDecoder()
        let heartbeat = Heartbeat(uptimeMs: 1, messages: 2, errors: 3).frame().encoded()
        for _ in 0..<10_000 {
            decoder.append(contentsOf: heartbeat + heartbeat.prefix(5))
            _ = try decoder.nextFrame()
            decoder.append(contentsOf: heartbeat.dropFirst(5))
            _ = try decoder.nextFrame()
        }
        #expect(decoder.bufferedByteCount == 0)
    }
}

/// Random and truncated input must end in frames or a ProtocolError — never a crash, a hang or
/// unbounded buffering. A fixed-seed generator keeps failures reproducible.
@Suite struct FrameDecoderFuzzTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: 0..<200)
    func randomBytesNeverCrashTheDecoderOrValidator(seed: Int) {
        var random = SplitMix64(state: UInt64(seed))
        var decoder = FrameDecoder(maximumLength: 4096)
        var validator = WorkerStreamValidator()
        let length = Int.random(in: 0..<2048, using: &random)
        var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
        // Half the runs start with a valid hello so the validator sees later frames too.
        if seed % 2 == 0 {
            bytes = Hello(pid: 1, bot: "fuzz", runtime: "test").frame().encoded() + bytes
        }
        var offset = 0
        feeding: while offset < bytes.count {
            let chunk = Int.random(in: 1...64, using: &random)
            decoder.append(contentsOf: bytes[offset..<min(offset + chunk, bytes.count)])
            offset += chunk
            do {
                while let frame = try decoder.nextFrame() {
                    _ = try? validator.accept(frame)
                    _ = try? MasterMessage(frame: frame)
                }
            } catch {
                break feeding  // the stream is rejected; the master closes it
            }
            #expect(decoder.bufferedByteCount <= 4096 + Frame.headerSize + 64)
        }
    }

    @Test(arguments: 0..<50)
    func mutatedValidFramesAreRejectedOrDecoded(seed: Int) {
        var random = SplitMix64(state: UInt64(seed) &+ 1000)
        var bytes =
            Hello(pid: 42, bot: "bot", runtime: "r").frame().encoded()
            + Heartbeat(uptimeMs: 5, messages: 6, errors: 7).frame().encoded()
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
        }
        var decoder = FrameDecoder(maximumLength: 4096)
        var validator = WorkerStreamValidator()
        decoder.append(contentsOf: bytes)
        do {
            while let frame = try decoder.nextFrame() { _ = try validator.accept(frame) }
        } catch {
            // Typed throws: only a ProtocolError can arrive here, and it must explain itself.
            #expect(!error.description.isEmpty)
        }
    }
}

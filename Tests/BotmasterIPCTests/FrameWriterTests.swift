import BotmasterIPC
import BotworkerKit
import Glibc
import Testing

/// A worker writes a group of acks with one call; the master must read the same frames, in
/// order, as if they had been written one by one.
@Suite struct FrameWriterTests {
    @Test func severalFramesArriveWholeAndInOrder() throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer {
            close(pair[0])
            close(pair[1])
        }
        let channel = WorkerChannel(fd: pair[0])
        let acks = (0..<100).map { UpdateAck(requestID: UInt64($0), result: $0 % 2 == 0 ? .accepted : .duplicate).frame() }
        try channel.writer.write(acks)
        try channel.writer.write([Frame(type: .heartbeat, payload: [1, 2, 3])])
        try channel.writer.write([])
        var decoder = FrameDecoder()
        var received: [Frame] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < 101 {
            let count = buffer.withUnsafeMutableBytes { recv(pair[1], $0.baseAddress, $0.count, 0) }
            try #require(count > 0)
            decoder.append(contentsOf: buffer[0..<count])
            while let frame = try decoder.nextFrame() { received.append(frame) }
        }
        #expect(Array(received.prefix(100)) == acks)
        #expect(received.last == Frame(type: .heartbeat, payload: [1, 2, 3]))
    }
}

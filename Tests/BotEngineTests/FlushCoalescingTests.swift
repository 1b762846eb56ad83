import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

@testable import BotAPI

/// A Bot API call's head and body leave in one write: the handler holds a connection's flushes
/// until the loop's turn is over, and a client configured with it still answers every call.
@Suite struct FlushCoalescingTests {
    @Test func flushesOfOneTurnLeaveTogetherAtItsEnd() throws {
        let channel = EmbeddedChannel(handler: FlushCoalescingHandler())
        defer { _ = try? channel.finish() }
        channel.write(ByteBuffer(string: "head"), promise: nil)
        channel.flush()
        channel.write(ByteBuffer(string: "body"), promise: nil)
        channel.flush()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "head"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "body"))
        // The next turn's flush is held again, not lost.
        channel.write(ByteBuffer(string: "next"), promise: nil)
        channel.flush()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "next"))
    }

    @Test func aClientThatCoalescesItsFlushesAnswersCallsOnOneConnection() async throws {
        let server = try OneConnectionServer()
        defer { server.stop() }
        var configuration = HTTPClient.Configuration()
        configuration.coalesceFlushes()
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = HTTPClient(eventLoopGroup: loop, configuration: configuration)
        for index in 0..<3 {
            let request = try HTTPClient.Request(
                url: "http://127.0.0.1:\(server.port)/bot1:x/sendMessage", method: .POST,
                headers: ["Content-Type": "application/json"], body: .byteBuffer(ByteBuffer(string: "{\"call\":\(index)}")))
            let answer = try await client.post(request, maximumBody: 1024, timeout: .seconds(10))
            #expect(answer.status == 200)
            #expect(String(buffer: answer.body) == "{\"call\":\(index)}")
        }
        try await client.shutdown()
        try await loop.shutdownGracefully()
        #expect(server.connections == 1)
    }
}

/// A blocking HTTP/1.1 server on loopback that echoes each request's body back, on a thread.
private final class OneConnectionServer: Sendable {
    let port: Int
    private let listener: Int32
    private let accepted = Mutex(0)

    var connections: Int { accepted.withLock { $0 } }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(fd, 4) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in serve() }
    }

    /// Ends the accepting thread.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    deinit {
        close(listener)
    }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            accepted.withLock { $0 += 1 }
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { break }
                pending += buffer[0..<count]
                while let (body, used) = Self.completeRequest(pending) {
                    pending.removeFirst(used)
                    let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
                    _ = answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
            }
            close(connection)
        }
    }

    /// The body of the first complete request in `bytes` and how many bytes it took.
    private static func completeRequest(_ bytes: [UInt8]) -> ([UInt8], Int)? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let head = text[..<end.lowerBound].lowercased()
        let lengthLine = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
        let length = lengthLine.flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        let headLength = text[..<end.upperBound].utf8.count
        guard bytes.count >= headLength + length else { return nil }
        return (Array(bytes[headLength..<headLength + length]), headLength + length)
    }
}

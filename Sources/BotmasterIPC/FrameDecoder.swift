/// Splits a byte stream into frames, incrementally: feed it whatever `read(2)` returned and take
/// out every complete frame. It never reads past a frame it has not fully received, and it
/// rejects an oversized length as soon as the 4-byte prefix is in, before buffering the body.
public struct FrameDecoder: Sendable {
    @usableFromInline var buffer: [UInt8] = []
    private var readIndex = 0
    /// Largest accepted frame length (type byte plus payload).
    public let maximumLength: Int

    public init(maximumLength: Int = Frame.defaultMaximumLength) {
        self.maximumLength = maximumLength
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Appends bytes read from the stream. Inlinable, so that a caller in another module copies
    /// its own kind of bytes (a `ByteBufferView`, a buffer pointer) without going through the
    /// generic, unspecialized `Array.append` and its run-time type lookups for every read.
    @inlinable
    public mutating func append<Bytes: Sequence>(contentsOf bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// Takes the bytes received but not yet returned as frames (the start of a frame, or several
    /// frames), leaving the decoder empty: another decoder given them goes on where this one
    /// stopped.
    public mutating func takeBufferedBytes() -> [UInt8] {
        let bytes = Array(buffer[readIndex...])
        buffer.removeAll()
        readIndex = 0
        return bytes
    }

    /// The next complete frame, or `nil` when more bytes are needed.
    /// - Throws: ``ProtocolError`` when the stream can never yield a valid frame again; the caller
    ///   should drop the connection, since the framing is lost.
    public mutating func nextFrame() throws(ProtocolError) -> Frame? {
        let available = buffer.count - readIndex
        guard available >= Frame.headerSize else { return nil }
        var length = 0
        for offset in 0..<Frame.headerSize {
            length = length << 8 | Int(buffer[readIndex + offset])
        }
        guard length > 0 else { throw .emptyFrame }
        guard length <= maximumLength else { throw .frameTooLarge(length: length, maximum: maximumLength) }
        guard available >= Frame.headerSize + length else { return nil }
        let typeByte = buffer[readIndex + Frame.headerSize]
        guard let type = FrameType(rawValue: typeByte) else { throw .unknownFrameType(typeByte) }
        let payloadStart = readIndex + Frame.headerSize + 1
        let payloadEnd = readIndex + Frame.headerSize + length
        let frame = Frame(type: type, payload: Array(buffer[payloadStart..<payloadEnd]))
        readIndex = payloadEnd
        compactIfWorthIt()
        return frame
    }

    /// Drops consumed bytes once they make up most of the buffer, so that a long-lived
    /// connection's memory stays proportional to what is in flight.
    private mutating func compactIfWorthIt() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            readIndex = 0
        } else if readIndex > 4096 && readIndex * 2 > buffer.count {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }
}

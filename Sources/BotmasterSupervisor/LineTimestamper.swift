import BotmasterSystem

/// Cuts a worker's raw output into lines and puts a timestamp in front of each, so a bot that
/// prints bare text still gets a log that can be read against the master's. A line longer
/// than `maximumLineBytes` is cut there, so one runaway print cannot grow the master's memory.
public struct LineTimestamper: Sendable {
    private var partial: [UInt8] = []
    /// Longest line kept whole; the rest follows on a new line.
    public let maximumLineBytes: Int

    public init(maximumLineBytes: Int = 16 * 1024) {
        self.maximumLineBytes = maximumLineBytes
    }

    /// Takes a chunk of output and returns whole, timestamped lines ready to append. Lines are
    /// found and copied a run at a time, not byte by byte: a worker printing flat out must cost
    /// the master little.
    public mutating func consume<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, wallClockMs: Int64) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 64)
        let prefix = Array((LogTimestamp.format(millisecondsSinceEpoch: wallClockMs) + " ").utf8)
        var start = bytes.startIndex
        while start != bytes.endIndex {
            let room = maximumLineBytes - partial.count
            let limit = bytes.index(start, offsetBy: room, limitedBy: bytes.endIndex) ?? bytes.endIndex
            if let newline = bytes[start..<limit].firstIndex(of: 0x0A) {
                output += prefix
                output += partial
                output += bytes[start...newline]
                partial.removeAll(keepingCapacity: true)
                start = bytes.index(after: newline)
            } else if bytes.distance(from: start, to: limit) == room {
                // The line reached the cap: cut it there.
                output += prefix
                output += partial
                output += bytes[start..<limit]
                output.append(0x0A)
                partial.removeAll(keepingCapacity: true)
                start = limit
            } else {
                partial += bytes[start..<limit]
                start = limit
            }
        }
        return output
    }

    /// Whatever is left without a newline, at the end of the stream.
    public mutating func flush(wallClockMs: Int64) -> [UInt8] {
        guard !partial.isEmpty else { return [] }
        defer { partial.removeAll() }
        return Array((LogTimestamp.format(millisecondsSinceEpoch: wallClockMs) + " ").utf8) + partial + [0x0A]
    }
}

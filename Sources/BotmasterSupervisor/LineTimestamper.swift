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

    /// Takes a chunk of output and returns whole, timestamped lines ready to append.
    public mutating func consume(_ bytes: some Sequence<UInt8>, wallClockMs: Int64) -> [UInt8] {
        var output: [UInt8] = []
        let prefix = Array((LogTimestamp.format(millisecondsSinceEpoch: wallClockMs) + " ").utf8)
        for byte in bytes {
            if byte == 0x0A {
                output += prefix + partial + [0x0A]
                partial.removeAll(keepingCapacity: true)
            } else {
                partial.append(byte)
                if partial.count >= maximumLineBytes {
                    output += prefix + partial + [0x0A]
                    partial.removeAll(keepingCapacity: true)
                }
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

import BotmasterConfig
import BotmasterSystem
import Glibc

/// `botmaster logs` without an id, as `pm2 logs` shows them: the master's log and every
/// worker's, merged in time order (every line starts with its UTC timestamp), each line
/// prefixed with whose it is.
struct InterleavedLogs {
    let layout: HomeLayout
    /// Color the prefixes (a terminal).
    let colored: Bool

    /// One log's complete lines, with a partial last line kept until its end arrives.
    private final class Source {
        let name: String
        let tail: LogTail
        var partial: [UInt8] = []

        init(name: String, tail: LogTail) {
            self.name = name
            self.tail = tail
        }

        /// Splits `bytes` (after what was left over) into complete lines.
        func lines(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
            let data = partial + bytes
            var lines: [ArraySlice<UInt8>] = []
            var start = data.startIndex
            while let end = data[start...].firstIndex(of: 0x0A) {
                lines.append(data[start..<end])
                start = end + 1
            }
            partial = Array(data[start...])
            return lines
        }
    }

    private struct Line {
        var source: Source
        var text: ArraySlice<UInt8>
        /// The leading timestamp (ISO 8601 in UTC sorts as text), or empty.
        var stamp: ArraySlice<UInt8> { text.prefix(while: { $0 != UInt8(ascii: " ") }) }
    }

    /// Prints the last `count` lines of all logs together, then (with `follow`) every new line
    /// of any of them, picking up the logs of bots that appear meanwhile.
    func printTail(lines count: Int, follow: Bool) {
        var sources = discover(known: [])
        var width = sources.map(\.name.count).max() ?? 0
        var lines: [Line] = []
        for source in sources {
            let tail = source.tail.readLast(lines: count)
            lines += source.lines(of: Array(tail) + (tail.last == 0x0A || tail.isEmpty ? [] : [0x0A])).map {
                Line(source: source, text: $0)
            }
        }
        emit(Array(Self.ordered(lines).suffix(count)), width: width)
        guard follow else { return }
        var polls = 0
        while true {
            usleep(200_000)
            polls += 1
            if polls % 5 == 0 {
                let added = discover(known: Set(sources.map(\.tail.path)))
                sources += added
                width = max(width, added.map(\.name.count).max() ?? 0)
            }
            var fresh: [Line] = []
            for source in sources { fresh += source.lines(of: source.tail.readNew()).map { Line(source: source, text: $0) } }
            emit(Self.ordered(fresh), width: width)
        }
    }

    /// The master's log and every worker's in the logs directory, not counting `known` paths;
    /// rotated files (`worker_x.log.1`) are not sources of their own.
    private func discover(known: Set<String>) -> [Source] {
        var found: [(name: String, path: String)] = []
        if FileSystem.exists(layout.masterLog) { found.append(("master", layout.masterLog)) }
        for entry in (FileSystem.directoryEntries(layout.logsDirectory) ?? []).sorted()
        where entry.hasPrefix("worker_") && entry.hasSuffix(".log") {
            found.append((String(entry.dropFirst("worker_".count).dropLast(".log".count)), layout.logsDirectory + "/" + entry))
        }
        return found.filter { !known.contains($0.path) }.compactMap { name, path in
            LogTail(path: path).map { Source(name: name, tail: $0) }
        }
    }

    /// In time order; lines of one log keep their order (a stable sort).
    private static func ordered(_ lines: [Line]) -> [Line] {
        lines.enumerated().sorted { left, right in
            let (a, b) = (left.element.stamp, right.element.stamp)
            if !a.elementsEqual(b) { return a.lexicographicallyPrecedes(b) }
            return left.offset < right.offset
        }.map(\.element)
    }

    private func emit(_ lines: [Line], width: Int) {
        guard !lines.isEmpty else { return }
        var output: [UInt8] = []
        for line in lines {
            let name = line.source.name
            let padded = name + String(repeating: " ", count: max(width - name.count, 0))
            output += Array((colored ? Self.color(for: name) + padded + "\u{1B}[0m" : padded).utf8)
            output += Array(" | ".utf8)
            output += line.text
            output.append(0x0A)
        }
        Terminal.write(String(decoding: output, as: UTF8.self))
    }

    /// One of six colors, the same for a name every time.
    private static func color(for name: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return "\u{1B}[3\(1 + hash % 6)m"
    }
}

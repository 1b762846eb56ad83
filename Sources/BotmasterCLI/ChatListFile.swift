import BotmasterIPC
import BotmasterSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A broadcast's audience file: one chat id per line (blank lines and `#` comments skipped),
/// or JSON: an array of chat ids, or an object with one (`{"chats": [...]}`).
enum ChatListFile {
    /// The chat ids of `path`, in order, or a problem naming the file and the line.
    static func read(_ path: String) throws(CLIFailure) -> [Int64] {
        guard let bytes = FileSystem.readFile(path) else { throw CLIFailure("\(path): cannot read the chat list") }
        return try parse(bytes, name: path)
    }

    static func parse(_ bytes: [UInt8], name: String) throws(CLIFailure) -> [Int64] {
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        if first == UInt8(ascii: "[") || first == UInt8(ascii: "{") { return try parseJSON(bytes, name: name) }
        var chats: [Int64] = []
        var number = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty || text.hasPrefix("#") { continue }
            guard let chat = Int64(text) else {
                throw CLIFailure("\(name): line \(number): \"\(text.prefix(40))\" is not a chat id (one whole number per line)")
            }
            chats.append(chat)
        }
        guard !chats.isEmpty else { throw CLIFailure("\(name): no chat ids in it") }
        return chats
    }

    private struct Wrapped: Decodable {
        var chats: [Int64]
    }

    private static func parseJSON(_ bytes: [UInt8], name: String) throws(CLIFailure) -> [Int64] {
        let decoder = JSONDecoder()
        let chats: [Int64]
        if let list = try? decoder.decode([Int64].self, from: Data(bytes)) {
            chats = list
        } else if let wrapped = try? decoder.decode(Wrapped.self, from: Data(bytes)) {
            chats = wrapped.chats
        } else {
            throw CLIFailure("\(name): not a JSON array of chat ids (whole numbers) or {\"chats\": [...]}")
        }
        guard !chats.isEmpty else { throw CLIFailure("\(name): no chat ids in it") }
        return chats
    }
}

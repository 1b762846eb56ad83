/// Recognizes a Telegram bot token (`<bot id>:<secret>`, such as `123456789:AAH…` with a
/// 35-character secret) inside text where a token must never be written: a `token_file` value,
/// an `[env]` value. Tokens live in the master's environment or in a file, never in
/// `workers/<id>.toml`, which operators share, commit and paste.
enum BotTokenShape {
    /// The fewest digits of a bot id and characters of a secret taken for a token.
    static let minimumIDDigits = 5
    static let minimumSecretLength = 30

    /// Whether `text` contains something shaped like a bot token.
    static func appears(in text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: ":") else {
                index += 1
                continue
            }
            var digits = 0
            while index - digits - 1 >= 0, isDigit(bytes[index - digits - 1]) { digits += 1 }
            var secret = 0
            while index + secret + 1 < bytes.count, isSecretCharacter(bytes[index + secret + 1]) { secret += 1 }
            if digits >= minimumIDDigits && secret >= minimumSecretLength { return true }
            index += 1
        }
        return false
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    private static func isSecretCharacter(_ byte: UInt8) -> Bool {
        isDigit(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || byte == 0x5f || byte == 0x2d
    }
}

import Crypto

/// What status and the fleet API show of a token from the fleet source: the bot id part (which
/// Telegram shows to everyone anyway) and the first 8 hex digits of the token's SHA-256, enough
/// to tell which token a bot runs with and never enough to recover it.
public enum TokenFingerprint {
    public static func of(_ token: String) -> String {
        let botID = token.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        let digest = SHA256.hash(data: Array(token.utf8))
        let hex = digest.prefix(4).map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
        return "\(botID):…\(hex)"
    }
}

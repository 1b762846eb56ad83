/// The Redis keys of cluster mode. The membership is fleet-wide; a bot's lease and epoch sit
/// with the bot's other keys (`botmaster:<fleet>:<bot>:`), where the Redis store's scripts read
/// the epoch (`RedisKeys` in BotEngine names the same two).
///
/// | key | type | what |
/// |---|---|---|
/// | `botmaster:<fleet>:cluster:members` | sorted set node by ms | live members, scored by when their membership expires (server time) |
/// | `botmaster:<fleet>:cluster:info` | hash node → JSON | what each member published: address, capacity, fleet digest, renewal time |
/// | `botmaster:<fleet>:<bot>:lease` | string, TTL = lease TTL | the node that owns the bot |
/// | `botmaster:<fleet>:<bot>:epoch` | string | the bot's fencing epoch: one more at each acquisition |
/// | `botmaster:<fleet>:<bot>:owner` | string | the node that holds or last held the lease without releasing it (to count takeovers) |
/// | `botmaster:<fleet>:<bot>:accounting` | string | JSON: the bot's restart count, recent restarts and errored state, published by its owner, read by the next |
/// | `botmaster:<fleet>:<bot>:relayed` | stream | webhook deliveries a master relayed to the bot's owner (at most 10,000), until its worker took them |
struct ClusterKeys: Sendable {
    let fleet: String

    var members: String { "botmaster:\(fleet):cluster:members" }
    var info: String { "botmaster:\(fleet):cluster:info" }
    /// The prefix of every bot's keys; the scripts add `<bot>:lease` and the others.
    var prefix: String { "botmaster:\(fleet):" }
    func lease(_ bot: String) -> String { "\(prefix)\(bot):lease" }
    func epoch(_ bot: String) -> String { "\(prefix)\(bot):epoch" }
}

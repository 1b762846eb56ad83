/// Every Redis key the Redis store (``RedisStore``) uses, in one place. All of one bot's keys start with
/// `botmaster:<fleet>:<bot>:`, so fleets and bots sharing a server never meet.
///
/// | key | type | what |
/// |---|---|---|
/// | `offset` | string | the next `getUpdates` offset: one past the highest update taken |
/// | `seen:u:<update>` | string, TTL = dedup window | update ids seen (dedup) |
/// | `seen:m:<chat>:<message>` | string, TTL = dedup window | chat + message ids seen (dedup) |
/// | `batch:<chat>` | list, TTL 7 days refreshed per append | the chat's open rapid-fire batch, one JSON message per element |
/// | `batch:first` | hash chat → ms | server time of each open batch's first message |
/// | `batch:due` | sorted set chat by ms | when each open batch flushes |
/// | `jobs` | stream, group `workers`, consumer `worker` | the job queue |
/// | `retry` | sorted set job by ms | failed jobs waiting for their next attempt |
/// | `dead` | list (last 1000) | dead letters with their job, last error and attempts |
/// | `sent:<job>#<step>` | string, TTL 24 h | a sent reply (idempotency): the message id |
/// | `handoff` | set | chats handed to the operator |
/// | `thread:<message>` | string, TTL 30 days | operator-chat message → the user chat it is about |
/// | `chats` | set | chats the bot took an update from (the audience `known`) |
/// | `blocked` | set | chats that answered a broadcast with 403 (left out of `known` until they write again) |
/// | `broadcast:next` | string | the last broadcast id given out |
/// | `broadcasts` | list | the ids of the broadcasts kept, oldest first |
/// | `broadcast:<id>` | hash | `document`, `state`, `cursor`, the counts `sent` `blocked` `invalid` `failed`, `started_ms`, `finished_ms` |
/// | `broadcast:<id>:chats` | list | the audience, in order |
/// | `broadcast:<id>:done` | bitmap | bit per audience position: it has an outcome |
/// | `broadcast:<id>:failed` | hash position → JSON | the chats not reached and why |
/// | `lease` | string, TTL = lease TTL | cluster mode: the node that owns the bot |
/// | `epoch` | string | cluster mode: the bot's fencing epoch, one more at each new owner |
/// | `relayed` | stream, field `update` | cluster mode: webhook deliveries another master relayed, until the worker took them |
///
/// A batch's expiry never fires under a live batch: it is refreshed on every append, and a
/// batch is taken (atomically, into `jobs`) after at most `max_wait` — seven days is there only
/// to reclaim the keys of a bot that was deleted with a batch open.
package struct RedisKeys: Sendable {
    /// `botmaster:<fleet>:<bot>:`
    package let prefix: String

    package init(fleet: String, bot: String) {
        prefix = "botmaster:\(fleet):\(bot):"
    }

    var offset: String { prefix + "offset" }
    /// Cluster mode: the owner's lease and the fencing epoch (``ClusterKeys`` in the master
    /// writes them; the store's scripts read the epoch).
    package var lease: String { prefix + "lease" }
    package var epoch: String { prefix + "epoch" }
    var jobs: String { prefix + "jobs" }
    var relayed: String { prefix + "relayed" }
    var retry: String { prefix + "retry" }
    var dead: String { prefix + "dead" }
    var handoff: String { prefix + "handoff" }
    func sent(_ jobKey: String, step: Int) -> String { prefix + "sent:\(jobKey)#\(step)" }
    func thread(_ operatorMessageID: Int64) -> String { prefix + "thread:\(operatorMessageID)" }
    var chats: String { prefix + "chats" }
    var blocked: String { prefix + "blocked" }
    var broadcastNext: String { prefix + "broadcast:next" }
    var broadcasts: String { prefix + "broadcasts" }
    /// The broadcast's hash; its audience, done bits and failures are this key plus `:chats`,
    /// `:done` and `:failed`.
    func broadcast(_ id: String) -> String { prefix + "broadcast:\(id)" }

    /// The consumer group and the one consumer name of the bot's worker: a restarted worker
    /// takes over its predecessor's pending entries by name, at once.
    static let group = "workers"
    static let consumer = "worker"

    static let batchTTLMilliseconds = 7 * 24 * 3600 * 1000
}

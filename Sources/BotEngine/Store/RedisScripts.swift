import BotRedis

/// The Lua scripts behind the runtime's multi-key steps. Each runs atomically, so a step is
/// either wholly done or not at all, and two processes racing on one key (seed 002) are put in
/// order by the server: the second one to take a batch finds it gone. Times come from the
/// server's `TIME`, so every process agrees on when a batch is due. The first argument of each
/// is the bot's key prefix (``RedisKeys``).
enum RedisScripts {
    /// Cluster mode's fencing, first in every script that changes a bot's state: the last two
    /// arguments are the bot's epoch key and the epoch its worker was started with ('' and ''
    /// outside cluster mode). When another master has taken the bot since (a new epoch), the
    /// step changes nothing and fails with `FENCED`, and the worker stops.
    private static let fence = fence(undoing: "")

    /// ``fence`` that first runs `undo` when it refuses: for a step whose earlier writes
    /// (outside the script) must not outlive the refusal.
    private static func fence(undoing undo: String) -> String {
        """
        if ARGV[#ARGV] ~= '' and redis.call('GET', ARGV[#ARGV - 1]) ~= ARGV[#ARGV] then
          \(undo)
          return redis.error_reply('FENCED: epoch ' .. ARGV[#ARGV] .. ' is no longer the bot epoch')
        end

        """
    }

    /// Server time in milliseconds, and the take-and-clear of a chat's open batch into one job.
    private static let common = """
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        local function take(p, chat)
          local list = p .. 'batch:' .. chat
          local messages = redis.call('LRANGE', list, 0, -1)
          redis.call('DEL', list)
          redis.call('HDEL', p .. 'batch:first', chat)
          redis.call('ZREM', p .. 'batch:due', chat)
          if #messages == 0 then return 0 end
          redis.call('XADD', p .. 'jobs', '*', 'job',
            '{"chat":' .. chat .. ',"kind":"batch","messages":[' .. table.concat(messages, ',') .. ']}')
          return #messages
        end

        """

    /// Takes one update: dedup, then the update's action — append to the chat's open batch
    /// (taking it into a job when full, or at once with batching off), or add a job (with a
    /// handoff change) — then the dedup marks and the offset, all at once. The marks come last:
    /// a script that fails midway (Redis does not roll back) has then marked nothing, so the
    /// update is neither a duplicate nor confirmed when it comes again.
    /// ARGV: prefix, update id ('' for a job not from an update), chat, message id, dedup
    /// window ms, action (none|job|batch), payload, handoff (''|start|end), quiet ms, max
    /// messages, max wait ms, batch TTL ms, the chat the handoff change is about, and (in a
    /// poll's pipeline) the previous update's id, or '-' for a webhook delivery (no offset).
    /// Returns {outcome, n}: {'duplicate', 0}, {'accepted', ms until the batch is due},
    /// {'flushed', messages taken}.
    static let intake = RedisScript(
        fence + common + """
            local p, uid, chat, mid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
            local window = tonumber(ARGV[5])
            local after = ARGV[14] or ''
            local function move_offset()
              -- A webhook delivery ('-') has no offset to move.
              if uid == '' or after == '-' then return end
              local offset = tonumber(uid) + 1
              local stored = tonumber(redis.call('GET', p .. 'offset') or '0')
              -- In a poll's pipeline the offset moves only past an unbroken run of kept
              -- updates: ARGV[14] is the previous update of the poll, which must be in.
              if offset > stored and (after == '' or stored > tonumber(after)) then
                redis.call('SET', p .. 'offset', string.format('%d', offset))
              end
            end
            local seen = {}
            if uid ~= '' and window > 0 then
              seen[1] = p .. 'seen:u:' .. uid
              if mid ~= '' then seen[2] = p .. 'seen:m:' .. chat .. ':' .. mid end
              for _, key in ipairs(seen) do
                if redis.call('EXISTS', key) == 1 then
                  move_offset()
                  return {'duplicate', 0}
                end
              end
            end
            local function act()
              local action = ARGV[6]
              if action == 'job' then
                redis.call('XADD', p .. 'jobs', '*', 'job', ARGV[7])
                if ARGV[8] == 'start' then redis.call('SADD', p .. 'handoff', ARGV[13])
                elseif ARGV[8] == 'end' then redis.call('SREM', p .. 'handoff', ARGV[13]) end
              elseif action == 'batch' then
                local list = p .. 'batch:' .. chat
                if (tonumber(ARGV[9]) == 0 or tonumber(ARGV[10]) <= 1) and redis.call('EXISTS', list) == 0 then
                  -- Batching off and nothing open: the message is its own job at once.
                  redis.call('XADD', p .. 'jobs', '*', 'job', '{"chat":' .. chat .. ',"kind":"batch","messages":[' .. ARGV[7] .. ']}')
                  return {'flushed', 1}
                end
                local now = now_ms()
                local count = redis.call('RPUSH', list, ARGV[7])
                redis.call('PEXPIRE', list, ARGV[12])
                local first = tonumber(redis.call('HGET', p .. 'batch:first', chat) or '0')
                if first == 0 then
                  first = now
                  redis.call('HSET', p .. 'batch:first', chat, string.format('%d', now))
                end
                local quiet = tonumber(ARGV[9])
                if quiet == 0 or count >= tonumber(ARGV[10]) then return {'flushed', take(p, chat)} end
                local due = math.min(now + quiet, first + tonumber(ARGV[11]))
                redis.call('ZADD', p .. 'batch:due', string.format('%d', due), chat)
                return {'accepted', math.max(due - now, 0)}
              end
              return {'accepted', 0}
            end
            local result = act()
            for _, key in ipairs(seen) do redis.call('SET', key, '1', 'PX', window) end
            move_offset()
            if uid ~= '' then
              -- A chat the bot took an update from is known; one that writes again is not blocked.
              redis.call('SADD', p .. 'chats', chat)
              redis.call('SREM', p .. 'blocked', chat)
            end
            return result
            """)

    /// Takes a chat's open batch into a job when it is due (or at once with force = '1').
    /// ARGV: prefix, chat, force. Returns {'later', ms until due}, {'flushed', messages} or
    /// {'gone', 0} (another process took it, or it never existed).
    static let flush = RedisScript(
        fence + common + """
            local p, chat = ARGV[1], ARGV[2]
            local due = redis.call('ZSCORE', p .. 'batch:due', chat)
            if ARGV[3] ~= '1' and due then
              local wait = tonumber(due) - now_ms()
              if wait > 0 then return {'later', wait} end
            end
            local taken = take(p, chat)
            if taken == 0 then return {'gone', 0} end
            return {'flushed', taken}
            """)

    /// The open batches: {chat, ms until due, chat, ms until due, …}. ARGV: prefix.
    static let openBatches = RedisScript(
        common + """
            local p = ARGV[1]
            local now = now_ms()
            local entries = redis.call('ZRANGE', p .. 'batch:due', 0, -1, 'WITHSCORES')
            local result = {}
            for i = 1, #entries, 2 do
              result[#result + 1] = entries[i]
              result[#result + 1] = math.max(tonumber(entries[i + 1]) - now, 0)
            end
            return result
            """)

    /// Moves a failed job from the stream to the retry set. ARGV: prefix, stream id, delay ms,
    /// job document.
    static let scheduleRetry = RedisScript(
        fence + common + """
            local p = ARGV[1]
            redis.call('ZADD', p .. 'retry', string.format('%d', now_ms() + tonumber(ARGV[3])), ARGV[4])
            redis.call('XACK', p .. 'jobs', 'workers', ARGV[2])
            redis.call('XDEL', p .. 'jobs', ARGV[2])
            return 1
            """)

    /// Moves due retries back into the stream. ARGV: prefix. Returns {moved, ms until the next
    /// is due or -1}.
    static let promoteRetries = RedisScript(
        fence + common + """
            local p = ARGV[1]
            local now = now_ms()
            local due = redis.call('ZRANGEBYSCORE', p .. 'retry', '-inf', now, 'LIMIT', 0, 100)
            for _, job in ipairs(due) do
              redis.call('XADD', p .. 'jobs', '*', 'job', job)
              redis.call('ZREM', p .. 'retry', job)
            end
            local upcoming = redis.call('ZRANGE', p .. 'retry', 0, 0, 'WITHSCORES')
            if #upcoming == 0 then return {#due, -1} end
            return {#due, math.max(tonumber(upcoming[2]) - now, 0)}
            """)

    /// Dead-letters a job: the entry joins the list (the last 1000 kept), the job leaves the
    /// stream. ARGV: prefix, stream id, entry, kept.
    static let deadLetter = RedisScript(
        fence + """
            local p = ARGV[1]
            redis.call('RPUSH', p .. 'dead', ARGV[3])
            redis.call('LTRIM', p .. 'dead', -tonumber(ARGV[4]), -1)
            redis.call('XACK', p .. 'jobs', 'workers', ARGV[2])
            redis.call('XDEL', p .. 'jobs', ARGV[2])
            return 1
            """)

    /// Runs a dead letter again: removes the entry and adds its job to the stream, or does
    /// nothing when the entry is gone (someone else retried or purged it). ARGV: prefix, entry,
    /// job document. Returns 1 when requeued.
    static let requeueDeadLetter = RedisScript(
        fence + """
            local p = ARGV[1]
            if redis.call('LREM', p .. 'dead', 1, ARGV[2]) == 1 then
              redis.call('XADD', p .. 'jobs', '*', 'job', ARGV[3])
              return 1
            end
            return 0
            """)

    /// Publishes a broadcast whose audience list is written: its hash, then its id in the
    /// index (a broadcast is listed only once its audience is whole). ARGV: the hash key, the
    /// index key, the id, then the hash's field/value pairs. Refused (a stale epoch), it drops
    /// the audience list it would have published, so a fenced worker leaves nothing behind.
    static let publishBroadcast = RedisScript(
        fence(undoing: "redis.call('DEL', ARGV[1] .. ':chats')") + """
            redis.call('HSET', ARGV[1], unpack(ARGV, 4, #ARGV - 2))
            redis.call('RPUSH', ARGV[2], ARGV[3])
            return 1
            """)

    /// Forgets a finished broadcast: its keys and its id in the index. ARGV: the hash key, the
    /// index key, the id.
    static let forgetBroadcast = RedisScript(
        fence + """
            redis.call('DEL', ARGV[1], ARGV[1] .. ':chats', ARGV[1] .. ':done', ARGV[1] .. ':failed')
            redis.call('LREM', ARGV[2], 1, ARGV[3])
            return 1
            """)

    /// Moves a broadcast to a state. ARGV: the broadcast's hash key, state, server-side Unix
    /// ms. Returns 1, or 0 when there is no such broadcast.
    static let setBroadcastState = RedisScript(
        fence + """
            local key = ARGV[1]
            if redis.call('EXISTS', key) == 0 then return 0 end
            redis.call('HSET', key, 'state', ARGV[2])
            if ARGV[2] == 'running' then redis.call('HSETNX', key, 'started_ms', ARGV[3]) end
            if ARGV[2] == 'done' or ARGV[2] == 'cancelled' then redis.call('HSET', key, 'finished_ms', ARGV[3]) end
            return 1
            """)

    /// A page of a broadcast's audience: {chat, done bit, chat, done bit, …}. ARGV: the
    /// broadcast's hash key, first position, count.
    static let broadcastTargets = RedisScript(
        """
        local key, from = ARGV[1], tonumber(ARGV[2])
        local chats = redis.call('LRANGE', key .. ':chats', from, from + tonumber(ARGV[3]) - 1)
        local result = {}
        for i, chat in ipairs(chats) do
          result[#result + 1] = chat
          result[#result + 1] = redis.call('GETBIT', key .. ':done', from + i - 1)
        end
        return result
        """)

    /// Records one chat's outcome, once: the done bit, the count, the cursor, the failure and
    /// a blocked chat's mark. ARGV: the broadcast's hash key, position, outcome, failure JSON
    /// ('' for sent), cursor, the bot's blocked set, chat. Returns 1, or 0 when the position
    /// had an outcome already (or the broadcast is gone).
    static let recordBroadcastOutcome = RedisScript(
        fence + """
            local key, position = ARGV[1], ARGV[2]
            if redis.call('EXISTS', key) == 0 then return 0 end
            if redis.call('SETBIT', key .. ':done', position, 1) == 1 then return 0 end
            redis.call('HINCRBY', key, ARGV[3], 1)
            if tonumber(ARGV[5]) > tonumber(redis.call('HGET', key, 'cursor') or '0') then redis.call('HSET', key, 'cursor', ARGV[5]) end
            if ARGV[4] ~= '' then redis.call('HSET', key .. ':failed', position, ARGV[4]) end
            if ARGV[3] == 'blocked' then redis.call('SADD', ARGV[6], ARGV[7]) end
            return 1
            """)

    /// Finishes jobs: writes the idempotency marks of their steps (`SET … NX PX`), then
    /// acknowledges and deletes their stream entries. ARGV: prefix, number of stream ids, the
    /// ids, then a key, value and ms to live per mark. Either part may be empty.
    static let finish = RedisScript(
        fence + """
            local p, n = ARGV[1], tonumber(ARGV[2])
            for i = 3 + n, #ARGV - 2, 3 do redis.call('SET', ARGV[i], ARGV[i + 1], 'NX', 'PX', ARGV[i + 2]) end
            if n > 0 then
              local ids = {}
              for i = 3, 2 + n do ids[#ids + 1] = ARGV[i] end
              redis.call('XACK', p .. 'jobs', 'workers', unpack(ids))
              redis.call('XDEL', p .. 'jobs', unpack(ids))
            end
            return 1
            """)

    /// Removes relayed webhook deliveries the worker has taken. ARGV: the `relayed` stream, the
    /// entry ids.
    static let removeRelayed = RedisScript(
        fence + """
            if #ARGV > 3 then
              local ids = {}
              for i = 2, #ARGV - 2 do ids[#ids + 1] = ARGV[i] end
              redis.call('XDEL', ARGV[1], unpack(ids))
            end
            return 1
            """)

    /// Sets a key with a time to live. ARGV: key, value, ms.
    static let setExpiring = RedisScript(
        fence + """
            redis.call('SET', ARGV[1], ARGV[2], 'PX', ARGV[3])
            return 1
            """)

    /// Empties the dead-letter list. ARGV: prefix. Returns how many there were.
    static let purgeDeadLetters = RedisScript(
        fence + """
            local count = redis.call('LLEN', ARGV[1] .. 'dead')
            redis.call('DEL', ARGV[1] .. 'dead')
            return count
            """)

    /// Cluster mode's take (a blocking read cannot run in a script): up to `count` jobs of the
    /// stream for the one consumer, new ones ('>') or its own pending ones after an id. ARGV:
    /// prefix, count, '>' or the id. Returns {'jobs', the XREADGROUP reply}, or, when there is
    /// nothing new, {'none', the stream's last entry id}: the caller waits with `XREAD BLOCK`
    /// for anything after it.
    static let takeJobs = RedisScript(
        fence + """
            local p = ARGV[1]
            local reply = redis.call('XREADGROUP', 'GROUP', 'workers', 'worker', 'COUNT', ARGV[2], 'STREAMS', p .. 'jobs', ARGV[3])
            if reply and reply[1] and #reply[1][2] > 0 then return {'jobs', reply} end
            local last = redis.call('XREVRANGE', p .. 'jobs', '+', '-', 'COUNT', 1)
            if #last == 0 then return {'none', '0-0'} end
            return {'none', last[1][1]}
            """)
}

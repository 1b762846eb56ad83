import BotRedis

/// The Lua scripts of membership and leases. Each is atomic, and times come from the server's
/// clock, so members never compare their own clocks.
enum ClusterScripts {
    private static let now = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

        """

    /// Renews this member and reads the live ones. ARGV: members key, info key, node, TTL ms,
    /// the member's JSON. Members whose membership expired are removed. Returns {node, expiry
    /// ms, JSON, …} of the live members.
    static let heartbeat = RedisScript(
        now + """
            local members, info, node, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
            redis.call('ZADD', members, now + ttl, node)
            redis.call('HSET', info, node, ARGV[5])
            for _, gone in ipairs(redis.call('ZRANGEBYSCORE', members, '-inf', now)) do redis.call('HDEL', info, gone) end
            redis.call('ZREMRANGEBYSCORE', members, '-inf', now)
            local live = redis.call('ZRANGE', members, 0, -1, 'WITHSCORES')
            local result = {}
            for i = 1, #live, 2 do
              result[#result + 1] = live[i]
              result[#result + 1] = live[i + 1]
              result[#result + 1] = redis.call('HGET', info, live[i]) or '{}'
            end
            return result
            """)

    /// Renews this member's leases. ARGV: bots' key prefix, node, TTL ms, bot ids. Returns 1
    /// per bot whose lease is still this node's (renewed), 0 per lost one.
    static let renew = RedisScript(
        """
        local prefix, node, ttl = ARGV[1], ARGV[2], ARGV[3]
        local result = {}
        for i = 4, #ARGV do
          local key = prefix .. ARGV[i] .. ':lease'
          if redis.call('GET', key) == node then
            redis.call('PEXPIRE', key, ttl)
            result[#result + 1] = 1
          else
            result[#result + 1] = 0
          end
        end
        return result
        """)

    /// Takes a bot's lease when it is free (or still this node's from before, as after a quick
    /// restart), with a new epoch, so that any worker of an earlier owner is fenced. ARGV: bots'
    /// key prefix, node, TTL ms, bot id. Returns {epoch, the owner whose lease expired, or ''
    /// when it was released or never held, the restart accounting its owners left or ''}, or
    /// {0, holder, ms its lease has left} when another node holds it.
    static let acquire = RedisScript(
        """
        local p, node, ttl = ARGV[1] .. ARGV[4], ARGV[2], ARGV[3]
        local holder = redis.call('GET', p .. ':lease')
        if holder and holder ~= node then return {0, holder, redis.call('PTTL', p .. ':lease')} end
        redis.call('SET', p .. ':lease', node, 'PX', ttl)
        local epoch = redis.call('INCR', p .. ':epoch')
        local previous = redis.call('GET', p .. ':owner') or ''
        redis.call('SET', p .. ':owner', node)
        return {epoch, previous, redis.call('GET', p .. ':accounting') or ''}
        """)

    /// Publishes the restart accounting of bots this node holds, so it travels with them.
    /// ARGV: bots' key prefix, node, then bot id and JSON pairs. A bot whose lease is not this
    /// node's (any more) is left alone.
    static let carryAccounting = RedisScript(
        """
        local prefix, node = ARGV[1], ARGV[2]
        for i = 3, #ARGV - 1, 2 do
          local key = prefix .. ARGV[i]
          if redis.call('GET', key .. ':lease') == node then redis.call('SET', key .. ':accounting', ARGV[i + 1]) end
        end
        return 1
        """)

    /// Gives leases up (their workers have stopped): the next owner starts at once, and does
    /// not count the bot as taken over. ARGV: bots' key prefix, node, bot ids.
    static let release = RedisScript(
        """
        local prefix, node = ARGV[1], ARGV[2]
        for i = 3, #ARGV do
          local key = prefix .. ARGV[i]
          if redis.call('GET', key .. ':lease') == node then
            redis.call('DEL', key .. ':lease')
            redis.call('DEL', key .. ':owner')
          end
        end
        return 1
        """)

    /// Leaves the membership. ARGV: members key, info key, node.
    static let leave = RedisScript(
        """
        redis.call('ZREM', ARGV[1], ARGV[3])
        redis.call('HDEL', ARGV[2], ARGV[3])
        return 1
        """)

    /// Queues a webhook delivery for a bot's owner (``RedisWebhookRelay``). ARGV: the bot's key
    /// prefix, update id, body, the most deliveries the queue holds. Returns 'duplicate' when
    /// the bot has the update already (its dedup mark), 'full', or 'queued'.
    static let relay = RedisScript(
        """
        local p = ARGV[1]
        if redis.call('EXISTS', p .. 'seen:u:' .. ARGV[2]) == 1 then return 'duplicate' end
        if redis.call('XLEN', p .. 'relayed') >= tonumber(ARGV[4]) then return 'full' end
        redis.call('XADD', p .. 'relayed', '*', 'update', ARGV[3])
        return 'queued'
        """)
}

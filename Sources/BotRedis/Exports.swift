// The client's value types (URL, replies, errors) live in the dependency-free BotRedisCore, so
// the configuration check can parse REDIS_URL without linking hiredis; users of the client get
// them with it.
@_exported import BotRedisCore

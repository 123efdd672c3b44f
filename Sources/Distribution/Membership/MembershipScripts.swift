// The Lua scripts that are membership's only writers in Redis: join, renew, sweep,
// declareDown, leave. Each runs atomically, reads Redis's own clock (TIME), and publishes what it
// changed on the events channel. Immutable values; run by the membership process.
//
// Keys (KEYS[1...6], see `MembershipConfiguration.scriptKeys`), all under the hash tag
// `otter:{cluster}`:
//   :incarnation   counter; seeded from Redis time in µs when missing, so an incarnation
//                  is never reused even after Redis lost its data
//   :members       zset name → lease expiry (Redis time, ms): the truth about who is up
//   :incarnations  hash name → incarnation
//   :info          hash name → JSON {address, instance, metadata, name}
//   :down          hash name → "<incarnation> <reason>": the newest incarnation of that
//                  name declared down (tombstone); it can never renew again
//   :heard         Redis time (ms) of the last membership script: a longer silence than
//                  the quiet gap means Redis did not serve (paused, restarted from its
//                  files, unreachable to all), and the next script refreshes every lease
//   :member:<name> "<incarnation> <json>" with PX = lease (for people and tools)
// Every script takes ARGV[1...4] = channel, member key prefix, lease (ms), quiet gap
// (ms); its own arguments follow.
// Channel `otter:{cluster}:events`: "up|down|leave\n<name>\n<incarnation>\n<json|reason>".
import Redis

enum MembershipScripts {
  /// Shared helpers. Every script starts with `begin()`, the silence check, which returns
  /// Redis time in ms: even a script that waited in a paused server's socket, sent
  /// before its sender knew of the outage, finds the leases refreshed.
  static let prelude = """
    local function now_ms()
      local t = redis.call('TIME')
      return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    end
    local function refresh_all(now, lease)
      for _, name in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', string.format('(%d', now + lease))) do
        redis.call('ZADD', KEYS[2], now + lease, name)
        local inc = redis.call('HGET', KEYS[3], name)
        local json = redis.call('HGET', KEYS[4], name)
        if inc and json then redis.call('SET', ARGV[2] .. name, inc .. ' ' .. json, 'PX', lease) end
      end
    end
    local function counter_at_least(floor)
      if not redis.call('GET', KEYS[1]) then
        local t = redis.call('TIME')
        redis.call('SET', KEYS[1], t[1] .. string.format('%06d', tonumber(t[2])))
      end
      if floor and tonumber(redis.call('GET', KEYS[1])) < tonumber(floor) then
        redis.call('SET', KEYS[1], floor)
      end
    end
    local function tombstone(name)
      local t = redis.call('HGET', KEYS[5], name)
      if not t then return nil, nil end
      local sp = string.find(t, ' ', 1, true)
      if not sp then return t, '' end
      return string.sub(t, 1, sp - 1), string.sub(t, sp + 1)
    end
    local function bury(name, inc, reason)
      local old = tombstone(name)
      if old and tonumber(old) > tonumber(inc) then return end
      redis.call('HSET', KEYS[5], name, inc .. ' ' .. reason)
    end
    local function remove(name)
      redis.call('ZREM', KEYS[2], name)
      redis.call('HDEL', KEYS[3], name)
      redis.call('HDEL', KEYS[4], name)
      redis.call('DEL', ARGV[2] .. name)
    end
    local function publish(kind, name, inc, text)
      redis.call('PUBLISH', ARGV[1], kind .. '\\n' .. name .. '\\n' .. inc .. '\\n' .. text)
    end
    local function register(name, inc, json, lease, now)
      redis.call('HSET', KEYS[3], name, inc)
      redis.call('HSET', KEYS[4], name, json)
      redis.call('ZADD', KEYS[2], now + lease, name)
      redis.call('SET', ARGV[2] .. name, inc .. ' ' .. json, 'PX', lease)
      publish('up', name, inc, json)
    end
    local function begin()
      local now = now_ms()
      local heard = tonumber(redis.call('GET', KEYS[6]) or '0')
      redis.call('SET', KEYS[6], now)
      if now - heard > tonumber(ARGV[4]) then refresh_all(now, tonumber(ARGV[3])) end
      return now
    end

    """

  /// ARGV[5...]: name, json, previous incarnation of ours ("0").
  /// Returns {"ok", incarnation} or {"taken", incarnation, json} (a live member of
  /// another incarnation holds the name). Our own previous incarnation, if Redis still
  /// has it, is replaced (and buried); so is one registered with our very JSON (its
  /// `instance` is ours: a join whose reply we did not get).
  static let join = RedisScript(
    prelude + """
      local name, json, lease, prev = ARGV[5], ARGV[6], tonumber(ARGV[3]), ARGV[7]
      -- The expiry before a refresh: a silence does not keep a name from the node that
      -- comes to take it (else a lone node, crashed and restarted after a while, would
      -- find its old lease refreshed by its own join, and be refused for ever).
      local expiry = tonumber(redis.call('ZSCORE', KEYS[2], name) or '0')
      local now = begin()
      local cur = redis.call('HGET', KEYS[3], name)
      if cur then
        local reason = 'replaced by a newer incarnation'
        if cur ~= prev and redis.call('HGET', KEYS[4], name) ~= json then
          if expiry > now then return {'taken', cur, redis.call('HGET', KEYS[4], name) or ''} end
          reason = 'lease expired'
        end
        remove(name)
        bury(name, cur, reason)
        publish('down', name, cur, reason)
      end
      counter_at_least(prev)
      local old = tombstone(name)
      if old then counter_at_least(old) end
      redis.call('INCR', KEYS[1])
      local inc = redis.call('GET', KEYS[1])
      register(name, inc, json, lease, now)
      return {'ok', inc}
      """)

  /// ARGV[5...]: name, incarnation, json.
  /// Returns {"ok"}; {"restored"} when Redis had no record of us and no tombstone (it
  /// lost its data): registered again under the same incarnation; or {"lost", why}.
  static let renew = RedisScript(
    prelude + """
      local name, inc, json, lease = ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[3])
      local now = begin()
      local cur = redis.call('HGET', KEYS[3], name)
      if cur == inc then
        redis.call('ZADD', KEYS[2], now + lease, name)
        redis.call('SET', ARGV[2] .. name, inc .. ' ' .. json, 'PX', lease)
        return {'ok'}
      end
      if cur then return {'lost', 'the name is held by incarnation ' .. cur} end
      local down, reason = tombstone(name)
      if down and tonumber(down) >= tonumber(inc) then return {'lost', 'declared down (' .. reason .. ')'} end
      counter_at_least(inc)
      register(name, inc, json, lease, now)
      return {'restored'}
      """)

  /// ARGV[5...]: (name, incarnation, declare "0"/"1") for each
  /// member the caller considers up. Removes and buries expired leases; for each of the
  /// caller's members no longer registered: "down" with the reason of its tombstone (or
  /// "replaced by a newer incarnation"), or, with no tombstone (Redis lost its data),
  /// "missing" — or "down" and buried now if the caller asks to declare it.
  /// Returns {live: [name, incarnation, json]*, statuses: [name, incarnation, status, reason]*}.
  static let sweep = RedisScript(
    prelude + """
      local now = begin()
      for _, name in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
        local inc = redis.call('HGET', KEYS[3], name) or '0'
        remove(name)
        bury(name, inc, 'lease expired')
        publish('down', name, inc, 'lease expired')
      end
      local statuses = {}
      for i = 5, #ARGV - 2, 3 do
        local name, inc, declare = ARGV[i], ARGV[i + 1], ARGV[i + 2]
        local cur = redis.call('HGET', KEYS[3], name)
        if cur ~= inc then
          local down, reason = tombstone(name)
          if down and tonumber(down) >= tonumber(inc) then
            table.insert(statuses, name); table.insert(statuses, inc)
            table.insert(statuses, 'down'); table.insert(statuses, reason)
          elseif cur and tonumber(cur) > tonumber(inc) then
            table.insert(statuses, name); table.insert(statuses, inc)
            table.insert(statuses, 'down'); table.insert(statuses, 'replaced by a newer incarnation')
          elseif declare == '1' then
            local why = 'did not come back after Redis lost its data'
            bury(name, inc, why)
            publish('down', name, inc, why)
            table.insert(statuses, name); table.insert(statuses, inc)
            table.insert(statuses, 'down'); table.insert(statuses, why)
          else
            table.insert(statuses, name); table.insert(statuses, inc)
            table.insert(statuses, 'missing'); table.insert(statuses, '')
          end
        end
      end
      local live = {}
      for _, name in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
        table.insert(live, name)
        table.insert(live, redis.call('HGET', KEYS[3], name) or '0')
        table.insert(live, redis.call('HGET', KEYS[4], name) or '{}')
      end
      return {live, statuses}
      """)

  /// ARGV[5...]: name, incarnation, reason. A member known to be gone before its lease
  /// runs out (its address refuses connections: no process listens there any more):
  /// removed and buried with `reason`, "down" published — as the sweep does for an
  /// expired lease. Returns 1, or 0 if that incarnation was not registered (any more).
  static let declareDown = RedisScript(
    prelude + """
      local name, inc, reason = ARGV[5], ARGV[6], ARGV[7]
      begin()
      if redis.call('HGET', KEYS[3], name) ~= inc then return 0 end
      remove(name)
      bury(name, inc, reason)
      publish('down', name, inc, reason)
      return 1
      """)

  /// ARGV[5...]: name, incarnation. Removes our lease if it is still
  /// ours, buries it as "left", publishes "leave". Returns 1, or 0 if it was not ours.
  static let leave = RedisScript(
    prelude + """
      local name, inc = ARGV[5], ARGV[6]
      begin()
      if redis.call('HGET', KEYS[3], name) ~= inc then return 0 end
      remove(name)
      bury(name, inc, 'left')
      publish('leave', name, inc, 'left')
      return 1
      """)
}

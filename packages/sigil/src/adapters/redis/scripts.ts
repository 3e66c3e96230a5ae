/**
 * The Lua scripts behind the Redis `SharedCache`. A script runs atomically on the server (no
 * other command interleaves), and reads the server's own clock (`TIME`), so gateways whose clocks
 * disagree still count one window. Times are milliseconds of the Redis server's clock.
 *
 * Rate windows are sliding logs: a sorted set per key whose members are the calls counted (score =
 * time), trimmed to the window on every call. Exact (no fixed-window burst at a boundary) at the
 * price of one member per counted call — `limit` members at most per key.
 *
 * Slot sets are sorted sets whose members are lease tokens scored by their expiry: expired leases
 * are trimmed before anything is counted, so a gateway that died holding slots gives them back
 * when the leases run out. The key itself expires with its longest lease.
 */
import { createHash } from "node:crypto";

export interface Script {
	readonly source: string;
	readonly sha1: string;
}

function script(source: string): Script {
	return { source, sha1: createHash("sha1").update(source).digest("hex") };
}

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS[1] window; ARGV limit, windowMs, unique member suffix.
 * Returns { allowed 1|0, remaining, retryAfterMs }.
 */
export const RATE_LIMIT = script(`${NOW}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return { 1, limit - n - 1, 0 }
end
local freeing = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
local retry = math.floor(tonumber(freeing[2]) + window - now)
if retry < 1 then retry = 1 end
return { 0, 0, retry }`);

const KEEP_UNTIL_LONGEST = `local longest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if longest[2] then redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(longest[2]))) end`;

/** KEYS[1] slots; ARGV limit, leaseMs, token. Returns the lease's expiry, or -1 when full. */
export const ACQUIRE_SLOT = script(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return -1 end
local expires = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], expires, ARGV[3])
${KEEP_UNTIL_LONGEST}
return expires`);

/** KEYS[1] slots; ARGV leaseMs, token. Returns the new expiry, or -1 when the lease ran out. */
export const RENEW_SLOT = script(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return -1 end
local expires = now + tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], 'XX', expires, ARGV[2])
${KEEP_UNTIL_LONGEST}
return expires`);

/** KEYS[1] slots. Returns the leases still running. */
export const SLOTS_HELD = script(`${NOW}
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')`);

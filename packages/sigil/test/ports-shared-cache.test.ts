/**
 * Every `SharedCache` adapter runs the one contract: in memory, and Redis at
 * redis://127.0.0.1:6379 (SIGIL_TEST_REDIS), each run under its own key prefix, removed after.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "redis";
import {
	RedisSharedCache,
	redactUrl,
} from "../src/adapters/redis/redis-shared-cache.ts";
import { MemorySharedCache } from "../src/ports/memory-shared-cache.ts";
import { CacheError, type SharedCache } from "../src/ports/shared-cache.ts";
import { REDIS_URL, runSuffix, serviceSkip } from "./ports-services.ts";
import { runSharedCacheContract } from "./ports-shared-cache-contract.ts";

/** A client of one shared in-memory cache; closing it leaves the others working. */
function view(shared: SharedCache): SharedCache {
	let closed = false;
	const open = () => {
		if (closed)
			throw new CacheError("CACHE_CLOSED", "the shared cache is closed");
		return shared;
	};
	return {
		firstSighting: async (...a) => open().firstSighting(...a),
		rateLimit: async (...a) => open().rateLimit(...a),
		acquireSlot: async (...a) => open().acquireSlot(...a),
		renewSlot: async (...a) => open().renewSlot(...a),
		releaseSlot: async (...a) => open().releaseSlot(...a),
		slotsHeld: async (...a) => open().slotsHeld(...a),
		check: async () => open().check(),
		close: async () => {
			closed = true;
		},
	};
}

runSharedCacheContract("memory", async () => {
	const shared = new MemorySharedCache({ sweepEvery: 7 });
	return {
		open: async () => view(shared),
		cleanup: () => shared.close(),
	};
});

let redisSkip: string | undefined;
try {
	redisSkip = await serviceSkip("Redis", REDIS_URL, 6379);
} catch (err) {
	test(`Redis SharedCache contract needs ${REDIS_URL}`, () => {
		throw err;
	});
	redisSkip = "unreachable (reported as a failure above)";
}

async function deletePrefix(prefix: string): Promise<number> {
	const admin = createClient({ url: REDIS_URL });
	admin.on("error", () => {});
	await admin.connect();
	try {
		let n = 0;
		for await (const keys of admin.scanIterator({
			MATCH: `${prefix}*`,
			COUNT: 500,
		})) {
			if (keys.length > 0) n += await admin.del(keys);
		}
		return n;
	} finally {
		await admin.close();
	}
}

runSharedCacheContract(
	"redis",
	async () => {
		const prefix = `sigil-test-${runSuffix()}:`;
		return {
			open: () => RedisSharedCache.connect(REDIS_URL, { keyPrefix: prefix }),
			cleanup: async () => {
				await deletePrefix(prefix);
			},
		};
	},
	redisSkip === undefined ? {} : { skip: redisSkip },
);

test("redis: keys live under the prefix and expire by themselves; cleanup leaves none", {
	skip: redisSkip ?? false,
}, async () => {
	const prefix = `sigil-test-${runSuffix()}:`;
	const cache = await RedisSharedCache.connect(REDIS_URL, {
		keyPrefix: prefix,
	});
	const admin = createClient({ url: REDIS_URL });
	admin.on("error", () => {});
	await admin.connect();
	try {
		await cache.firstSighting("hook", "id-1", 60_000);
		await cache.rateLimit("fn", 5, 60_000);
		await cache.acquireSlot("fn", 2, 60_000);
		const keys: string[] = [];
		for await (const page of admin.scanIterator({ MATCH: `${prefix}*` }))
			keys.push(...page);
		assert.deepEqual(keys.sort(), [
			`${prefix}rate:fn`,
			`${prefix}replay:hook:id-1`,
			`${prefix}slots:fn`,
		]);
		for (const key of keys) {
			const ttl = await admin.pTTL(key);
			assert.ok(ttl > 0 && ttl <= 60_000, `${key} has TTL ${ttl}`);
		}
		// After a SCRIPT FLUSH (as after a Redis restart) the scripts are sent again.
		await admin.scriptFlush();
		assert.equal((await cache.rateLimit("fn", 5, 60_000)).remaining, 3);
	} finally {
		await cache.close();
		await deletePrefix(prefix);
		let left = 0;
		for await (const page of admin.scanIterator({ MATCH: `${prefix}*` }))
			left += page.length;
		await admin.close();
		assert.equal(left, 0);
	}
});

test("redis: an unreachable server is reported with its URL, never its password", async () => {
	const url = "redis://sigil:hunter2@127.0.0.1:9";
	await assert.rejects(
		RedisSharedCache.connect(url, { connectTimeoutMs: 500 }),
		(err: Error) => {
			assert.match(err.message, /127\.0\.0\.1:9/);
			assert.doesNotMatch(err.message, /hunter2/);
			return true;
		},
	);
	assert.equal(redactUrl(url), "redis://sigil:***@127.0.0.1:9");
});

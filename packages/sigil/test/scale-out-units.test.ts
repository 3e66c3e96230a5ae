// Issue 12's seams, without engines: the engine configuration (validated once, frozen, refusing
// what it does not support, never showing a password), every store write announced on the change
// feed with what it changed, a change applied to the caches, and callbacks sent once per job
// however often the job runs.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { deliverCallbackOnce } from "../src/async/callback-once.ts";
import {
	describeEngines,
	resolveEngines,
} from "../src/config/gateway-config.ts";
import { SigilError } from "../src/errors.ts";
import { announceChanges } from "../src/gateway/announce-changes.ts";
import type { Change } from "../src/ports/change-feed.ts";
import { MemoryChangeFeed } from "../src/ports/memory-change-feed.ts";
import { MemorySharedCache } from "../src/ports/memory-shared-cache.ts";
import { openSqliteStore } from "../src/store/sqlite/open.ts";
import type { JobCallback } from "../src/store/types.ts";

/** The memory feed delivers on a later turn, as a remote one would. */
const tick = () => new Promise((r) => setTimeout(r, 10));

const refused = (fn: () => unknown, pattern: RegExp) =>
	assert.throws(
		fn,
		(err: unknown) =>
			err instanceof SigilError &&
			err.code === "GATEWAY_CONFIG_INVALID" &&
			pattern.test(err.message),
	);

test("engines: nothing set is the embedded default; flags win over the environment; any subset", () => {
	assert.deepEqual(resolveEngines({}, {}), {
		store: { kind: "sqlite" },
		queue: { kind: "embedded" },
		cache: { kind: "memory" },
	});
	const env = {
		SIGIL_STORE: "postgres://env@db:5432/sigil",
		SIGIL_CACHE: "redis://cache:6379",
	};
	const c = resolveEngines(
		{ store: "postgresql://flag@db/x?schema=blue" },
		env,
	);
	assert.deepEqual(c.store, {
		kind: "postgres",
		url: "postgresql://flag@db/x",
		schema: "blue",
	});
	assert.deepEqual(c.queue, { kind: "embedded" });
	assert.deepEqual(c.cache, {
		kind: "redis",
		url: "redis://cache:6379",
		keyPrefix: "sigil:",
	});
	const nats = resolveEngines(
		{ queue: "nats://a:4222,nats://b:4222?stream=JOBS_2" },
		{},
	).queue;
	assert.deepEqual(nats, {
		kind: "nats",
		url: "nats://a:4222,nats://b:4222",
		stream: "JOBS_2",
	});
});

test("engines: the configuration is frozen", () => {
	const c = resolveEngines({ cache: "redis://h:6379" }, {});
	assert.ok(Object.isFrozen(c) && Object.isFrozen(c.cache));
	assert.throws(() => {
		(c as { cache: unknown }).cache = { kind: "memory" };
	}, TypeError);
});

test("engines: unknown schemes, unsupported parameters and bad names are refused, naming the flag or variable", () => {
	refused(
		() => resolveEngines({ store: "mysql://db/x" }, {}),
		/--store: the scheme "mysql" is not supported/,
	);
	refused(
		() => resolveEngines({}, { SIGIL_QUEUE: "amqp://mq" }),
		/SIGIL_QUEUE: the scheme "amqp"/,
	);
	refused(() => resolveEngines({ cache: "memcached://m" }, {}), /--cache/);
	refused(
		() => resolveEngines({ store: "not a url" }, {}),
		/--store: not a URL/,
	);
	// A parameter Sigil does not support is refused, never passed on and ignored.
	refused(
		() => resolveEngines({ cache: "redis://h:6379?db=3" }, {}),
		/query parameter "db" is not supported \(only prefix\)/,
	);
	refused(
		() => resolveEngines({ queue: "nats://h?stream=a.b" }, {}),
		/stream must be/,
	);
	refused(
		() => resolveEngines({ store: "postgres://h/d?schema=Bad-Name" }, {}),
		/schema must be/,
	);
	refused(
		() => resolveEngines({ store: "postgres://h/d?schema=a&schema=b" }, {}),
		/given twice/,
	);
	refused(
		() => resolveEngines({ queue: `nats://h/${"x".repeat(3000)}` }, {}),
		/longer than/,
	);
});

test("engines: a password in a URL never reaches the description (logs, /readyz, sigil up)", () => {
	fc.assert(
		fc.property(fc.stringMatching(/^[A-Za-z0-9]{8,24}$/), (password) => {
			const c = resolveEngines(
				{
					store: `postgres://sigil:${password}@db:5432/state`,
					cache: `redis://default:${password}@cache:6379`,
					queue: `nats://u:${password}@mq:4222`,
				},
				{},
			);
			const shown = JSON.stringify(describeEngines(c));
			return !shown.includes(password) && shown.includes("***");
		}),
	);
});

test("engines property: any accepted store URL keeps its host, and the schema named is the one used", () => {
	fc.assert(
		fc.property(
			fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
			fc.stringMatching(/^[a-z_][a-z0-9_]{0,30}$/),
			(host, schema) => {
				const c = resolveEngines(
					{ store: `postgres://u@${host}:5432/db?schema=${schema}` },
					{},
				).store;
				return (
					c.kind === "postgres" &&
					c.schema === schema &&
					new URL(c.url).hostname === host &&
					!c.url.includes("schema=")
				);
			},
		),
	);
});

test("every store write is announced on the feed with what it changed; reads are not", async () => {
	const dataDir = await mkdtemp(join(tmpdir(), "sigil-announce-"));
	const raw = await openSqliteStore({ dataDir, masterKey: randomBytes(32) });
	const feed = new MemoryChangeFeed();
	const seen: Change[] = [];
	feed.subscribe((c) => seen.push(c));
	const store = announceChanges(raw, feed, () => {});
	try {
		const account = await store.accounts.create({ name: "t" });
		const id = account.accountId;
		await store.users.create({ accountId: id, userName: "ann" });
		await store.policies.put(
			id,
			"user",
			"ann",
			"p",
			'{"Version":"2012-10-17","Statement":[]}',
		);
		const key = await store.accessKeys.create({
			accountId: id,
			userName: "ann",
		});
		await store.accessKeys.setStatus(key.accessKeyId, "Inactive");
		await store.secrets.put(id, "s", Buffer.from("v"));
		await store.functions.put({
			accountId: id,
			name: "f",
			config: { runtime: "node" },
			code: Buffer.from("x"),
		});
		await store.versions.publish({ accountId: id, name: "f", description: "" });
		await tick();
		assert.deepEqual(seen.at(-1), {
			kind: "function",
			accountId: id,
			name: "f",
		});
		await store.functions.delete(id, "f");
		await tick();
		assert.ok(seen.some((c) => c.kind === "function" && c.name === "f"));
		assert.ok(seen.some((c) => c.kind === "secret" && c.name === "s"));
		seen.length = 0;
		await store.users.list(id);
		await store.accessKeys.get(key.accessKeyId);
		await tick();
		assert.deepEqual(seen, [], "reads announce nothing");
		await store.accessKeys.delete(key.accessKeyId);
		await store.policies.delete(id, "user", "ann", "p");
		await store.users.delete(id, "ann");
		await tick();
		assert.deepEqual(seen, [
			{ kind: "access-key", accountId: id, name: key.accessKeyId },
			{ kind: "policy", accountId: id, name: "user/ann" },
			{ kind: "user", accountId: id, name: "ann" },
		]);
	} finally {
		await feed.close();
		await raw.close();
		await rm(dataDir, { recursive: true, force: true });
	}
});

test("a write whose publish fails still stands, and the failure is logged without the change's content", async () => {
	const dataDir = await mkdtemp(join(tmpdir(), "sigil-announce-"));
	const raw = await openSqliteStore({ dataDir, masterKey: randomBytes(32) });
	const feed = new MemoryChangeFeed();
	await feed.close(); // publish now rejects
	const lines: Record<string, unknown>[] = [];
	const store = announceChanges(raw, feed, (e) => lines.push(e));
	try {
		const account = await store.accounts.create({ name: "t" });
		await store.secrets.put(account.accountId, "s", Buffer.from("hunter2"));
		assert.ok(await raw.secrets.get(account.accountId, "s"));
		assert.ok(lines.some((l) => l.event === "publish-failed"));
		assert.ok(!JSON.stringify(lines).includes("hunter2"));
	} finally {
		await raw.close();
		await rm(dataDir, { recursive: true, force: true });
	}
});

const delivered = (): JobCallback => ({
	outcome: "delivered",
	target: "http://r/",
	address: "127.0.0.1",
	httpStatus: 200,
	attempts: 1,
	error: null,
	at: Date.now(),
});

test("a job run twice at once, or again after it was delivered, POSTs its callback once", async () => {
	const cache = new MemorySharedCache();
	let posts = 0;
	const send = async () => {
		posts++;
		await new Promise((r) => setTimeout(r, 50));
		return delivered();
	};
	const [one, two] = await Promise.all([
		deliverCallbackOnce(cache, "job-1", send, () => {}),
		deliverCallbackOnce(cache, "job-1", send, () => {}),
	]);
	assert.equal(posts, 1);
	assert.deepEqual(
		[one.sent, two.sent].sort(),
		[false, true],
		"one run sent, the other saw it done",
	);
	const later = await deliverCallbackOnce(cache, "job-1", send, () => {});
	assert.equal(later.sent, false);
	assert.equal(posts, 1);
	// Another job is its own.
	await deliverCallbackOnce(cache, "job-2", send, () => {});
	assert.equal(posts, 2);
	await cache.close();
});

test("a callback that was not delivered is not marked: the rerun sends it", async () => {
	const cache = new MemorySharedCache();
	let posts = 0;
	const failing = async (): Promise<JobCallback> => {
		posts++;
		return { ...delivered(), outcome: "failed", httpStatus: 500 };
	};
	await deliverCallbackOnce(cache, "job-3", failing, () => {});
	const again = await deliverCallbackOnce(cache, "job-3", failing, () => {});
	assert.equal(again.sent, true);
	assert.equal(posts, 2);
	await cache.close();
});

test("while the cache is down the callback is still sent (a duplicate beats a lost result), and that is logged", async () => {
	const cache = new MemorySharedCache();
	await cache.close(); // every call rejects with CACHE_CLOSED
	const lines: Record<string, unknown>[] = [];
	let posts = 0;
	const r = await deliverCallbackOnce(
		cache,
		"job-4",
		async () => {
			posts++;
			return delivered();
		},
		(e) => lines.push(e),
	);
	assert.equal(r.sent, true);
	assert.equal(posts, 1);
	assert.ok(lines.some((l) => l.event === "callback-unguarded"));
});

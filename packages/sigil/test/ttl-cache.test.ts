// The read-through cache in front of access keys and trigger secrets (gateway/ttl-cache.ts):
// answers kept for their TTL, "none" for the shorter one, bounded, and an invalidation never
// undone by a read that was already in flight.
import assert from "node:assert/strict";
import { test } from "node:test";
import { TtlCache } from "../src/gateway/ttl-cache.ts";

function counting<V>(value: () => V | undefined) {
	let loads = 0;
	return {
		load: async () => {
			loads++;
			return value();
		},
		loads: () => loads,
	};
}

test("an answer is kept for ttlMs, a missing one for negativeTtlMs", async () => {
	const cache = new TtlCache<string>({ ttlMs: 100, negativeTtlMs: 10 });
	let value: string | undefined = "v1";
	const src = counting(() => value);
	assert.equal(await cache.get("k", 0, src.load), "v1");
	value = "v2";
	assert.equal(await cache.get("k", 99, src.load), "v1");
	assert.equal(src.loads(), 1);
	assert.equal(await cache.get("k", 100, src.load), "v2");
	value = undefined;
	assert.equal(await cache.get("gone", 0, src.load), undefined);
	assert.equal(await cache.get("gone", 9, src.load), undefined);
	assert.equal(src.loads(), 3);
	value = "now";
	assert.equal(await cache.get("gone", 10, src.load), "now");
});

test("invalidate drops one key or all", async () => {
	const cache = new TtlCache<string>();
	let n = 0;
	const load = async () => `v${++n}`;
	assert.equal(await cache.get("a", 0, load), "v1");
	assert.equal(await cache.get("b", 0, load), "v2");
	cache.invalidate("a");
	assert.equal(await cache.get("a", 1, load), "v3");
	assert.equal(await cache.get("b", 1, load), "v2");
	cache.invalidate();
	assert.equal(await cache.get("b", 2, load), "v4");
});

test("a read in flight when an invalidation comes does not put its answer back", async () => {
	const cache = new TtlCache<string>();
	let release: (v: string) => void = () => {};
	const slow = cache.get(
		"k",
		0,
		() => new Promise<string>((resolve) => (release = resolve)),
	);
	cache.invalidate("k"); // e.g. the secret was rotated while the old value was being read
	release("old");
	assert.equal(await slow, "old"); // its caller started before the change
	assert.equal(await cache.get("k", 1, async () => "new"), "new");
});

test("at most max entries: the oldest insertion goes first", async () => {
	const cache = new TtlCache<string>({ max: 2 });
	const src = counting(() => "v");
	await cache.get("a", 0, src.load);
	await cache.get("b", 0, src.load);
	await cache.get("c", 0, src.load); // drops a
	await cache.get("b", 1, src.load);
	await cache.get("c", 1, src.load);
	assert.equal(src.loads(), 3);
	await cache.get("a", 1, src.load);
	assert.equal(src.loads(), 4);
});

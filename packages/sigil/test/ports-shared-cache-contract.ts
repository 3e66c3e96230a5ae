/**
 * The contract every `SharedCache` adapter passes (in memory, Redis). A library of tests (no
 * `.test.ts` suffix): an adapter's test file calls `runSharedCacheContract` with a factory. The
 * factory's `open()` gives another client of the same shared state — a second gateway — so the
 * races below are races between gateways, not only between calls of one client.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isCacheError, type SharedCache } from "../src/ports/shared-cache.ts";
import { sleep } from "./ports-services.ts";

export interface SharedCacheHarness {
	/** Another client on the same shared state (each is closed by the contract). */
	open(): Promise<SharedCache>;
	/** Removes everything this harness wrote. */
	cleanup(): Promise<void>;
}

export type MakeSharedCache = () => Promise<SharedCacheHarness>;

async function withCaches(
	make: MakeSharedCache,
	n: number,
	fn: (caches: SharedCache[]) => Promise<void>,
): Promise<void> {
	const h = await make();
	const caches: SharedCache[] = [];
	try {
		for (let i = 0; i < n; i++) caches.push(await h.open());
		await fn(caches);
	} finally {
		await Promise.allSettled(caches.map((c) => c.close()));
		await h.cleanup();
	}
}

export function runSharedCacheContract(
	name: string,
	make: MakeSharedCache,
	options: { skip?: string } = {},
): void {
	describe(`SharedCache contract: ${name}`, {
		skip: options.skip ?? false,
	}, () => {
		test("replay: a first sighting is true, the same id again false, another id or scope true", () =>
			withCaches(make, 1, async ([c]) => {
				const cache = c as SharedCache;
				assert.equal(
					await cache.firstSighting("hook-a", "msg_1", 60_000),
					true,
				);
				assert.equal(
					await cache.firstSighting("hook-a", "msg_1", 60_000),
					false,
				);
				assert.equal(
					await cache.firstSighting("hook-a", "msg_2", 60_000),
					true,
				);
				assert.equal(
					await cache.firstSighting("hook-b", "msg_1", 60_000),
					true,
				);
			}));

		test("replay: two clients racing the same id — exactly one wins", () =>
			withCaches(make, 2, async ([a, b]) => {
				for (let round = 0; round < 5; round++) {
					const id = `race-${round}`;
					const calls: Promise<boolean>[] = [];
					for (let i = 0; i < 20; i++)
						calls.push(
							((i % 2 ? a : b) as SharedCache).firstSighting(
								"hook",
								id,
								60_000,
							),
						);
					const wins = (await Promise.all(calls)).filter(Boolean).length;
					assert.equal(wins, 1, `round ${round}: ${wins} first sightings`);
				}
			}));

		test("replay: an id is accepted again once its TTL has passed", () =>
			withCaches(make, 2, async ([a, b]) => {
				assert.equal(
					await (a as SharedCache).firstSighting("s", "ttl", 500),
					true,
				);
				assert.equal(
					await (b as SharedCache).firstSighting("s", "ttl", 500),
					false,
				);
				await sleep(650);
				assert.equal(
					await (b as SharedCache).firstSighting("s", "ttl", 500),
					true,
				);
			}));

		test("rate: allows `limit` calls per window, then refuses with a retry-after inside the window", () =>
			withCaches(make, 1, async ([c]) => {
				const cache = c as SharedCache;
				const seen = [];
				for (let i = 0; i < 3; i++)
					seen.push(await cache.rateLimit("fn:a", 3, 1000));
				assert.deepEqual(
					seen.map((d) => [d.allowed, d.remaining, d.retryAfterMs]),
					[
						[true, 2, 0],
						[true, 1, 0],
						[true, 0, 0],
					],
				);
				const refused = await cache.rateLimit("fn:a", 3, 1000);
				assert.equal(refused.allowed, false);
				assert.equal(refused.remaining, 0);
				assert.ok(
					refused.retryAfterMs >= 1 && refused.retryAfterMs <= 1000,
					`retryAfterMs ${refused.retryAfterMs}`,
				);
				// Another key has its own window.
				assert.equal((await cache.rateLimit("fn:b", 3, 1000)).allowed, true);
			}));

		test("rate: the window slides — a place frees when the oldest call leaves it, not at a boundary", () =>
			withCaches(make, 1, async ([c]) => {
				const cache = c as SharedCache;
				const start = performance.now();
				assert.equal((await cache.rateLimit("slide", 2, 1000)).allowed, true);
				await sleep(500);
				assert.equal((await cache.rateLimit("slide", 2, 1000)).allowed, true);
				const refused = await cache.rateLimit("slide", 2, 1000);
				assert.equal(refused.allowed, false);
				// The first call leaves the window 1000 ms after it was made, ~500 ms from now.
				const expected = 1000 - (performance.now() - start);
				assert.ok(
					refused.retryAfterMs >= Math.max(1, expected - 100) &&
						refused.retryAfterMs <= expected + 100,
					`retryAfterMs ${refused.retryAfterMs}, expected about ${Math.round(expected)}`,
				);
				await sleep(refused.retryAfterMs + 50);
				assert.equal((await cache.rateLimit("slide", 2, 1000)).allowed, true);
				// …and only one place freed: the second call is still in the window.
				assert.equal((await cache.rateLimit("slide", 2, 1000)).allowed, false);
			}));

		test("rate: atomic under concurrent calls from two clients — never more than `limit` allowed", () =>
			withCaches(make, 2, async ([a, b]) => {
				const calls = [];
				for (let i = 0; i < 60; i++)
					calls.push(
						((i % 2 ? a : b) as SharedCache).rateLimit("burst", 10, 5000),
					);
				const decisions = await Promise.all(calls);
				assert.equal(decisions.filter((d) => d.allowed).length, 10);
				for (const d of decisions.filter((d) => !d.allowed))
					assert.ok(d.retryAfterMs >= 1 && d.retryAfterMs <= 5000);
				const remaining = decisions
					.filter((d) => d.allowed)
					.map((d) => d.remaining)
					.sort((x, y) => x - y);
				assert.deepEqual(remaining, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
			}));

		test("slots: at most `limit` held across clients; a release frees one", () =>
			withCaches(make, 2, async ([a, b]) => {
				const ca = a as SharedCache;
				const cb = b as SharedCache;
				const results = await Promise.all(
					Array.from({ length: 8 }, (_, i) =>
						(i % 2 ? ca : cb).acquireSlot("fn:res", 3, 10_000),
					),
				);
				const held = results.filter((l) => l !== undefined);
				assert.equal(held.length, 3);
				assert.equal(await ca.slotsHeld("fn:res"), 3);
				assert.equal(new Set(held.map((l) => l.token)).size, 3);
				assert.equal(await cb.acquireSlot("fn:res", 3, 10_000), undefined);
				await ca.releaseSlot(held[0] as (typeof held)[number]);
				assert.equal(await cb.slotsHeld("fn:res"), 2);
				const again = await cb.acquireSlot("fn:res", 3, 10_000);
				assert.ok(again);
				assert.equal(await cb.acquireSlot("fn:res", 3, 10_000), undefined);
			}));

		test("slots: a lease not renewed expires — a dead gateway's slot comes back, and its late release frees nobody else's", () =>
			withCaches(make, 2, async ([a, b]) => {
				const ca = a as SharedCache;
				const cb = b as SharedCache;
				const dead = await ca.acquireSlot("fn:one", 1, 500);
				assert.ok(dead);
				assert.ok(dead.expiresAt > 0);
				assert.equal(await cb.acquireSlot("fn:one", 1, 500), undefined);
				await sleep(650);
				assert.equal(await cb.slotsHeld("fn:one"), 0);
				const mine = await cb.acquireSlot("fn:one", 1, 10_000);
				assert.ok(mine, "the expired lease's slot is free again");
				// The first holder wakes up: its renew fails and its release is a no-op.
				assert.equal(await ca.renewSlot(dead, 10_000), undefined);
				await ca.releaseSlot(dead);
				assert.equal(await ca.slotsHeld("fn:one"), 1);
				assert.equal(await ca.acquireSlot("fn:one", 1, 10_000), undefined);
			}));

		test("slots: renewing keeps a slot past its first lease", () =>
			withCaches(make, 2, async ([a, b]) => {
				const ca = a as SharedCache;
				const cb = b as SharedCache;
				let lease = await ca.acquireSlot("fn:renew", 1, 600);
				assert.ok(lease);
				for (let i = 0; i < 4; i++) {
					await sleep(250);
					const renewed = await ca.renewSlot(lease, 600);
					assert.ok(renewed, `renewal ${i}`);
					assert.ok(renewed.expiresAt >= lease.expiresAt);
					lease = renewed;
				}
				// ~1 s after a 600 ms lease: still held thanks to the renewals.
				assert.equal(await cb.acquireSlot("fn:renew", 1, 600), undefined);
				await ca.releaseSlot(lease);
				assert.ok(await cb.acquireSlot("fn:renew", 1, 600));
			}));

		test("arguments out of range are refused, not stored", () =>
			withCaches(make, 1, async ([c]) => {
				const cache = c as SharedCache;
				await assert.rejects(cache.firstSighting("s", "", 1000), RangeError);
				await assert.rejects(cache.rateLimit("k", 0, 1000), RangeError);
				await assert.rejects(cache.acquireSlot("k", 1, 0), RangeError);
				await assert.rejects(cache.acquireSlot("k", 1.5, 10), RangeError);
			}));

		test("check() answers while the cache is up; a closed client refuses every call with CACHE_CLOSED", () =>
			withCaches(make, 1, async ([c]) => {
				const cache = c as SharedCache;
				await cache.check();
				await cache.close();
				const closed = (err: unknown) => isCacheError(err, "CACHE_CLOSED");
				await assert.rejects(cache.firstSighting("s", "x", 1000), closed);
				await assert.rejects(cache.rateLimit("k", 1, 1000), closed);
				await assert.rejects(cache.acquireSlot("k", 1, 1000), closed);
				await assert.rejects(cache.check(), closed);
			}));
	});
}

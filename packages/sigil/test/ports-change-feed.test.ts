// The ChangeFeed port: its contract against the in-memory feed and against PostgreSQL
// LISTEN/NOTIFY (a fresh schema's channel per run; unreachable: fails in CI, skips elsewhere).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { ChangeFeed } from "../src/ports/change-feed.ts";
import {
	MemoryChangeFeed,
	MemoryChangeHub,
} from "../src/ports/memory-change-feed.ts";
import {
	openPostgresChangeFeed,
	type PostgresChangeFeed,
} from "../src/store/postgres/change-feed.ts";
import {
	adminQuery,
	freshSchema,
	PG_URL,
	pgSkip,
	startPgProxy,
} from "./pg-harness.ts";
import {
	type ChangeFeedHarness,
	runChangeFeedContract,
	waitFor,
} from "./ports-change-feed-contract.ts";

runChangeFeedContract("memory", async () => {
	const hub = new MemoryChangeHub();
	const feeds: ChangeFeed[] = [
		new MemoryChangeFeed({ hub, onListenerError: () => {} }),
	];
	const h: ChangeFeedHarness = {
		feed: feeds[0] as ChangeFeed,
		async peer() {
			const peer = new MemoryChangeFeed({ hub });
			feeds.push(peer);
			return peer;
		},
		async cleanup() {
			await Promise.all(feeds.map((f) => f.close()));
		},
	};
	return h;
});

const skip = await pgSkip();
const open: PostgresChangeFeed[] = [];
after(async () => {
	await Promise.all(open.map((f) => f.close()));
});

if (skip) describe("ChangeFeed contract: postgres", { skip }, () => {});
else
	runChangeFeedContract("postgres", async () => {
		// Only the channel name comes from the schema: the feed creates no tables.
		const schema = freshSchema();
		const mine: PostgresChangeFeed[] = [];
		const make = async (quiet: boolean) => {
			const feed = await openPostgresChangeFeed({
				connectionString: PG_URL,
				schema,
				initialBackoffMs: 20,
				maxBackoffMs: 500,
				pingIntervalMs: 200,
				onError: quiet ? () => {} : undefined,
			});
			mine.push(feed);
			open.push(feed);
			return feed;
		};
		const feed = await make(true);
		return {
			feed,
			peer: () => make(false),
			async interrupt() {
				const killed = await adminQuery<{ ok: boolean }>(
					"SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1",
					[feed.applicationName],
				);
				if (!killed.some((r) => r.ok))
					throw new Error(`no backend of ${feed.applicationName} to terminate`);
			},
			async cleanup() {
				await Promise.all(mine.map((f) => f.close()));
			},
		};
	});

describe("PostgreSQL change feed through an outage", { skip }, () => {
	test("while the server is away the feed retries with backoff, and after it is back signals reconcile once and hears publishes", async () => {
		const proxy = await startPgProxy();
		const schema = freshSchema();
		const errors: unknown[] = [];
		const feed = await openPostgresChangeFeed({
			connectionString: proxy.url,
			schema,
			initialBackoffMs: 20,
			maxBackoffMs: 200,
			pingIntervalMs: 100,
			connectTimeoutMs: 1000,
			onError: (err) => errors.push(err),
		});
		const publisher = await openPostgresChangeFeed({
			connectionString: PG_URL,
			schema,
			onError: () => {},
		});
		open.push(feed, publisher);
		try {
			const reasons: string[] = [];
			const seen: string[] = [];
			feed.onReconcile((r) => reasons.push(r));
			feed.subscribe((c) => seen.push(c.name));
			proxy.down();
			await waitFor(() => !feed.connected, "the feed to notice the outage");
			// Lost while away: NOTIFY is not durable, which is what the reconcile is for.
			await publisher.publish({
				kind: "function",
				accountId: "123456789012",
				name: "lost",
			});
			await new Promise((r) => setTimeout(r, 700));
			const failedAttempts = errors.length;
			assert.ok(
				failedAttempts >= 3,
				`retried ${failedAttempts} times while away`,
			);
			assert.deepEqual(reasons, [], "no reconcile while still away");
			proxy.up();
			await waitFor(
				() => reasons.length === 1,
				"one reconcile after the return",
				5000,
			);
			assert.equal(feed.connected, true);
			assert.match(String(reasons[0]), /reconnected after \d+\.\d s/);
			await publisher.publish({
				kind: "function",
				accountId: "123456789012",
				name: "after",
			});
			await waitFor(
				() => seen.includes("after"),
				"a change published after the return",
			);
			assert.ok(!seen.includes("lost"));
			await new Promise((r) => setTimeout(r, 300));
			assert.equal(reasons.length, 1, "exactly one reconcile per return");
		} finally {
			await feed.close();
			await publisher.close();
			await proxy.close();
		}
	});
});

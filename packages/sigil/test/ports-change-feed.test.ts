// The ChangeFeed port: its contract against the in-memory feed and against PostgreSQL
// LISTEN/NOTIFY (a fresh schema's channel per run; unreachable: fails in CI, skips elsewhere).
import { after, describe } from "node:test";
import type { ChangeFeed } from "../src/ports/change-feed.ts";
import {
	MemoryChangeFeed,
	MemoryChangeHub,
} from "../src/ports/memory-change-feed.ts";
import {
	openPostgresChangeFeed,
	type PostgresChangeFeed,
} from "../src/store/postgres/change-feed.ts";
import { adminQuery, freshSchema, PG_URL, pgSkip } from "./pg-harness.ts";
import {
	type ChangeFeedHarness,
	runChangeFeedContract,
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

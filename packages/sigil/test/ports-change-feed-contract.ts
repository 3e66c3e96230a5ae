/**
 * The contract every `ChangeFeed` adapter passes: in-memory and PostgreSQL LISTEN/NOTIFY. A library
 * of tests (no `.test.ts` suffix): an adapter's test file calls `runChangeFeedContract` with a
 * factory.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type {
	Change,
	ChangeFeed,
	ChangeKind,
} from "../src/ports/change-feed.ts";
import { rejectsWith } from "./store-contract.ts";

export interface ChangeFeedHarness {
	/** The feed under test. */
	feed: ChangeFeed;
	/** Another subscriber on the same bus (PostgreSQL: another connection), as a second gateway. */
	peer(): Promise<ChangeFeed>;
	/**
	 * Breaks `feed`'s listening connection from outside (PostgreSQL: `pg_terminate_backend`).
	 * Absent: the adapter has no connection to lose.
	 */
	interrupt?(): Promise<void>;
	/** Closes every feed the harness made. */
	cleanup(): Promise<void>;
}

export type MakeChangeFeed = () => Promise<ChangeFeedHarness>;

const ACCOUNT = "123456789012";

function change(kind: ChangeKind, name: string): Change {
	return { kind, accountId: ACCOUNT, name };
}

/** Resolves once `predicate` holds, polling; rejects naming `what` after `timeoutMs`. */
export async function waitFor(
	predicate: () => boolean,
	what: string,
	timeoutMs = 5000,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!predicate()) {
		if (Date.now() > deadline)
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 10));
	}
}

async function withFeed(
	make: MakeChangeFeed,
	fn: (h: ChangeFeedHarness) => Promise<void>,
): Promise<void> {
	const h = await make();
	try {
		await fn(h);
	} finally {
		await h.cleanup();
	}
}

export function runChangeFeedContract(
	name: string,
	make: MakeChangeFeed,
): void {
	describe(`ChangeFeed contract: ${name}`, () => {
		test("a publish reaches every subscriber of every gateway, the publisher's own too, in order", async () => {
			await withFeed(make, async (h) => {
				const peer = await h.peer();
				const mine: Change[] = [];
				const theirs: Change[] = [];
				h.feed.subscribe((c) => mine.push(c));
				peer.subscribe((c) => theirs.push(c));
				const sent = [
					change("function", "hello"),
					change("access-key", "AKIAIOSFODNN7EXAMPLE"),
					change("policy", "user/alice"),
					change("secret", "db-password"),
				];
				for (const c of sent) await h.feed.publish(c);
				await waitFor(
					() => mine.length === 4 && theirs.length === 4,
					"four changes at both subscribers",
				);
				assert.deepEqual(mine, sent);
				assert.deepEqual(theirs, sent);
				// And the other way round.
				await peer.publish(change("role", "deployer"));
				await waitFor(() => mine.length === 5, "the peer's change");
				assert.deepEqual(mine[4], change("role", "deployer"));
			});
		});

		test("a change carries exactly kind, accountId and name; invalid ones are refused", async () => {
			await withFeed(make, async (h) => {
				const seen: Change[] = [];
				h.feed.subscribe((c) => seen.push(c));
				await h.feed.publish({
					...change("managed-policy", "Invoke"),
					extra: "dropped",
				} as Change);
				await waitFor(() => seen.length === 1, "the change");
				assert.deepEqual(seen[0], change("managed-policy", "Invoke"));
				await rejectsWith(
					h.feed.publish({
						...change("function", "f"),
						kind: "nope" as ChangeKind,
					}),
					"STORE_INVALID",
				);
				await rejectsWith(
					h.feed.publish({ kind: "function", accountId: "12", name: "f" }),
					"STORE_INVALID",
				);
				await rejectsWith(
					h.feed.publish(change("function", "")),
					"STORE_INVALID",
				);
				await rejectsWith(
					h.feed.publish(change("function", "x".repeat(513))),
					"STORE_INVALID",
				);
			});
		});

		test("unsubscribe stops one listener; a listener that throws does not stop the others", async () => {
			await withFeed(make, async (h) => {
				const a: Change[] = [];
				const b: Change[] = [];
				const stopA = h.feed.subscribe((c) => a.push(c));
				h.feed.subscribe(() => {
					throw new Error("a broken consumer");
				});
				h.feed.subscribe((c) => b.push(c));
				await h.feed.publish(change("user", "alice"));
				await waitFor(() => a.length === 1 && b.length === 1, "both listeners");
				stopA();
				await h.feed.publish(change("user", "bob"));
				await waitFor(() => b.length === 2, "the remaining listener");
				// Give a wrongly delivered change time to arrive before asserting it did not.
				await new Promise((r) => setTimeout(r, 50));
				assert.equal(a.length, 1);
			});
		});

		test("after its connection is lost the feed reconnects by itself, signals reconcile, and hears publishes again", async (t) => {
			await withFeed(make, async (h) => {
				if (!h.interrupt) {
					t.skip("this adapter has no connection to lose");
					return;
				}
				const peer = await h.peer();
				const reasons: string[] = [];
				const seen: Change[] = [];
				h.feed.onReconcile((r) => reasons.push(r));
				h.feed.subscribe((c) => seen.push(c));
				await h.interrupt();
				await waitFor(() => reasons.length >= 1, "a reconcile signal", 10_000);
				assert.match(reasons[0] as string, /reconnect/i);
				// Listening again: a peer's publish arrives (retried: the first may race the LISTEN).
				for (let i = 0; seen.length === 0 && i < 50; i++) {
					await peer.publish(change("function", `after-${i}`));
					await new Promise((r) => setTimeout(r, 50));
				}
				assert.ok(
					seen.length > 0,
					"a change published after the reconnect arrives",
				);
				// A second loss is survived too.
				await h.interrupt();
				await waitFor(() => reasons.length >= 2, "a second reconcile", 10_000);
			});
		});

		test("close: publish rejects with STORE_CLOSED, nothing more is delivered", async () => {
			await withFeed(make, async (h) => {
				const peer = await h.peer();
				const seen: Change[] = [];
				h.feed.subscribe((c) => seen.push(c));
				await h.feed.close();
				await h.feed.close(); // idempotent
				await rejectsWith(
					h.feed.publish(change("secret", "s")),
					"STORE_CLOSED",
				);
				await peer.publish(change("secret", "s"));
				await new Promise((r) => setTimeout(r, 100));
				assert.deepEqual(seen, []);
			});
		});
	});
}

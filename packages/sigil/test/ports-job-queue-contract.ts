/**
 * The contract every `JobQueue` adapter passes (the store's jobs table, NATS JetStream). A library
 * of tests (no `.test.ts` suffix): an adapter's test file calls `runJobQueueContract` with a
 * factory. `open()` gives another client of the same queue — another gateway — and `crash()`
 * drops a client the way `kill -9` would: no acknowledgement, no goodbye.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import {
	type ClaimedJob,
	isQueueError,
	type JobQueue,
	type JobToEnqueue,
	type QueueErrorCode,
} from "../src/ports/job-queue.ts";
import { sleep } from "./ports-services.ts";

export interface JobQueueHarness {
	/** Another client of the same queue (each closed by the contract). */
	open(): Promise<JobQueue>;
	/** Drops a client without acknowledging anything it holds (a killed gateway). */
	crash(queue: JobQueue): Promise<void>;
	/** Removes everything this harness created. */
	cleanup(): Promise<void>;
}

export interface QueueSettings {
	/** The lease (ack wait) the adapter is set up with. */
	readonly leaseMs: number;
	/** The queue's attempts per job. */
	readonly maxAttempts: number;
}

export type MakeJobQueue = (
	settings: QueueSettings,
) => Promise<JobQueueHarness>;

const SETTINGS: QueueSettings = { leaseMs: 2000, maxAttempts: 3 };
const ACCOUNT = "123456789012";
const OTHER_ACCOUNT = "210987654321";

export function aJob(overrides: Partial<JobToEnqueue> = {}): JobToEnqueue {
	return {
		id: randomUUID(),
		accountId: ACCOUNT,
		functionName: "hello",
		payload: Buffer.from(`{"secret-body":"${randomUUID()}"}`),
		headers: { kind: "http", headers: '["Hmac","sha256=abc"]' },
		callbackUrl: "https://example.com/cb?token=s3cret",
		...overrides,
	};
}

export async function rejectsWithQueue(
	promise: Promise<unknown>,
	code: QueueErrorCode,
): Promise<void> {
	await assert.rejects(promise, (err: unknown) => {
		assert.ok(isQueueError(err), `expected a QueueError, got ${String(err)}`);
		assert.equal(err.code, code, err.message);
		return true;
	});
}

/** Claims until `n` jobs were seen or `ms` passed. */
async function claimAll(
	q: JobQueue,
	n: number,
	ms: number,
): Promise<ClaimedJob[]> {
	const out: ClaimedJob[] = [];
	const until = performance.now() + ms;
	while (out.length < n && performance.now() < until)
		out.push(...(await q.claim(Math.min(5, n - out.length), { waitMs: 1000 })));
	return out;
}

async function withQueues(
	make: MakeJobQueue,
	n: number,
	fn: (queues: JobQueue[], h: JobQueueHarness) => Promise<void>,
	settings: QueueSettings = SETTINGS,
): Promise<void> {
	const h = await make(settings);
	const queues: JobQueue[] = [];
	try {
		for (let i = 0; i < n; i++) queues.push(await h.open());
		await fn(queues, h);
	} finally {
		await Promise.allSettled(queues.map((q) => q.close()));
		await h.cleanup();
	}
}

export function runJobQueueContract(
	name: string,
	make: MakeJobQueue,
	options: { skip?: string } = {},
): void {
	describe(`JobQueue contract: ${name}`, {
		skip: options.skip ?? false,
	}, () => {
		test("enqueue → claim hands back the job intact under a lease; complete removes it", () =>
			withQueues(make, 1, async ([q]) => {
				const queue = q as JobQueue;
				const job = aJob({ maxAttempts: 2 });
				assert.deepEqual(await queue.enqueue(job), {
					id: job.id,
					duplicate: false,
				});
				assert.equal(await queue.depth({ accountId: ACCOUNT }), 1);
				const before = Date.now();
				const [got, ...rest] = await queue.claim(1, { waitMs: 2000 });
				assert.equal(rest.length, 0);
				assert.ok(got);
				assert.equal(got.id, job.id);
				assert.equal(got.accountId, ACCOUNT);
				assert.equal(got.functionName, "hello");
				assert.deepEqual(got.payload, job.payload);
				assert.deepEqual({ ...got.headers }, { ...job.headers });
				assert.equal(got.callbackUrl, job.callbackUrl);
				assert.equal(got.attempt, 1);
				assert.equal(got.maxAttempts, 2);
				assert.ok(
					got.enqueuedAt <= Date.now() && got.enqueuedAt >= before - 5000,
				);
				assert.ok(
					got.leaseUntil >= before + SETTINGS.leaseMs - 50 &&
						got.leaseUntil <= Date.now() + SETTINGS.leaseMs + 50,
					`leaseUntil ${got.leaseUntil - before} ms ahead`,
				);
				assert.equal(got.lease.id, job.id);
				await queue.complete(got.lease);
				assert.deepEqual(await queue.claim(1), []);
				assert.equal(await queue.depth({ accountId: ACCOUNT }), 0);
			}));

		test("de-duplication: enqueuing the same id again is one job", () =>
			withQueues(make, 2, async ([a, b]) => {
				const job = aJob();
				assert.equal((await (a as JobQueue).enqueue(job)).duplicate, false);
				// A client retrying through another gateway, with the same request id.
				assert.deepEqual(await (b as JobQueue).enqueue({ ...job }), {
					id: job.id,
					duplicate: true,
				});
				assert.equal(await (a as JobQueue).depth({ accountId: ACCOUNT }), 1);
				const [got, ...more] = await (a as JobQueue).claim(2, { waitMs: 2000 });
				assert.equal(got?.id, job.id);
				assert.deepEqual(more, []);
				await (a as JobQueue).complete((got as ClaimedJob).lease);
				assert.deepEqual(await (b as JobQueue).claim(1), []);
			}));

		test("two gateways claiming at once never get the same job", () =>
			withQueues(make, 2, async ([a, b]) => {
				const ids = new Set<string>();
				for (let i = 0; i < 12; i++) {
					const job = aJob({ functionName: `fn${i % 3}` });
					ids.add(job.id);
					await (a as JobQueue).enqueue(job);
				}
				// Each gateway runs what it claims to completion, as a worker does: a job handed to both
				// would show up twice below.
				const seen: string[] = [];
				const until = performance.now() + 10_000;
				const drain = async (q: JobQueue) => {
					while (seen.length < 12 && performance.now() < until)
						for (const j of await q.claim(3, { waitMs: 1000 })) {
							seen.push(j.id);
							await q.complete(j.lease);
						}
				};
				await Promise.all([drain(a as JobQueue), drain(b as JobQueue)]);
				assert.equal(seen.length, 12);
				assert.deepEqual(new Set(seen), ids);
			}));

		test("a gateway that dies holding a job: the job comes back after the lease, attempt 2", () =>
			withQueues(make, 2, async ([a, b], h) => {
				const job = aJob();
				await (a as JobQueue).enqueue(job);
				const [held] = await (a as JobQueue).claim(1, { waitMs: 2000 });
				assert.equal(held?.id, job.id);
				const claimedAt = performance.now();
				await h.crash(a as JobQueue);
				// Inside the lease nobody else gets it (on a machine so slow that the claim returned
				// after the lease, the job may rightly be there already).
				const early = await (b as JobQueue).claim(1);
				if (performance.now() - claimedAt < SETTINGS.leaseMs - 100)
					assert.deepEqual(early, [], "handed out again inside the lease");
				const [again] =
					early.length > 0
						? early
						: await claimAll(b as JobQueue, 1, SETTINGS.leaseMs * 3);
				assert.equal(again?.id, job.id);
				assert.equal(again?.attempt, 2);
				assert.ok(performance.now() - claimedAt >= SETTINGS.leaseMs - 100);
				await (b as JobQueue).complete((again as ClaimedJob).lease);
			}));

		test("extending the lease while a job runs keeps it from being redelivered past the lease", async (t) => {
			const probe = await make(SETTINGS);
			const q = await probe.open();
			const supported = q.features.extendLease;
			await q.close();
			await probe.cleanup();
			if (!supported) {
				t.skip(
					"this adapter's lease is fixed at claim time (features.extendLease = false)",
				);
				return;
			}
			await withQueues(make, 2, async ([a, b]) => {
				const job = aJob();
				await (a as JobQueue).enqueue(job);
				const [held] = await (a as JobQueue).claim(1, { waitMs: 2000 });
				assert.ok(held);
				const start = performance.now();
				let leaseUntil = held.leaseUntil;
				const stolen: ClaimedJob[] = [];
				const other = (async () => {
					while (performance.now() - start < SETTINGS.leaseMs * 2.5)
						stolen.push(...(await (b as JobQueue).claim(1, { waitMs: 1000 })));
				})();
				while (performance.now() - start < SETTINGS.leaseMs * 2.5) {
					await sleep(SETTINGS.leaseMs / 4);
					const next = await (a as JobQueue).extend(held.lease);
					assert.ok(next >= leaseUntil);
					leaseUntil = next;
				}
				await other;
				assert.deepEqual(
					stolen,
					[],
					"a job under an extended lease was handed out again",
				);
				await (a as JobQueue).complete(held.lease);
				assert.deepEqual(await (b as JobQueue).claim(1), []);
			});
		});

		test("fail with a retry delay: back after the delay as the next attempt (backoff)", () =>
			withQueues(make, 1, async ([q]) => {
				const queue = q as JobQueue;
				const job = aJob();
				await queue.enqueue(job);
				const [first] = await queue.claim(1, { waitMs: 2000 });
				assert.ok(first);
				const failedAt = performance.now();
				assert.equal(
					await queue.fail(first.lease, {
						error: "function answered 503",
						retryInMs: 2500,
					}),
					"queued",
				);
				assert.deepEqual(await queue.claim(1), [], "not before its delay");
				const [second] = await claimAll(queue, 1, 6000);
				assert.equal(second?.id, job.id);
				assert.equal(second?.attempt, 2);
				assert.ok(performance.now() - failedAt >= 2400, "not before its delay");
				await queue.complete((second as ClaimedJob).lease);
			}));

		test("fail without a retry is final: the job leaves the queue and is not dead-lettered", () =>
			withQueues(make, 1, async ([q]) => {
				const queue = q as JobQueue;
				const job = aJob();
				await queue.enqueue(job);
				const [got] = await queue.claim(1, { waitMs: 2000 });
				assert.ok(got);
				assert.equal(
					await queue.fail(got.lease, { error: "function gone" }),
					"failed",
				);
				assert.deepEqual(await queue.claim(1), []);
				assert.deepEqual(await queue.dead({ accountId: ACCOUNT }), []);
			}));

		test("after its last attempt fails the job is dead, listed by `dead`, and never runs again", () =>
			withQueues(make, 1, async ([q]) => {
				const queue = q as JobQueue;
				const job = aJob({ maxAttempts: 2 });
				await queue.enqueue(job);
				const [one] = await queue.claim(1, { waitMs: 2000 });
				assert.ok(one);
				assert.equal(
					await queue.fail(one.lease, { error: "boom 1", retryInMs: 10 }),
					"queued",
				);
				const [two] = await claimAll(queue, 1, 3000);
				assert.equal(two?.attempt, 2);
				assert.equal(
					await queue.fail((two as ClaimedJob).lease, {
						error: "boom 2",
						retryInMs: 10,
					}),
					"dead",
				);
				assert.deepEqual(await queue.claim(1, { waitMs: 1000 }), []);
				const dead = await queue.dead({ accountId: ACCOUNT });
				assert.equal(dead.length, 1);
				assert.equal(dead[0]?.id, job.id);
				assert.equal(dead[0]?.functionName, "hello");
				assert.equal(dead[0]?.attempts, 2);
				assert.equal(dead[0]?.lastError, "boom 2");
				assert.ok((dead[0]?.deadAt ?? 0) >= (dead[0]?.enqueuedAt ?? Infinity));
				assert.deepEqual(await queue.dead({ accountId: OTHER_ACCOUNT }), []);
				assert.equal(await queue.depth({ accountId: ACCOUNT }), 0);
			}));

		test("a lease that runs out on the last attempt dead-letters the job instead of running it again", () =>
			withQueues(make, 2, async ([a, b], h) => {
				const job = aJob({ maxAttempts: 1 });
				await (a as JobQueue).enqueue(job);
				const [held] = await (a as JobQueue).claim(1, { waitMs: 2000 });
				assert.equal(held?.id, job.id);
				await h.crash(a as JobQueue);
				await sleep(SETTINGS.leaseMs + 200);
				assert.deepEqual(await (b as JobQueue).claim(1, { waitMs: 1000 }), []);
				const dead = await (b as JobQueue).dead({ accountId: ACCOUNT });
				assert.deepEqual(
					dead.map((d) => d.id),
					[job.id],
				);
				assert.match(dead[0]?.lastError ?? "", /lease/);
				assert.equal(dead[0]?.attempts, 1);
			}));

		test("a lost lease is refused: complete after the lease ran out and another gateway took the job", () =>
			withQueues(make, 2, async ([a, b]) => {
				const job = aJob();
				await (a as JobQueue).enqueue(job);
				const [stale] = await (a as JobQueue).claim(1, { waitMs: 2000 });
				assert.ok(stale);
				await sleep(SETTINGS.leaseMs + 200);
				const [fresh] = await claimAll(b as JobQueue, 1, 3000);
				assert.equal(fresh?.id, job.id);
				await rejectsWithQueue(
					(a as JobQueue).complete(stale.lease),
					"QUEUE_LEASE_LOST",
				);
				await rejectsWithQueue(
					(a as JobQueue).extend(stale.lease),
					"QUEUE_LEASE_LOST",
				);
				await (b as JobQueue).complete((fresh as ClaimedJob).lease);
				await rejectsWithQueue(
					(b as JobQueue).complete({ id: job.id, token: "not-a-lease" }),
					"QUEUE_LEASE_LOST",
				);
			}));

		test("dead letters page by cursor, per account; depth counts per function and account", () =>
			withQueues(
				make,
				1,
				async ([q]) => {
					const queue = q as JobQueue;
					const jobs = [
						aJob({ functionName: "a", maxAttempts: 1 }),
						aJob({ functionName: "b", maxAttempts: 1 }),
						aJob({ functionName: "a", maxAttempts: 1 }),
						aJob({
							accountId: OTHER_ACCOUNT,
							functionName: "a",
							maxAttempts: 1,
						}),
					];
					for (const j of jobs) await queue.enqueue(j);
					assert.equal(await queue.depth({ accountId: ACCOUNT }), 3);
					assert.equal(
						await queue.depth({ accountId: ACCOUNT, functionName: "a" }),
						2,
					);
					assert.equal(
						await queue.depth({ accountId: ACCOUNT, functionName: "b" }),
						1,
					);
					assert.equal(await queue.depth({ accountId: OTHER_ACCOUNT }), 1);
					const got = await claimAll(queue, 4, 6000);
					assert.equal(got.length, 4);
					// Dead in enqueue order, so the listing order is known.
					for (const j of jobs) {
						const c = got.find((g) => g.id === j.id) as ClaimedJob;
						assert.equal(
							await queue.fail(c.lease, { error: `e-${j.id}`, retryInMs: 10 }),
							"dead",
						);
					}
					const page1 = await queue.dead({ accountId: ACCOUNT, limit: 2 });
					assert.deepEqual(
						page1.map((d) => d.id),
						[jobs[0]?.id, jobs[1]?.id],
					);
					const page2 = await queue.dead({
						accountId: ACCOUNT,
						limit: 2,
						after: page1[1]?.cursor as string,
					});
					assert.deepEqual(
						page2.map((d) => d.id),
						[jobs[2]?.id],
					);
					const other = await queue.dead({ accountId: OTHER_ACCOUNT });
					assert.deepEqual(
						other.map((d) => [d.id, d.lastError]),
						[[jobs[3]?.id, `e-${jobs[3]?.id}`]],
					);
				},
				{ ...SETTINGS, maxAttempts: 1 },
			));

		test("invalid jobs are refused before anything is queued; check() answers; a closed queue refuses calls", () =>
			withQueues(make, 1, async ([q]) => {
				const queue = q as JobQueue;
				await rejectsWithQueue(
					queue.enqueue(aJob({ id: "" })),
					"QUEUE_INVALID",
				);
				await rejectsWithQueue(
					queue.enqueue(aJob({ id: "x".repeat(129) })),
					"QUEUE_INVALID",
				);
				await rejectsWithQueue(
					queue.enqueue(aJob({ maxAttempts: 0 })),
					"QUEUE_INVALID",
				);
				await rejectsWithQueue(queue.claim(0), "QUEUE_INVALID");
				assert.equal(await queue.depth({ accountId: ACCOUNT }), 0);
				await queue.check();
				await queue.close();
				await rejectsWithQueue(queue.enqueue(aJob()), "QUEUE_CLOSED");
				await rejectsWithQueue(queue.claim(1), "QUEUE_CLOSED");
				await rejectsWithQueue(queue.check(), "QUEUE_CLOSED");
			}));
	});
}

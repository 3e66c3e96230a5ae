/**
 * Every `JobQueue` adapter runs the one contract: the store's jobs table (SQLite, the embedded
 * default) and NATS JetStream at nats://127.0.0.1:4222 (SIGIL_TEST_NATS), each JetStream run on
 * its own streams (random suffix), deleted after. Then what only JetStream can show: nothing
 * plaintext on the broker, a message sealed under another key, the MAX_DELIVERIES safety net.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { JetStreamJobQueue } from "../src/adapters/nats/jetstream-job-queue.ts";
import { StoreJobQueue } from "../src/adapters/store/store-job-queue.ts";
import type { ClaimedJob, JobQueue } from "../src/ports/job-queue.ts";
import { keepLease } from "../src/ports/lease-renewal.ts";
import { openSqliteStore } from "../src/store/sqlite/open.ts";
import {
	aJob,
	type MakeJobQueue,
	runJobQueueContract,
} from "./ports-job-queue-contract.ts";
import { NATS_URL, runSuffix, serviceSkip, sleep } from "./ports-services.ts";

const dirs: string[] = [];
after(async () => {
	await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const makeStoreQueue: MakeJobQueue = async (settings) => {
	const dir = await mkdtemp(join(tmpdir(), "sigil-queue-"));
	dirs.push(dir);
	const store = await openSqliteStore({
		dataDir: join(dir, "data"),
		masterKey: randomBytes(32),
	});
	return {
		open: async () =>
			new StoreJobQueue(store.jobs, {
				leaseMs: settings.leaseMs,
				maxAttempts: settings.maxAttempts,
				pollMs: 25,
			}),
		// A dead gateway simply stops talking to the store; its leases run out there.
		crash: async (q) => {
			await q.close();
		},
		cleanup: () => store.close(),
	};
};

runJobQueueContract("store (sqlite)", makeStoreQueue);

test("keepLease is a no-op on the store queue, whose lease is fixed at claim time", async () => {
	const h = await makeStoreQueue({ leaseMs: 2000, maxAttempts: 3 });
	const q = await h.open();
	try {
		await q.enqueue(aJob());
		const [held] = await q.claim(1);
		assert.ok(held);
		const renewal = keepLease(q, held, { everyMs: 10 });
		await sleep(50);
		assert.equal(renewal.signal.aborted, false);
		renewal.stop();
		await q.complete(held.lease);
	} finally {
		await q.close();
		await h.cleanup();
	}
});

let natsSkip: string | undefined;
try {
	natsSkip = await serviceSkip("NATS JetStream", NATS_URL, 4222);
} catch (err) {
	test(`JetStream JobQueue contract needs ${NATS_URL}`, () => {
		throw err;
	});
	natsSkip = "unreachable (reported as a failure above)";
}

interface NatsRun {
	stream: string;
	prefix: string;
	masterKey: Buffer;
}

function natsRun(): NatsRun {
	const suffix = runSuffix();
	return {
		stream: `SIGIL_TEST_${suffix}`,
		prefix: `sigil-test.${suffix}`,
		masterKey: randomBytes(32),
	};
}

async function deleteStreams(run: NatsRun): Promise<void> {
	const nc = await connect({ servers: NATS_URL });
	try {
		const jsm = await jetstreamManager(nc);
		for (const name of [run.stream, `${run.stream}_DEAD`])
			await jsm.streams.delete(name).catch(() => false);
	} finally {
		await nc.close();
	}
}

const makeJetStream: MakeJobQueue = async (settings) => {
	const run = natsRun();
	return {
		open: () =>
			JetStreamJobQueue.connect(NATS_URL, {
				masterKey: run.masterKey,
				stream: run.stream,
				subjectPrefix: run.prefix,
				leaseMs: settings.leaseMs,
				maxAttempts: settings.maxAttempts,
			}),
		// kill -9: the connection drops with every delivery unacknowledged.
		crash: async (q) => {
			await (q as JetStreamJobQueue).connection.close();
		},
		cleanup: () => deleteStreams(run),
	};
};

runJobQueueContract(
	"nats jetstream",
	makeJetStream,
	natsSkip === undefined ? {} : { skip: natsSkip },
);

describe("JetStream adapter", { skip: natsSkip ?? false }, () => {
	async function withQueue(
		fn: (q: JetStreamJobQueue, run: NatsRun) => Promise<void>,
		extra: { leaseMs?: number; maxAttempts?: number } = {},
	): Promise<void> {
		const run = natsRun();
		const q = await JetStreamJobQueue.connect(NATS_URL, {
			masterKey: run.masterKey,
			stream: run.stream,
			subjectPrefix: run.prefix,
			leaseMs: extra.leaseMs ?? 2000,
			maxAttempts: extra.maxAttempts ?? 3,
		});
		try {
			await fn(q, run);
		} finally {
			await q.close();
			await deleteStreams(run);
		}
	}

	test("the broker holds ciphertext only: no body, header or callback URL in the clear, work or dead", () =>
		withQueue(async (q, run) => {
			const job = aJob({ maxAttempts: 1 });
			await q.enqueue(job);
			const nc = await connect({ servers: NATS_URL });
			try {
				const jsm = await jetstreamManager(nc);
				const stored = await jsm.streams.getMessage(run.stream, { seq: 1 });
				assert.ok(stored);
				const raw = Buffer.from(stored.data).toString("latin1");
				for (const secret of [
					job.payload.toString(),
					"secret-body",
					"sha256=abc",
					"Hmac",
					"s3cret",
					"example.com",
				])
					assert.ok(
						!raw.includes(secret),
						`${secret} is on the broker in the clear`,
					);
				assert.deepEqual([...stored.header.keys()], ["Nats-Msg-Id"]);
				assert.equal(stored.header.get("Nats-Msg-Id"), job.id);
				assert.equal(
					stored.subject,
					`${run.prefix}.work.${job.accountId}.hello`,
				);
				const [got] = await q.claim(1, { waitMs: 2000 });
				assert.ok(got);
				await q.fail(got.lease, { error: "boom", retryInMs: 10 });
				const dead = await jsm.streams.getMessage(`${run.stream}_DEAD`, {
					seq: 1,
				});
				assert.ok(dead);
				const rawDead = Buffer.from(dead.data).toString("latin1");
				for (const secret of [job.payload.toString(), "s3cret", "sha256=abc"])
					assert.ok(
						!rawDead.includes(secret),
						`${secret} is dead-lettered in the clear`,
					);
			} finally {
				await nc.close();
			}
		}));

	test("a job sealed under another master key is dropped (terminated), never run", () =>
		withQueue(async (q, run) => {
			const stranger = await JetStreamJobQueue.connect(NATS_URL, {
				masterKey: randomBytes(32),
				stream: run.stream,
				subjectPrefix: run.prefix,
				leaseMs: 2000,
			});
			try {
				await stranger.enqueue(aJob());
			} finally {
				await stranger.close();
			}
			assert.deepEqual(await q.claim(1, { waitMs: 1000 }), []);
			// The termination is asynchronous: the stream lets the message go a moment later.
			let depth = 1;
			for (let i = 0; i < 20 && depth > 0; i++) {
				await sleep(50);
				depth = await q.depth({ accountId: "123456789012" });
			}
			assert.equal(depth, 0);
		}));

	test("a job bigger than the server's max_payload is refused up front with the limit named", () =>
		withQueue(async (q) => {
			const max = q.connection.info?.max_payload ?? 1024 * 1024;
			await assert.rejects(
				q.enqueue(aJob({ payload: Buffer.alloc(max) })),
				/max_payload/,
			);
		}));

	test("a job past the consumer's delivery bound (its claimer died too) is dead-lettered from the MAX_DELIVERIES advisory", () =>
		withQueue(
			async (q, run) => {
				const job = aJob({ maxAttempts: 1 });
				await q.enqueue(job);
				// Something else pulls every delivery and never answers: deliveries 1 and 2 (the bound).
				const nc = await connect({ servers: NATS_URL });
				try {
					const js = jetstream(nc);
					const c = await js.consumers.get(run.stream, "sigil-workers");
					const first = await c.next({ expires: 2000 });
					assert.equal(first?.info.deliveryCount, 1);
					const second = await c.next({ expires: 5000 });
					assert.equal(second?.info.deliveryCount, 2);
					const jsm = await jetstreamManager(nc);
					const info = await jsm.consumers.info(run.stream, "sigil-workers");
					assert.equal(info.config.max_deliver, 2);
					assert.equal(info.config.ack_policy, AckPolicy.Explicit);
				} finally {
					await nc.close();
				}
				// The second lease runs out; a gateway's next pull finds the bound reached, JetStream
				// advises, and `q` moves the job. Nothing is delivered a third time.
				let dead: Awaited<ReturnType<JobQueue["dead"]>> = [];
				for (let i = 0; i < 10 && dead.length === 0; i++) {
					assert.deepEqual(await q.claim(1, { waitMs: 1000 }), []);
					await sleep(100);
					dead = await q.dead({ accountId: job.accountId });
				}
				assert.deepEqual(
					dead.map((d) => d.id),
					[job.id],
				);
				assert.equal(await q.depth({ accountId: job.accountId }), 0);
			},
			{ leaseMs: 2000, maxAttempts: 1 },
		));

	test("keepLease renews a running job's lease so a second gateway never gets it; a lapsed lease aborts its signal", () =>
		withQueue(async (q, run) => {
			const other = await JetStreamJobQueue.connect(NATS_URL, {
				masterKey: run.masterKey,
				stream: run.stream,
				subjectPrefix: run.prefix,
				leaseMs: 2000,
			});
			try {
				const job = aJob();
				await q.enqueue(job);
				const [held] = await q.claim(1, { waitMs: 2000 });
				assert.ok(held);
				const renewal = keepLease(q, held);
				const start = performance.now();
				const stolen: ClaimedJob[] = [];
				while (performance.now() - start < 5000)
					stolen.push(...(await other.claim(1, { waitMs: 1000 })));
				assert.deepEqual(stolen, []);
				assert.equal(renewal.signal.aborted, false);
				renewal.stop();
				await q.complete(held.lease);

				// Renewing too late: the lease has run out, the signal says so.
				await q.enqueue(aJob());
				const [late] = await q.claim(1, { waitMs: 2000 });
				assert.ok(late);
				const lapsed = keepLease(q, late, { everyMs: 2300 });
				await new Promise((resolve) =>
					lapsed.signal.addEventListener("abort", resolve, { once: true }),
				);
				assert.match(String(lapsed.signal.reason), /lease ran out/);
			} finally {
				await other.close();
			}
		}));

	test("an unreachable server is reported with its URL", async () => {
		await assert.rejects(
			JetStreamJobQueue.connect("nats://127.0.0.1:9", {
				masterKey: randomBytes(32),
				connectTimeoutMs: 500,
			}),
			/nats:\/\/127\.0\.0\.1:9/,
		);
	});
});

/**
 * The NATS JetStream `JobQueue`, for many gateways sharing one queue (`streams.ts` has the layout):
 *
 * - **enqueue** publishes the sealed job (`sealed-job.ts`) with `Nats-Msg-Id` = the job id and
 *   waits for the stream's acknowledgement (durable once it resolves); a re-publish of the same id
 *   inside the duplicate window is acknowledged as a duplicate and stored once.
 * - **claim** pulls from the shared durable consumer; each delivery is a lease of one ack wait.
 *   The message stays in-process (its ack subject is the lease); the lease token is random.
 * - **extend** sends `+WPI` (`msg.working()`), which restarts the ack wait: a long job is never
 *   redelivered while its worker is alive. A worker that dies sends nothing, and JetStream
 *   redelivers its jobs one ack wait later.
 * - **complete** acknowledges and waits for the server's confirmation (`ackAck`).
 * - **fail** with a retry delay NAKs with that delay (the backoff); on the last attempt it
 *   publishes the job to the dead-letter stream (de-duplicated by `dead:ID`) and then acks it.
 *   A final failure (no retry) is acked: it leaves the queue.
 * - A delivery numbered beyond the job's attempts (its last lease ran out: the worker died) is
 *   dead-lettered by whoever claims it instead of being run again. Should that claimer die too,
 *   the consumer's delivery bound stops redelivery and JetStream's MAX_DELIVERIES advisory makes
 *   any connected gateway (one of a queue group) dead-letter the job from the stream.
 *
 * At least once: a worker that loses its lease (paused past the ack wait) may finish a job that
 * another worker also runs. Nothing plaintext of a job reaches the broker.
 */
import { randomUUID } from "node:crypto";
import {
	type Consumer,
	type JetStreamClient,
	type JetStreamManager,
	type JsMsg,
	jetstream,
	jetstreamManager,
} from "@nats-io/jetstream";
import {
	connect,
	type NatsConnection,
	type Subscription,
} from "@nats-io/transport-node";
import {
	type ClaimedJob,
	checkJob,
	DEFAULT_MAX_ATTEMPTS,
	type DeadJob,
	type FailedStatus,
	type JobFailure,
	type JobLease,
	type JobQueue,
	type JobToEnqueue,
	QueueError,
} from "../../ports/job-queue.ts";
import { MAX_JOB_PAYLOAD_BYTES } from "../../store/limits.ts";
import { SecretBox } from "../../store/secret-box.ts";
import { type JobEnvelope, JobSealer } from "./sealed-job.ts";
import {
	checkLayout,
	deadSubject,
	ensureLayout,
	type QueueLayout,
	workSubject,
} from "./streams.ts";

export interface JetStreamJobQueueOptions {
	/** The master key (32 bytes) jobs are sealed under, the same on every gateway. */
	readonly masterKey: Buffer;
	/** Work stream name (default `SIGIL_JOBS`; the dead letters go to `NAME_DEAD`). */
	readonly stream?: string;
	/** Subject prefix (default `sigil.jobs`). */
	readonly subjectPrefix?: string;
	/** Durable consumer every gateway shares (default `sigil-workers`). */
	readonly consumer?: string;
	/** The lease: the consumer's ack wait (default 30 s; ≥ 2 s). Extend well within it. */
	readonly leaseMs?: number;
	/** Attempts per job, the first included (default 3); jobs may ask for fewer. */
	readonly maxAttempts?: number;
	/** How long a re-published id is recognised as a duplicate (default 10 min). */
	readonly duplicateWindowMs?: number;
	/** How long dead letters are kept (default 14 days). */
	readonly deadMaxAgeMs?: number;
	/** Stream replicas in a JetStream cluster (default 1). */
	readonly replicas?: number;
	/** Deliveries in flight across all gateways before the consumer waits (default 10 000). */
	readonly maxAckPending?: number;
	/** Dead-letter jobs from MAX_DELIVERIES advisories (default true). */
	readonly handleMaxDeliveries?: boolean;
	/** The clock for lease ends shown to the worker (default `Date.now`). */
	readonly now?: () => number;
	/** Operational events (an unreadable message dropped, an advisory handled). */
	readonly log?: (entry: Record<string, unknown>) => void;
}

export interface ConnectJetStreamOptions extends JetStreamJobQueueOptions {
	/** Give up connecting after this long (default 5 s); the error names the URL. */
	readonly connectTimeoutMs?: number;
}

interface Held {
	readonly msg: JsMsg;
	readonly job: JobEnvelope;
	readonly attempt: number;
	leaseUntil: number;
}

const LEASE_RAN_OUT =
	"the lease ran out on the last attempt (the worker stopped or ran too long)";

export class JetStreamJobQueue implements JobQueue {
	readonly features = { extendLease: true } as const;
	readonly layout: QueueLayout;
	readonly #nc: NatsConnection;
	readonly #owns: boolean;
	readonly #js: JetStreamClient;
	readonly #jsm: JetStreamManager;
	readonly #seal: JobSealer;
	readonly #now: () => number;
	readonly #log: (entry: Record<string, unknown>) => void;
	readonly #held = new Map<string, Held>();
	#consumer: Consumer | undefined;
	#advisories: Subscription | undefined;
	#closed = false;

	private constructor(
		nc: NatsConnection,
		owns: boolean,
		jsm: JetStreamManager,
		layout: QueueLayout,
		options: JetStreamJobQueueOptions,
	) {
		this.#nc = nc;
		this.#owns = owns;
		this.#jsm = jsm;
		this.#js = jetstream(nc);
		this.layout = layout;
		this.#seal = new JobSealer(new SecretBox(options.masterKey), layout.stream);
		this.#now = options.now ?? Date.now;
		this.#log = options.log ?? (() => {});
	}

	/**
	 * Connects to `url` (`nats://host:4222`, several separated by commas) and sets the streams and
	 * consumer up. Rejects, naming the URL, when no server answers in time or JetStream is off.
	 */
	static async connect(
		url: string,
		options: ConnectJetStreamOptions,
	): Promise<JetStreamJobQueue> {
		let nc: NatsConnection;
		try {
			nc = await connect({
				servers: url.split(",").map((s) => s.trim()),
				name: "sigil-gateway",
				timeout: options.connectTimeoutMs ?? 5000,
				maxReconnectAttempts: -1,
			});
		} catch (err) {
			throw new QueueError(
				"QUEUE_UNAVAILABLE",
				`NATS at ${url} did not answer: ${(err as Error).message}`,
				{ cause: err },
			);
		}
		try {
			return await JetStreamJobQueue.open(nc, options, true);
		} catch (err) {
			await nc.close().catch(() => {});
			throw err;
		}
	}

	/** Uses a connection the caller owns (closing the queue leaves it open unless `owns`). */
	static async open(
		nc: NatsConnection,
		options: JetStreamJobQueueOptions,
		owns = false,
	): Promise<JetStreamJobQueue> {
		const stream = options.stream ?? "SIGIL_JOBS";
		const layout: QueueLayout = {
			stream,
			deadStream: `${stream}_DEAD`,
			consumer: options.consumer ?? "sigil-workers",
			prefix: options.subjectPrefix ?? "sigil.jobs",
			leaseMs: options.leaseMs ?? 30_000,
			maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
			duplicateWindowMs: options.duplicateWindowMs ?? 10 * 60_000,
			deadMaxAgeMs: options.deadMaxAgeMs ?? 14 * 24 * 3600_000,
			replicas: options.replicas ?? 1,
			maxAckPending: options.maxAckPending ?? 10_000,
		};
		checkLayout(layout);
		let jsm: JetStreamManager;
		try {
			jsm = await jetstreamManager(nc);
		} catch (err) {
			throw new QueueError(
				"QUEUE_UNAVAILABLE",
				`JetStream is not enabled on NATS at ${nc.getServer()} (start nats-server with -js): ${(err as Error).message}`,
				{ cause: err },
			);
		}
		await ensureLayout(jsm, layout);
		const q = new JetStreamJobQueue(nc, owns, jsm, layout, options);
		if (options.handleMaxDeliveries ?? true) q.#watchMaxDeliveries();
		return q;
	}

	async enqueue(
		job: JobToEnqueue,
	): Promise<{ id: string; duplicate: boolean }> {
		this.#open();
		checkJob(job, MAX_JOB_PAYLOAD_BYTES);
		const maxAttempts = job.maxAttempts ?? this.layout.maxAttempts;
		if (maxAttempts > this.layout.maxAttempts)
			throw new QueueError(
				"QUEUE_INVALID",
				`this queue runs at most ${this.layout.maxAttempts} attempts per job (its consumer's delivery bound)`,
			);
		const sealed = this.#seal.sealJob({
			id: job.id,
			accountId: job.accountId,
			functionName: job.functionName,
			headers: { ...job.headers },
			callbackUrl: job.callbackUrl,
			maxAttempts,
			enqueuedAt: this.#now(),
			payload: job.payload,
		});
		const limit = this.#nc.info?.max_payload;
		if (limit !== undefined && sealed.length + 512 > limit)
			throw new QueueError(
				"QUEUE_TOO_LARGE",
				`the job is ${sealed.length} bytes sealed; this NATS server carries messages of at most ${limit} bytes (max_payload in its configuration)`,
			);
		try {
			const ack = await this.#js.publish(
				workSubject(this.layout, job.accountId, job.functionName),
				sealed,
				{ msgID: job.id },
			);
			return { id: job.id, duplicate: ack.duplicate };
		} catch (err) {
			// The client may still send a publish it buffered while disconnected: a retry with the
			// same id is then recognised as a duplicate, not run twice.
			throw this.#unavailable(`JetStream did not confirm job ${job.id}`, err);
		}
	}

	async claim(
		limit: number,
		options: { waitMs?: number } = {},
	): Promise<ClaimedJob[]> {
		this.#open();
		if (!Number.isInteger(limit) || limit < 1)
			throw new QueueError(
				"QUEUE_INVALID",
				"claim limit must be a positive whole number",
			);
		// JetStream's shortest pull is 1 s, so a claim that finds fewer than `limit` jobs waits that
		// long; never longer than half a lease, because a job delivered early in a pull is already
		// under its ack wait while the pull goes on.
		const expires = Math.max(
			1000,
			Math.min(options.waitMs ?? 0, this.layout.leaseMs / 2),
		);
		const out: ClaimedJob[] = [];
		const arrived: [JsMsg, number][] = [];
		try {
			const consumer = await this.#getConsumer();
			if (limit === 1) {
				const msg = await consumer.next({ expires });
				if (msg) arrived.push([msg, performance.now()]);
			} else {
				const batch = await consumer.fetch({ max_messages: limit, expires });
				for await (const msg of batch) arrived.push([msg, performance.now()]);
			}
		} catch (err) {
			// Deliveries already received stay unacknowledged: JetStream hands them out again.
			throw this.#unavailable("JetStream did not answer a claim", err);
		}
		for (const [msg, at] of arrived) await this.#take(msg, out, at);
		return out;
	}

	async extend(lease: JobLease): Promise<number> {
		this.#open();
		const held = this.#hold(lease);
		held.msg.working();
		held.leaseUntil = this.#now() + this.layout.leaseMs;
		return held.leaseUntil;
	}

	async complete(lease: JobLease): Promise<void> {
		this.#open();
		const held = this.#hold(lease);
		await this.#ack(held);
		this.#held.delete(lease.token);
	}

	async fail(lease: JobLease, failure: JobFailure): Promise<FailedStatus> {
		this.#open();
		const held = this.#hold(lease);
		if (failure.retryInMs === undefined) {
			await this.#ack(held);
			this.#held.delete(lease.token);
			return "failed";
		}
		if (held.attempt >= held.job.maxAttempts) {
			await this.#deadLetter(held.job, held.attempt, failure.error);
			await this.#ack(held);
			this.#held.delete(lease.token);
			return "dead";
		}
		held.msg.nak(Math.max(0, Math.round(failure.retryInMs)));
		this.#held.delete(lease.token);
		return "queued";
	}

	async dead(filter: {
		accountId: string;
		after?: string;
		limit?: number;
	}): Promise<DeadJob[]> {
		this.#open();
		const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? 100)), 1000);
		const subject = deadSubject(this.layout, filter.accountId);
		let seq = filter.after === undefined ? 1 : Number(filter.after) + 1;
		if (!Number.isSafeInteger(seq) || seq < 1)
			throw new QueueError(
				"QUEUE_INVALID",
				"`after` is not a dead-letter cursor",
			);
		const out: DeadJob[] = [];
		while (out.length < limit) {
			const m = await this.#jsm.direct
				.getMessage(this.layout.deadStream, { seq, next_by_subj: subject })
				.catch((err: unknown) => {
					throw this.#unavailable(
						"JetStream did not answer a dead-letter listing",
						err,
					);
				});
			if (!m) break;
			seq = m.seq + 1;
			const id = m.header?.get("Nats-Msg-Id")?.replace(/^dead:/, "") ?? "";
			try {
				const d = this.#seal.openDead(id, m.data);
				if (d.accountId !== filter.accountId) continue;
				out.push({
					id: d.id,
					accountId: d.accountId,
					functionName: d.functionName,
					attempts: d.attempts,
					lastError: d.lastError,
					enqueuedAt: d.enqueuedAt,
					deadAt: d.deadAt,
					cursor: String(m.seq),
				});
			} catch (err) {
				this.#log({
					at: "queue",
					event: "dead-letter-unreadable",
					seq: m.seq,
					error: (err as Error).message,
				});
			}
		}
		return out;
	}

	async depth(filter: {
		accountId: string;
		functionName?: string;
	}): Promise<number> {
		this.#open();
		const info = await this.#jsm.streams
			.info(this.layout.stream, {
				subjects_filter: workSubject(
					this.layout,
					filter.accountId,
					filter.functionName,
				),
			})
			.catch((err: unknown) => {
				throw this.#unavailable("JetStream did not answer a depth query", err);
			});
		let n = 0;
		for (const count of Object.values(info.state.subjects ?? {})) n += count;
		return n;
	}

	async check(): Promise<void> {
		this.#open();
		try {
			await this.#jsm.getAccountInfo();
		} catch (err) {
			throw this.#unavailable("JetStream did not answer", err);
		}
	}

	/** Leases held are left to run out: their jobs come back one ack wait later. */
	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		this.#held.clear();
		this.#advisories?.unsubscribe();
		if (this.#owns) await this.#nc.close();
	}

	/** The underlying connection, for tests and readiness checks. */
	get connection(): NatsConnection {
		return this.#nc;
	}

	async #getConsumer(): Promise<Consumer> {
		this.#consumer ??= await this.#js.consumers.get(
			this.layout.stream,
			this.layout.consumer,
		);
		return this.#consumer;
	}

	/**
	 * Turns one delivery into a claimed job, or disposes of it. `arrivedAt` (performance.now()):
	 * a delivery that waited in a pull restarts its ack wait, so the worker gets a whole lease.
	 */
	async #take(msg: JsMsg, out: ClaimedJob[], arrivedAt: number): Promise<void> {
		const id = msg.headers?.get("Nats-Msg-Id") ?? "";
		let job: JobEnvelope;
		try {
			job = this.#seal.openJob(id, msg.data);
		} catch (err) {
			// Another installation's key, or not Sigil's: it can never run here.
			this.#log({
				at: "queue",
				event: "job-unreadable",
				seq: msg.seq,
				error: (err as Error).message,
			});
			msg.term();
			return;
		}
		const attempt = msg.info.deliveryCount;
		if (attempt > job.maxAttempts) {
			try {
				await this.#deadLetter(job, attempt - 1, LEASE_RAN_OUT);
				await msg.ackAck();
			} catch (err) {
				// The delivery bound and the advisory are the next safety net.
				this.#log({
					at: "queue",
					event: "dead-letter-failed",
					job: job.id,
					error: (err as Error).message,
				});
			}
			return;
		}
		if (performance.now() - arrivedAt > 20) msg.working();
		const token = randomUUID();
		const leaseUntil = this.#now() + this.layout.leaseMs;
		this.#held.set(token, { msg, job, attempt, leaseUntil });
		out.push({
			id: job.id,
			accountId: job.accountId,
			functionName: job.functionName,
			payload: job.payload,
			headers: job.headers,
			callbackUrl: job.callbackUrl,
			attempt,
			maxAttempts: job.maxAttempts,
			enqueuedAt: job.enqueuedAt,
			leaseUntil,
			lease: { id: job.id, token },
		});
	}

	#hold(lease: JobLease): Held {
		const held = this.#held.get(lease.token);
		if (!held || held.job.id !== lease.id)
			throw new QueueError(
				"QUEUE_LEASE_LOST",
				`job ${lease.id} is not held under this lease by this gateway`,
			);
		if (held.leaseUntil <= this.#now()) {
			// JetStream may already have handed it to another worker: do not pretend otherwise.
			this.#held.delete(lease.token);
			throw new QueueError(
				"QUEUE_LEASE_LOST",
				`job ${lease.id}: the lease ran out before the worker reported back`,
			);
		}
		return held;
	}

	async #ack(held: Held): Promise<void> {
		let ok = false;
		try {
			ok = await held.msg.ackAck();
		} catch (err) {
			throw this.#unavailable(
				`JetStream did not confirm the end of job ${held.job.id}`,
				err,
			);
		}
		if (!ok)
			throw new QueueError(
				"QUEUE_LEASE_LOST",
				`JetStream refused the acknowledgement of job ${held.job.id}`,
			);
	}

	async #deadLetter(
		job: JobEnvelope,
		attempts: number,
		lastError: string,
	): Promise<void> {
		try {
			await this.#js.publish(
				deadSubject(this.layout, job.accountId),
				this.#seal.sealDead({
					...job,
					attempts,
					lastError: lastError.slice(0, 4096),
					deadAt: this.#now(),
				}),
				{ msgID: `dead:${job.id}` },
			);
		} catch (err) {
			// The job stays in the work stream, unacknowledged: it is dead-lettered at its next delivery.
			throw this.#unavailable(
				`JetStream did not take dead letter ${job.id}`,
				err,
			);
		}
	}

	/**
	 * JetStream stops redelivering a message after the consumer's delivery bound and says so in an
	 * advisory; the message itself stays in the work stream. One gateway of a queue group moves it
	 * to the dead letters and removes it.
	 */
	#watchMaxDeliveries(): void {
		const subject = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.layout.stream}.${this.layout.consumer}`;
		this.#advisories = this.#nc.subscribe(subject, {
			queue: `${this.layout.stream}-dead-letters`,
			callback: (err, m) => {
				if (err || this.#closed) return;
				void this.#onMaxDeliveries(
					m.json<{ stream_seq?: number; deliveries?: number }>(),
				);
			},
		});
	}

	async #onMaxDeliveries(advisory: {
		stream_seq?: number;
		deliveries?: number;
	}): Promise<void> {
		const seq = advisory.stream_seq;
		if (typeof seq !== "number") return;
		try {
			const m = await this.#jsm.streams.getMessage(this.layout.stream, { seq });
			if (!m) return;
			const id = m.header?.get("Nats-Msg-Id") ?? "";
			const job = this.#seal.openJob(id, m.data);
			await this.#deadLetter(
				job,
				Math.max(job.maxAttempts, (advisory.deliveries ?? 1) - 1),
				LEASE_RAN_OUT,
			);
			await this.#jsm.streams.deleteMessage(this.layout.stream, seq, false);
			this.#log({ at: "queue", event: "max-deliveries", job: id, seq });
		} catch (err) {
			this.#log({
				at: "queue",
				event: "max-deliveries-failed",
				seq,
				error: (err as Error).message,
			});
		}
	}

	#open(): void {
		if (this.#closed)
			throw new QueueError("QUEUE_CLOSED", "the job queue is closed");
	}

	#unavailable(what: string, err: unknown): QueueError {
		const e = err as Error;
		return new QueueError(
			"QUEUE_UNAVAILABLE",
			`${what} (NATS at ${this.#nc.getServer()}): ${e?.message || e?.name || String(err)}`,
			{ cause: err },
		);
	}
}

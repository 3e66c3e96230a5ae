/**
 * The `JobQueue` port: how asynchronous invocations travel from the gateway that accepted them to
 * the worker that runs them — separated from the `Store`, so the queue can live on a broker
 * (NATS JetStream) while the state stays in SQLite or PostgreSQL.
 *
 * It is exactly what the async worker (`async/worker.ts`, `async/enqueue.ts`) needs:
 * - `enqueue` with the caller's request id, which also de-duplicates: enqueuing an id again is
 *   one job, not two (a client retrying after a lost 202);
 * - `claim` with a lease: a claimed job is this worker's until the lease runs out; a worker that
 *   dies (kill -9) simply stops renewing it and the job comes back to the queue;
 * - `extend` while the job runs, so a long job is never handed to a second worker;
 * - `complete`, or `fail` with a retry delay (backoff) — after `maxAttempts` attempts the job is
 *   `dead` (dead-lettered), and `dead` lists those for `sigil jobs --dead`;
 * - `depth`, to bound the queue per function and account (429 before the disk fills).
 *
 * Delivery is at least once: a worker whose lease ran out may still be running when another
 * worker starts the same job, so running a job twice must be harmless (the worker's callback
 * de-duplication is its own business). Adapters: the store's jobs table (`adapters/store/`, the
 * embedded default) and NATS JetStream (`adapters/nats/`). Each passes `runJobQueueContract`
 * (`test/ports-job-queue-contract.ts`).
 */
import type { JobCallback } from "../store/types.ts";

/** An invocation to run later. */
export interface JobToEnqueue {
	/** The accepting request's id (Lambda's async RequestId, OpenFaaS X-Call-Id): 1–128 characters. */
	readonly id: string;
	readonly accountId: string;
	readonly functionName: string;
	readonly payload: Buffer;
	/** What the worker needs to replay the invocation (`async/job-spec.ts`). */
	readonly headers: Readonly<Record<string, string>>;
	readonly callbackUrl: string | null;
	/** Attempts, the first included (default: the queue's, 3). */
	readonly maxAttempts?: number;
}

/** The proof of a claim, passed back to extend, complete or fail the job. */
export interface JobLease {
	readonly id: string;
	/** Opaque, per claim: a lease that was lost and taken by another claim is not this one. */
	readonly token: string;
}

/** A job a worker holds under a lease. */
export interface ClaimedJob {
	readonly id: string;
	readonly accountId: string;
	readonly functionName: string;
	readonly payload: Buffer;
	readonly headers: Readonly<Record<string, string>>;
	readonly callbackUrl: string | null;
	/** This attempt's number, 1-based. */
	readonly attempt: number;
	readonly maxAttempts: number;
	/** When it was enqueued (epoch ms). */
	readonly enqueuedAt: number;
	/** The lease ends here unless extended (epoch ms). */
	readonly leaseUntil: number;
	readonly lease: JobLease;
}

/** What the worker may record with a job's end (kept by adapters that keep job records). */
export interface JobOutcome {
	readonly result?: Buffer | null;
	readonly callback?: JobCallback;
}

export interface JobFailure extends JobOutcome {
	/** For the job's last error: the function's own output, clipped, never a secret. */
	readonly error: string;
	/**
	 * Run it again after this long (the backoff); absent: the failure is final (`failed`). A
	 * retry after the last attempt makes the job `dead` instead.
	 */
	readonly retryInMs?: number;
}

/** A job whose attempts are spent, as `sigil jobs --dead` shows it. */
export interface DeadJob {
	readonly id: string;
	readonly accountId: string;
	readonly functionName: string;
	readonly attempts: number;
	readonly lastError: string | null;
	readonly enqueuedAt: number;
	/** When it was dead-lettered (epoch ms). */
	readonly deadAt: number;
	/** Pass as `after` to read the page that follows this job. */
	readonly cursor: string;
}

export type FailedStatus = "queued" | "failed" | "dead";

export interface JobQueue {
	/**
	 * Durable when it resolves. `duplicate`: a job with this id was enqueued already (within the
	 * adapter's de-duplication window) and this call added nothing.
	 */
	enqueue(job: JobToEnqueue): Promise<{ id: string; duplicate: boolean }>;

	/**
	 * Takes up to `limit` jobs that are due, each under a lease. When none is due it waits up to
	 * `waitMs` (default 0: answer at once, possibly with nothing) for the first one; a broker whose
	 * shortest pull is longer (JetStream: 1 s) may wait that long. A job whose lease ran out on its
	 * last attempt is dead-lettered here rather than handed out again.
	 */
	claim(limit: number, options?: { waitMs?: number }): Promise<ClaimedJob[]>;

	/**
	 * Renews the lease for another lease period from now and resolves with its new end. Rejects
	 * with `QUEUE_LEASE_LOST` when this lease is known to be gone.
	 */
	extend(lease: JobLease): Promise<number>;

	/** The job ran; it leaves the queue. `QUEUE_LEASE_LOST` when the lease is known to be gone. */
	complete(lease: JobLease, outcome?: JobOutcome): Promise<void>;

	/**
	 * The attempt failed: with `retryInMs` the job runs again after that delay, unless this was its
	 * last attempt (then `dead`); without it the failure is final (`failed`). Resolves with the
	 * job's new status.
	 */
	fail(lease: JobLease, failure: JobFailure): Promise<FailedStatus>;

	/** Dead-lettered jobs of an account, oldest first. */
	dead(filter: {
		accountId: string;
		after?: string;
		limit?: number;
	}): Promise<DeadJob[]>;

	/**
	 * Jobs of an account (or one of its functions) waiting to run, to bound the queue (JetStream
	 * counts the running ones too: they stay in the stream until acknowledged).
	 */
	depth(filter: { accountId: string; functionName?: string }): Promise<number>;

	/** What this adapter can do beyond the common contract (the contract skips what it cannot). */
	readonly features: {
		/** `extend` really pushes the lease out (false: the lease is fixed at claim time). */
		readonly extendLease: boolean;
	};

	/** Resolves when the queue's engine answers now; rejects with `QUEUE_UNAVAILABLE` (for `/readyz`). */
	check(): Promise<void>;

	/** Releases connections; leases held are not released (they run out, as after a crash). */
	close(): Promise<void>;
}

export type QueueErrorCode =
	/** The lease expired (and may have been claimed again) before the worker reported back. */
	| "QUEUE_LEASE_LOST"
	/** An argument broke the queue's rules (id length, attempts, payload size). */
	| "QUEUE_INVALID"
	/** The payload is larger than the queue carries. */
	| "QUEUE_TOO_LARGE"
	/** The broker did not confirm an operation (unreachable, timed out). */
	| "QUEUE_UNAVAILABLE"
	/** The queue was closed. */
	| "QUEUE_CLOSED";

export class QueueError extends Error {
	readonly code: QueueErrorCode;
	constructor(code: QueueErrorCode, message: string, options?: ErrorOptions) {
		super(message, options);
		this.name = "QueueError";
		this.code = code;
	}
}

export function isQueueError(
	err: unknown,
	code?: QueueErrorCode,
): err is QueueError {
	return err instanceof QueueError && (code === undefined || err.code === code);
}

/** The default attempts per job (Lambda: one try plus two retries). */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** Checks a job before it is enqueued; the rules every adapter shares. */
export function checkJob(job: JobToEnqueue, maxPayloadBytes: number): void {
	if (typeof job.id !== "string" || job.id.length === 0 || job.id.length > 128)
		throw new QueueError("QUEUE_INVALID", "a job id must be 1–128 characters");
	const attempts = job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
	if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100)
		throw new QueueError(
			"QUEUE_INVALID",
			"maxAttempts must be a whole number from 1 to 100",
		);
	if (!Buffer.isBuffer(job.payload))
		throw new QueueError("QUEUE_INVALID", "a job's payload must be a Buffer");
	if (job.payload.length > maxPayloadBytes)
		throw new QueueError(
			"QUEUE_TOO_LARGE",
			`the payload is ${job.payload.length} bytes; an async job may carry at most ${maxPayloadBytes}`,
		);
}

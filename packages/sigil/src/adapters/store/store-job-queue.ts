/**
 * The embedded `JobQueue`: today's jobs table of the `Store` (`store.jobs`: SQLite, or the
 * PostgreSQL store when that lands), behind the queue port with no change of behaviour — the same
 * claim transaction, lease and fencing token, the same requeue of expired leases at the next claim
 * (or `dead` when the attempts are spent), the same encryption at rest. The job rows stay the
 * record `sigil jobs` lists.
 *
 * The store's jobs API has no lease renewal: a claim's lease is fixed (16 minutes by default, the
 * longest function timeout plus callback time), so `extend` only checks that the lease is still
 * held and `features.extendLease` is false. A store method to push `lease_until` out is the step
 * that would let this adapter use short leases too.
 */

import {
	type ClaimedJob,
	checkJob,
	DEFAULT_MAX_ATTEMPTS,
	type DeadJob,
	type FailedStatus,
	type JobFailure,
	type JobLease,
	type JobOutcome,
	type JobQueue,
	type JobToEnqueue,
	QueueError,
} from "../../ports/job-queue.ts";
import { isStoreError } from "../../store/errors.ts";
import { MAX_JOB_PAYLOAD_BYTES } from "../../store/limits.ts";
import type { JobQueue as StoreJobs } from "../../store/store.ts";
import type { Job } from "../../store/types.ts";

export interface StoreJobQueueOptions {
	/** How long a claim is the worker's (default 16 minutes, as `AsyncOptions.leaseMs`). */
	readonly leaseMs?: number;
	/** Attempts for a job that names none (default 3). */
	readonly maxAttempts?: number;
	/** While `claim` waits for a job: how often it looks again (default 100 ms). */
	readonly pollMs?: number;
	/** The clock (epoch ms); default `Date.now`. */
	readonly now?: () => number;
}

function lost(err: unknown, id: string): never {
	if (
		isStoreError(err, "STORE_LEASE_LOST") ||
		isStoreError(err, "STORE_NOT_FOUND")
	)
		throw new QueueError(
			"QUEUE_LEASE_LOST",
			`job ${id}: ${(err as Error).message}`,
			{ cause: err },
		);
	throw err;
}

export class StoreJobQueue implements JobQueue {
	readonly features = { extendLease: false } as const;
	readonly #jobs: StoreJobs;
	readonly #leaseMs: number;
	readonly #maxAttempts: number;
	readonly #pollMs: number;
	readonly #now: () => number;
	#closed = false;

	constructor(jobs: StoreJobs, options: StoreJobQueueOptions = {}) {
		this.#jobs = jobs;
		this.#leaseMs = options.leaseMs ?? 16 * 60_000;
		this.#maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
		this.#pollMs = options.pollMs ?? 100;
		this.#now = options.now ?? Date.now;
	}

	async enqueue(
		job: JobToEnqueue,
	): Promise<{ id: string; duplicate: boolean }> {
		this.#open();
		checkJob(job, MAX_JOB_PAYLOAD_BYTES);
		try {
			await this.#jobs.enqueue({
				id: job.id,
				accountId: job.accountId,
				functionName: job.functionName,
				payload: job.payload,
				headers: { ...job.headers },
				maxAttempts: job.maxAttempts ?? this.#maxAttempts,
				callbackUrl: job.callbackUrl,
			});
			return { id: job.id, duplicate: false };
		} catch (err) {
			if (isStoreError(err, "STORE_CONFLICT"))
				return { id: job.id, duplicate: true };
			if (isStoreError(err, "STORE_TOO_LARGE"))
				throw new QueueError("QUEUE_TOO_LARGE", (err as Error).message, {
					cause: err,
				});
			if (isStoreError(err, "STORE_INVALID"))
				throw new QueueError("QUEUE_INVALID", (err as Error).message, {
					cause: err,
				});
			throw err;
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
		const deadline = performance.now() + (options.waitMs ?? 0);
		for (;;) {
			const jobs = await this.#jobs.claim(this.#now(), limit, this.#leaseMs);
			if (jobs.length > 0) return jobs.map(claimed);
			const left = deadline - performance.now();
			if (left <= 0 || this.#closed) return [];
			await new Promise((r) => setTimeout(r, Math.min(this.#pollMs, left)));
		}
	}

	async extend(lease: JobLease): Promise<number> {
		this.#open();
		const job = await this.#jobs.get(lease.id);
		if (
			job?.status !== "running" ||
			job.leaseToken !== lease.token ||
			job.leaseUntil === null ||
			job.leaseUntil <= this.#now()
		)
			throw new QueueError(
				"QUEUE_LEASE_LOST",
				`job ${lease.id} is no longer held under this lease`,
			);
		return job.leaseUntil;
	}

	async complete(lease: JobLease, outcome: JobOutcome = {}): Promise<void> {
		this.#open();
		try {
			await this.#jobs.complete(
				lease.id,
				lease.token,
				outcome.result ?? null,
				this.#now(),
				outcome.callback,
			);
		} catch (err) {
			lost(err, lease.id);
		}
	}

	async fail(lease: JobLease, failure: JobFailure): Promise<FailedStatus> {
		this.#open();
		const now = this.#now();
		try {
			const status = await this.#jobs.fail(
				lease.id,
				lease.token,
				{
					error: failure.error,
					...(failure.retryInMs !== undefined && {
						retryAt: now + Math.max(0, failure.retryInMs),
					}),
					...(failure.callback && { callback: failure.callback }),
				},
				now,
			);
			return status as FailedStatus;
		} catch (err) {
			return lost(err, lease.id);
		}
	}

	async dead(filter: {
		accountId: string;
		after?: string;
		limit?: number;
	}): Promise<DeadJob[]> {
		this.#open();
		const jobs = await this.#jobs.list({
			accountId: filter.accountId,
			status: "dead",
			...(filter.after !== undefined && { after: filter.after }),
			...(filter.limit !== undefined && { limit: filter.limit }),
		});
		return jobs.map((j) => ({
			id: j.id,
			accountId: j.accountId,
			functionName: j.functionName,
			attempts: j.attempts,
			lastError: j.lastError,
			enqueuedAt: j.createdAt,
			deadAt: j.updatedAt,
			cursor: j.id,
		}));
	}

	async depth(filter: {
		accountId: string;
		functionName?: string;
	}): Promise<number> {
		this.#open();
		return this.#jobs.countQueued(filter);
	}

	/** The store's own readiness is the gateway's store check; this queue adds nothing to it. */
	async check(): Promise<void> {
		this.#open();
	}

	/** The store is not this adapter's: closing the queue leaves it open. */
	async close(): Promise<void> {
		this.#closed = true;
	}

	#open(): void {
		if (this.#closed)
			throw new QueueError("QUEUE_CLOSED", "the job queue is closed");
	}
}

function claimed(job: Job): ClaimedJob {
	return {
		id: job.id,
		accountId: job.accountId,
		functionName: job.functionName,
		payload: job.payload,
		headers: job.headers,
		callbackUrl: job.callbackUrl,
		attempt: job.attempts,
		maxAttempts: job.maxAttempts,
		enqueuedAt: job.createdAt,
		leaseUntil: job.leaseUntil ?? 0,
		lease: { id: job.id, token: job.leaseToken ?? "" },
	};
}

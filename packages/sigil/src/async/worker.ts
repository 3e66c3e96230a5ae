/**
 * The worker that runs queued invocations: a short poll loop over `store.jobs` (nudged at once
 * on enqueue; timers unref'd so it never holds the process open), at most `concurrency` jobs at
 * a time, each under a lease. Delivery is at-least-once: a job is completed only after it ran
 * (and its callback was sent), so a gateway killed mid-job loses nothing — the lease runs out
 * and the next claim (here or on another gateway sharing the store) runs it again.
 */
import type { FunctionRegistry } from "../functions/registry.ts";
import { isStoreError } from "../store/errors.ts";
import type { Store } from "../store/store.ts";
import type { Job, JobCallback, JobStatus } from "../store/types.ts";
import { retryDelayMs } from "./backoff.ts";
import { CALLBACK_KEY_SECRET, sendCallback } from "./callback.ts";
import { type Attempt, runJob } from "./run-job.ts";

export interface AsyncOptions {
	/** Jobs run at once by this gateway (default 4). */
	readonly concurrency?: number;
	/** Idle poll interval (default 500 ms); an enqueue nudges the loop at once. */
	readonly pollMs?: number;
	/**
	 * How long a claimed job is this worker's before another claim may take it (default
	 * 16 minutes: the longest function timeout, 15 min, plus callback time). A gateway killed
	 * mid-job delays that job's rerun by up to this long.
	 */
	readonly leaseMs?: number;
	/** Attempts per job, the first included (default 3: Lambda's one try plus two retries). */
	readonly maxAttempts?: number;
	/** First retry delay (default 60 s, as Lambda); doubles per attempt. */
	readonly retryBaseMs?: number;
	/** Longest retry delay (default 5 min). */
	readonly retryMaxMs?: number;
	/** Jobs waiting per function before enqueue answers 429 (default 1000). */
	readonly maxQueuedPerFunction?: number;
	/** Jobs waiting per account before enqueue answers 429 (default 10 000). */
	readonly maxQueuedPerAccount?: number;
	/** Per callback POST (default 10 s). */
	readonly callbackTimeoutMs?: number;
	/** Callback POSTs per result (default 3). */
	readonly callbackAttempts?: number;
	/** Pause before the second callback POST (default 1 s, doubling). */
	readonly callbackRetryMs?: number;
	/** Start without claiming (tests: a queue that fills while nothing drains it). */
	readonly paused?: boolean;
	/** Deliver callbacks to loopback/private addresses too (default false; SIGIL_CALLBACK_ALLOW_PRIVATE=1). */
	readonly allowPrivateCallbacks?: boolean;
}

export type ResolvedAsyncOptions = Required<AsyncOptions>;

export function resolveAsyncOptions(
	o: AsyncOptions = {},
): ResolvedAsyncOptions {
	return Object.freeze({
		concurrency: o.concurrency ?? 4,
		pollMs: o.pollMs ?? 500,
		leaseMs: o.leaseMs ?? 16 * 60_000,
		maxAttempts: o.maxAttempts ?? 3,
		retryBaseMs: o.retryBaseMs ?? 60_000,
		retryMaxMs: o.retryMaxMs ?? 5 * 60_000,
		maxQueuedPerFunction: o.maxQueuedPerFunction ?? 1000,
		maxQueuedPerAccount: o.maxQueuedPerAccount ?? 10_000,
		callbackTimeoutMs: o.callbackTimeoutMs ?? 10_000,
		callbackAttempts: o.callbackAttempts ?? 3,
		callbackRetryMs: o.callbackRetryMs ?? 1_000,
		paused: o.paused ?? false,
		allowPrivateCallbacks: o.allowPrivateCallbacks ?? false,
	});
}

export interface WorkerDeps {
	readonly store: Store;
	readonly functions: FunctionRegistry;
	readonly log: (entry: Record<string, unknown>) => void;
	readonly now: () => number;
}

/** Expired leases are swept at least this often even when claims find nothing due. */
const SWEEP_MS = 30_000;

export class AsyncWorker {
	readonly options: ResolvedAsyncOptions;
	readonly #d: WorkerDeps;
	readonly #inFlight = new Map<string, Promise<void>>();
	readonly #abort = new AbortController();
	#timer: NodeJS.Timeout | undefined;
	#polling = false;
	#again = false;
	#stopped = false;
	#lastSweep = 0;

	constructor(deps: WorkerDeps, options: AsyncOptions = {}) {
		this.#d = deps;
		this.options = resolveAsyncOptions(options);
	}

	/** Requeues what a previous gateway left running, then starts the loop. */
	async start(): Promise<void> {
		const n = await this.#d.store.jobs.requeueExpired(this.#d.now());
		this.#lastSweep = this.#d.now();
		if (n > 0) this.#d.log({ at: "async", event: "requeued-expired", jobs: n });
		if (!this.options.paused) this.nudge();
	}

	/** Polls now (after an enqueue, or when a job finished and a slot is free). */
	nudge(): void {
		if (this.#stopped || this.options.paused) return;
		clearTimeout(this.#timer);
		this.#timer = undefined;
		void this.#poll();
	}

	get running(): number {
		return this.#inFlight.size;
	}

	/**
	 * Stops claiming and waits up to `graceMs` for running jobs. Jobs still running after that
	 * keep their lease and run again after a restart (at-least-once).
	 */
	async stop(graceMs: number): Promise<void> {
		this.#stopped = true;
		clearTimeout(this.#timer);
		const all = Promise.allSettled([...this.#inFlight.values()]);
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([
			all,
			new Promise((r) => {
				timer = setTimeout(r, graceMs);
				timer.unref();
			}),
		]);
		clearTimeout(timer);
		this.#abort.abort();
	}

	#schedule(): void {
		if (this.#stopped || this.options.paused) return;
		clearTimeout(this.#timer);
		this.#timer = setTimeout(() => void this.#poll(), this.options.pollMs);
		this.#timer.unref();
	}

	async #poll(): Promise<void> {
		if (this.#polling) {
			this.#again = true;
			return;
		}
		this.#polling = true;
		try {
			do {
				this.#again = false;
				const room = this.options.concurrency - this.#inFlight.size;
				if (room <= 0 || this.#stopped) break;
				const now = this.#d.now();
				if (now - this.#lastSweep >= SWEEP_MS) {
					this.#lastSweep = now;
					await this.#d.store.jobs.requeueExpired(now);
				}
				const jobs = await this.#d.store.jobs.claim(
					now,
					room,
					this.options.leaseMs,
				);
				for (const job of jobs) {
					const run = this.#run(job).finally(() => {
						this.#inFlight.delete(job.id);
						this.nudge();
					});
					this.#inFlight.set(job.id, run);
				}
				if (jobs.length === room) this.#again = true;
			} while (this.#again && !this.#stopped);
		} catch (err) {
			if (!this.#stopped)
				this.#d.log({
					at: "async",
					event: "poll-failed",
					error: (err as Error).message,
				});
		} finally {
			this.#polling = false;
			this.#schedule();
		}
	}

	async #run(job: Job): Promise<void> {
		const started = performance.now();
		const attempt = await runJob(job, this.#d.functions, this.#abort.signal);
		const seconds = (performance.now() - started) / 1000;
		const token = job.leaseToken ?? "";
		try {
			let status: JobStatus;
			if (attempt.ok) {
				const callback = await this.#callback(job, attempt, seconds);
				await this.#d.store.jobs.complete(
					job.id,
					token,
					attempt.result,
					this.#d.now(),
					callback,
				);
				status = "succeeded";
			} else {
				const now = this.#d.now();
				const retryAt = attempt.retryable
					? now +
						retryDelayMs(job.attempts, {
							baseMs: this.options.retryBaseMs,
							maxMs: this.options.retryMaxMs,
						})
					: undefined;
				const last = !attempt.retryable || job.attempts >= job.maxAttempts;
				// The final outcome goes to the callback before the job is closed (at-least-once).
				const callback = last
					? await this.#callback(job, attempt, seconds)
					: undefined;
				status = await this.#d.store.jobs.fail(
					job.id,
					token,
					{
						error: attempt.error,
						...(retryAt !== undefined && { retryAt }),
						...(callback && { callback }),
					},
					now,
				);
			}
			this.#d.log({
				at: "async",
				event: "attempt",
				job: job.id,
				function: job.functionName,
				attempt: job.attempts,
				status,
				ms: Math.round(seconds * 1000),
			});
		} catch (err) {
			// Lease lost (another worker took it after expiry) or the store closed under a stop:
			// the job's fate is now someone else's record, not an error of this one.
			this.#d.log({
				at: "async",
				event: isStoreError(err, "STORE_LEASE_LOST")
					? "lease-lost"
					: "record-failed",
				job: job.id,
				error: (err as Error).message,
			});
		}
	}

	/** Sends the job's callback, if it has one; the outcome is recorded with the job's state. */
	async #callback(
		job: Job,
		attempt: Attempt,
		seconds: number,
	): Promise<JobCallback | undefined> {
		if (!job.callbackUrl) return undefined;
		const key = await this.#d.store.secrets
			.get(job.accountId, CALLBACK_KEY_SECRET)
			.catch(() => undefined);
		const http = attempt.http;
		const contentType = http
			? headerOf(http.headers, "content-type")
			: undefined;
		const outcome = await sendCallback(
			{
				url: job.callbackUrl,
				callId: job.id,
				functionName: job.functionName,
				status: http?.status ?? (attempt.ok ? 200 : 500),
				durationSeconds: seconds,
				body:
					http?.body ??
					(attempt.ok ? attempt.result : Buffer.from(attempt.error)),
				...(contentType !== undefined
					? { contentType }
					: !http && !attempt.ok
						? { contentType: "text/plain; charset=utf-8" }
						: {}),
				...(key && { key }),
			},
			{
				allowPrivate: this.options.allowPrivateCallbacks,
				attempts: this.options.callbackAttempts,
				timeoutMs: this.options.callbackTimeoutMs,
				retryDelayMs: this.options.callbackRetryMs,
			},
		);
		if (outcome.outcome !== "delivered")
			this.#d.log({
				at: "async",
				event: "callback-failed",
				job: job.id,
				outcome: outcome.outcome,
				target: outcome.target,
				error: outcome.error,
			});
		return { ...outcome, at: this.#d.now() };
	}
}

function headerOf(
	headers: readonly string[],
	name: string,
): string | undefined {
	for (let i = 0; i + 1 < headers.length; i += 2)
		if ((headers[i] as string).toLowerCase() === name)
			return headers[i + 1] as string;
	return undefined;
}

/**
 * The worker that runs queued invocations, on the `JobQueue` port (the store's jobs table, or
 * NATS JetStream shared by every gateway): a claim loop (nudged at once on enqueue; timers
 * unref'd so it never holds the process open), at most `concurrency` jobs at a time, each under a
 * lease kept alive while it runs (`keepLease`: JetStream's ack wait is pushed out; the store's
 * lease is fixed at claim). Delivery is at-least-once: a job is completed only after it ran and
 * its callback was sent, so a gateway killed mid-job loses nothing — its lease runs out and
 * another claim (here or on another gateway) runs it again; the callback is de-duplicated
 * (`callback-once.ts`), so the rerun does not POST a second result.
 */
import type { FunctionRegistry } from "../functions/registry.ts";
import {
	type ClaimedJob,
	isQueueError,
	type JobQueue,
} from "../ports/job-queue.ts";
import { keepLease } from "../ports/lease-renewal.ts";
import type { SharedCache } from "../ports/shared-cache.ts";
import type { Store } from "../store/store.ts";
import type { JobCallback } from "../store/types.ts";
import { retryDelayMs } from "./backoff.ts";
import { CALLBACK_KEY_SECRET, sendCallback } from "./callback.ts";
import { deliverCallbackOnce } from "./callback-once.ts";
import { decodeJobSpec } from "./job-spec.ts";
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
	readonly queue: JobQueue;
	/** Where each account's callback signing key is kept (the `sigil-callback-key` secret). */
	readonly store: Store;
	/** Callback de-duplication across gateways. */
	readonly cache: SharedCache;
	readonly functions: FunctionRegistry;
	readonly log: (entry: Record<string, unknown>) => void;
	readonly now: () => number;
	/**
	 * How long one claim may wait for a job (a broker's long poll: JetStream, ≥ 1 s); 0 (the
	 * store's queue) answers at once and the loop polls every `pollMs` instead.
	 */
	readonly claimWaitMs?: number;
}

export class AsyncWorker {
	readonly options: ResolvedAsyncOptions;
	readonly #d: WorkerDeps;
	readonly #inFlight = new Map<string, Promise<void>>();
	readonly #abort = new AbortController();
	#timer: NodeJS.Timeout | undefined;
	#polling = false;
	#again = false;
	#stopped = false;

	constructor(deps: WorkerDeps, options: AsyncOptions = {}) {
		this.#d = deps;
		this.options = resolveAsyncOptions(options);
	}

	/** Starts the loop (a previous gateway's expired leases come back at the first claim). */
	async start(): Promise<void> {
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
	 * keep their lease and run again once it runs out (at-least-once).
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

	#schedule(delayMs: number): void {
		if (this.#stopped || this.options.paused) return;
		clearTimeout(this.#timer);
		this.#timer = setTimeout(() => void this.#poll(), delayMs);
		this.#timer.unref();
	}

	async #poll(): Promise<void> {
		if (this.#polling) {
			this.#again = true;
			return;
		}
		this.#polling = true;
		const waitMs = this.#d.claimWaitMs ?? 0;
		let next = this.options.pollMs;
		try {
			do {
				this.#again = false;
				const room = this.options.concurrency - this.#inFlight.size;
				if (room <= 0 || this.#stopped) break;
				// A long poll answers as soon as one job arrives only when asked for one: a pull for
				// more would hold the first job until the pull is full or expires (JetStream: 1 s).
				const jobs = await this.#d.queue.claim(waitMs > 0 ? 1 : room, {
					waitMs,
				});
				// Stopped while the claim waited: the leases run out and the jobs go to another claim.
				if (this.#stopped) break;
				for (const job of jobs) {
					const run = this.#run(job).finally(() => {
						this.#inFlight.delete(job.id);
						this.nudge();
					});
					this.#inFlight.set(job.id, run);
				}
				if (jobs.length > 0 && this.#inFlight.size < this.options.concurrency)
					this.#again = true;
				// A long poll that came back short already waited: look again at once.
				else if (waitMs > 0) next = 0;
			} while (this.#again && !this.#stopped);
		} catch (err) {
			next = this.options.pollMs;
			if (!this.#stopped)
				this.#d.log({
					at: "async",
					event: "poll-failed",
					error: (err as Error).message,
				});
		} finally {
			this.#polling = false;
			// Full: the next job to finish nudges the loop.
			if (this.#inFlight.size < this.options.concurrency) this.#schedule(next);
		}
	}

	async #run(job: ClaimedJob): Promise<void> {
		const started = performance.now();
		const renewal = keepLease(this.#d.queue, job, {
			onError: (err) =>
				this.#d.log({
					at: "async",
					event: "lease-renewal-failed",
					job: job.id,
					error: (err as Error).message,
				}),
		});
		// The lease is kept through the callback too: a slow receiver must not hand the job on.
		try {
			await this.#attempt(job, renewal.signal, started);
		} finally {
			renewal.stop();
		}
	}

	async #attempt(
		job: ClaimedJob,
		leaseLost: AbortSignal,
		started: number,
	): Promise<void> {
		const attempt = await runJob(
			job,
			this.#d.functions,
			AbortSignal.any([this.#abort.signal, leaseLost]),
		);
		const seconds = (performance.now() - started) / 1000;
		await this.#record(job, attempt, seconds);
		if (leaseLost.aborted) {
			// Another claim holds the job now: its run records the outcome, not this one.
			this.#d.log({ at: "async", event: "lease-lost", job: job.id });
			return;
		}
		try {
			let status: string;
			if (attempt.ok) {
				const callback = await this.#callback(job, attempt, seconds);
				await this.#d.queue.complete(job.lease, {
					result: attempt.result,
					...(callback && { callback }),
				});
				status = "succeeded";
			} else {
				const retryInMs = attempt.retryable
					? retryDelayMs(job.attempt, {
							baseMs: this.options.retryBaseMs,
							maxMs: this.options.retryMaxMs,
						})
					: undefined;
				const last = !attempt.retryable || job.attempt >= job.maxAttempts;
				// The final outcome goes to the callback before the job is closed (at-least-once).
				const callback = last
					? await this.#callback(job, attempt, seconds)
					: undefined;
				status = await this.#d.queue.fail(job.lease, {
					error: attempt.error,
					...(retryInMs !== undefined && { retryInMs }),
					...(callback && { callback }),
				});
			}
			this.#d.log({
				at: "async",
				event: "attempt",
				job: job.id,
				function: job.functionName,
				attempt: job.attempt,
				status,
				ms: Math.round(seconds * 1000),
			});
		} catch (err) {
			// Lease lost (another worker took it after expiry) or the queue closed under a stop:
			// the job's fate is now someone else's record, not an error of this one.
			this.#d.log({
				at: "async",
				event: isQueueError(err, "QUEUE_LEASE_LOST")
					? "lease-lost"
					: "record-failed",
				job: job.id,
				error: (err as Error).message,
			});
		}
	}

	/**
	 * Each attempt in the function's log, as a synchronous invocation is: its output (console
	 * lines, stderr, tracebacks — bounded and redacted by InvocationLogs), its outcome and the
	 * caller who queued it, under the job's id (`sigil logs NAME --request-id JOB`). A record that
	 * cannot be written costs the log line only, never the job.
	 */
	async #record(
		job: ClaimedJob,
		attempt: Attempt,
		seconds: number,
	): Promise<void> {
		const logs = this.#d.functions.logs.take(job.id, undefined);
		const caller = decodeJobSpec(job.headers)?.caller;
		const code = attempt.ok
			? "ALLOWED"
			: (/^([A-Z][A-Z0-9_]+):/.exec(attempt.error)?.[1] ?? "FUNCTION_ERROR");
		try {
			await this.#d.store.audit.append({
				requestId: job.id,
				time: this.#d.now(),
				accountId: job.accountId,
				functionName: job.functionName,
				principalArn: caller?.userArn ?? null,
				accessKeyId: caller?.accessKey ?? null,
				scheme: "async",
				outcome: code,
				httpStatus: attempt.http?.status ?? (attempt.ok ? 200 : 502),
				durationMs: Math.round(seconds * 1000),
				detail: {
					job: { attempt: job.attempt, maxAttempts: job.maxAttempts },
					...(!attempt.ok && { error: attempt.error }),
				},
				logs,
			});
		} catch (err) {
			this.#d.log({
				at: "async",
				event: "log-record-failed",
				job: job.id,
				error: (err as Error).message,
			});
		}
	}

	/** The job's callback (if it has one), sent once per job; recorded with the job's state. */
	async #callback(
		job: ClaimedJob,
		attempt: Attempt,
		seconds: number,
	): Promise<JobCallback | undefined> {
		const url = job.callbackUrl;
		if (!url) return undefined;
		const once = await deliverCallbackOnce(
			this.#d.cache,
			job.id,
			() => this.#send(job, url, attempt, seconds),
			this.#d.log,
		);
		if (!once.sent)
			this.#d.log({ at: "async", event: "callback-duplicate", job: job.id });
		return once.sent ? once.callback : undefined;
	}

	/** One delivery: signed POSTs with retries; the outcome is what the job record keeps. */
	async #send(
		job: ClaimedJob,
		url: string,
		attempt: Attempt,
		seconds: number,
	): Promise<JobCallback> {
		const key = await this.#d.store.secrets
			.get(job.accountId, CALLBACK_KEY_SECRET)
			.catch(() => undefined);
		const http = attempt.http;
		const contentType = http
			? headerOf(http.headers, "content-type")
			: undefined;
		const outcome = await sendCallback(
			{
				url,
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

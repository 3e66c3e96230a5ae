/**
 * Putting an invocation on the durable queue (the `JobQueue` port), within bounds: a function (and
 * an account) may have only so many jobs waiting, so a runaway producer meets 429 instead of
 * filling the disk. Counting queued jobs costs a scan (or a broker round trip), so a count is reused for a short while
 * (plus the enqueues this gateway made since): under load the bound is checked a few times a
 * second, not per request. Other gateways' enqueues within that window and concurrent enqueues
 * may overshoot the bound slightly; it is a safety rail, not an exact quota.
 */
import { SigilError } from "../errors.ts";
import { isQueueError, type JobQueue } from "../ports/job-queue.ts";
import { encodeJobSpec, type JobSpec } from "./job-spec.ts";
import type { ResolvedAsyncOptions } from "./worker.ts";

export interface EnqueueRequest {
	/** The request id of the accepting request (Lambda's async RequestId, OpenFaaS X-Call-Id). */
	readonly id: string;
	readonly accountId: string;
	readonly functionName: string;
	readonly payload: Buffer;
	readonly spec: JobSpec;
	readonly callbackUrl?: string;
}

/** How long a queued-jobs count is trusted before it is read again. */
const COUNT_TTL_MS = 250;

/** Recent queued counts per account and per function, advanced by this gateway's enqueues. */
export class QueueCounts {
	readonly #queue: JobQueue;
	readonly #counts = new Map<string, { n: number; at: number }>();
	constructor(queue: JobQueue) {
		this.#queue = queue;
	}

	async get(accountId: string, functionName?: string): Promise<number> {
		const key =
			functionName === undefined ? accountId : `${accountId}/${functionName}`;
		const now = performance.now();
		const hit = this.#counts.get(key);
		if (hit && now - hit.at < COUNT_TTL_MS) return hit.n;
		const n = await this.#queue.depth({
			accountId,
			...(functionName !== undefined && { functionName }),
		});
		this.#counts.set(key, { n, at: now });
		return n;
	}

	/** Notes one more queued job under both keys. */
	added(accountId: string, functionName: string): void {
		for (const key of [accountId, `${accountId}/${functionName}`]) {
			const hit = this.#counts.get(key);
			if (hit) hit.n++;
		}
	}
}

/** Checks the bounds, then enqueues durably (resolved = on disk, or acknowledged by the stream). */
export async function enqueueBounded(
	queue: JobQueue,
	options: ResolvedAsyncOptions,
	req: EnqueueRequest,
	counts: QueueCounts = new QueueCounts(queue),
): Promise<{ id: string; duplicate: boolean }> {
	const perFunction = await counts.get(req.accountId, req.functionName);
	if (perFunction >= options.maxQueuedPerFunction)
		throw new SigilError(
			"FUNCTION_QUEUE_FULL",
			`Rate Exceeded. Function ${req.functionName} already has ${perFunction} asynchronous invocations waiting (bound ${options.maxQueuedPerFunction}); retry later.`,
		);
	const perAccount = await counts.get(req.accountId);
	if (perAccount >= options.maxQueuedPerAccount)
		throw new SigilError(
			"FUNCTION_QUEUE_FULL",
			`Rate Exceeded. Account ${req.accountId} already has ${perAccount} asynchronous invocations waiting (bound ${options.maxQueuedPerAccount}); retry later.`,
		);
	try {
		const job = await queue.enqueue({
			id: req.id,
			accountId: req.accountId,
			functionName: req.functionName,
			payload: req.payload,
			headers: encodeJobSpec(req.spec),
			maxAttempts: options.maxAttempts,
			callbackUrl: req.callbackUrl ?? null,
		});
		if (!job.duplicate) counts.added(req.accountId, req.functionName);
		return job;
	} catch (err) {
		if (isQueueError(err, "QUEUE_TOO_LARGE"))
			throw new SigilError("BODY_TOO_LARGE", (err as Error).message);
		// Not accepted, so not answered 202: the caller retries with the same id (de-duplicated).
		if (isQueueError(err, "QUEUE_UNAVAILABLE"))
			throw new SigilError(
				"ENGINE_UNAVAILABLE",
				"the asynchronous invocation was not queued (the job queue did not confirm it): retry with the same request id",
			);
		throw err;
	}
}

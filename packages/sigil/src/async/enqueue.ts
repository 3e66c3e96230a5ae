/**
 * Putting an invocation on the durable queue, within bounds: a function (and an account) may
 * have only so many jobs waiting, so a runaway producer meets 429 instead of filling the disk.
 * The count and the insert are two statements, so concurrent enqueues may overshoot the bound by
 * the number in flight at once; the bound is a safety rail, not an exact quota.
 */
import { SigilError } from "../errors.ts";
import { isStoreError } from "../store/errors.ts";
import type { Store } from "../store/store.ts";
import type { Job } from "../store/types.ts";
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

/** Checks the bounds, then enqueues durably (resolved = on disk). */
export async function enqueueBounded(
	store: Store,
	options: ResolvedAsyncOptions,
	req: EnqueueRequest,
): Promise<Job> {
	const perFunction = await store.jobs.countQueued({
		accountId: req.accountId,
		functionName: req.functionName,
	});
	if (perFunction >= options.maxQueuedPerFunction)
		throw new SigilError(
			"FUNCTION_QUEUE_FULL",
			`Rate Exceeded. Function ${req.functionName} already has ${perFunction} asynchronous invocations waiting (bound ${options.maxQueuedPerFunction}); retry later.`,
		);
	const perAccount = await store.jobs.countQueued({
		accountId: req.accountId,
	});
	if (perAccount >= options.maxQueuedPerAccount)
		throw new SigilError(
			"FUNCTION_QUEUE_FULL",
			`Rate Exceeded. Account ${req.accountId} already has ${perAccount} asynchronous invocations waiting (bound ${options.maxQueuedPerAccount}); retry later.`,
		);
	try {
		return await store.jobs.enqueue({
			id: req.id,
			accountId: req.accountId,
			functionName: req.functionName,
			payload: req.payload,
			headers: encodeJobSpec(req.spec),
			maxAttempts: options.maxAttempts,
			callbackUrl: req.callbackUrl ?? null,
		});
	} catch (err) {
		if (isStoreError(err, "STORE_TOO_LARGE"))
			throw new SigilError("BODY_TOO_LARGE", (err as Error).message);
		throw err;
	}
}

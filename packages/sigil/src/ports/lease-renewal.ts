/**
 * Keeping a claimed job's lease alive while it runs: `extend` at a third of the lease, so two
 * renewals can be lost before the lease runs out. When the queue says the lease is gone
 * (`QUEUE_LEASE_LOST`) the returned signal aborts — another worker may be running the job, and the
 * worker should stop and not report a result. Other failures (a broker briefly away) are retried
 * at the next tick. A queue whose lease is fixed at claim time (`features.extendLease` false)
 * needs nothing: the renewal is then a no-op.
 */
import { type ClaimedJob, isQueueError, type JobQueue } from "./job-queue.ts";

export interface LeaseRenewal {
	/** Aborts when the lease was lost. */
	readonly signal: AbortSignal;
	/** Stops renewing (call it before completing or failing the job). */
	stop(): void;
}

export function keepLease(
	queue: JobQueue,
	job: ClaimedJob,
	options: {
		/** Renewal period (default a third of the lease the claim gave, at least 500 ms). */
		everyMs?: number;
		now?: () => number;
		onError?: (err: unknown) => void;
	} = {},
): LeaseRenewal {
	const abort = new AbortController();
	if (!queue.features.extendLease)
		return { signal: abort.signal, stop: () => {} };
	const now = options.now ?? Date.now;
	const every =
		options.everyMs ?? Math.max(500, Math.floor((job.leaseUntil - now()) / 3));
	let stopped = false;
	let busy = false;
	const timer = setInterval(() => {
		if (stopped || busy) return;
		busy = true;
		queue
			.extend(job.lease)
			.catch((err: unknown) => {
				if (stopped) return;
				if (
					isQueueError(err, "QUEUE_LEASE_LOST") ||
					isQueueError(err, "QUEUE_CLOSED")
				) {
					stopped = true;
					clearInterval(timer);
					abort.abort(err);
				} else options.onError?.(err);
			})
			.finally(() => {
				busy = false;
			});
	}, every);
	timer.unref();
	return {
		signal: abort.signal,
		stop() {
			stopped = true;
			clearInterval(timer);
		},
	};
}

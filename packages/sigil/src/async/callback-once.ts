/**
 * One callback per job, whichever gateway runs it and however often: the queue delivers a job at
 * least once (a worker that stalls past its lease, a gateway killed after the callback but before
 * its acknowledgement), and a second run must not POST the result a second time.
 *
 * Through the shared cache (Redis across gateways): a short lock per job serialises deliveries of
 * one job (two runs at once: the second waits for the first), and a "done" mark kept a day says
 * the callback was delivered. Left open: a gateway killed while its POST is in flight (after the
 * receiver got it, before the mark) delivers once more on the rerun — the POST's fate is unknown
 * to the sender, and losing a result is worse; receivers de-duplicate by `X-Call-Id`, the job id. While the cache is down the callback is sent unguarded: a duplicate is
 * better than a lost result, and the receiver's de-duplication still holds.
 */
import { isCacheError, type SharedCache } from "../ports/shared-cache.ts";
import type { JobCallback } from "../store/types.ts";

/**
 * The lock's lease, renewed every third of it while the POSTs run: a gateway killed mid-delivery
 * frees the job's lock within this long, so its rerun elsewhere does not wait for long.
 */
const LOCK_MS = 6_000;
/** How long a delivered callback is remembered (beyond the queue's redelivery window). */
const DONE_MS = 24 * 3600_000;
/** While another run holds the lock: how often to look again. */
const WAIT_STEP_MS = 200;

export type OnceOutcome =
	| { readonly sent: true; readonly callback: JobCallback }
	/** Another run of the job delivered it already: nothing was sent. */
	| { readonly sent: false };

export async function deliverCallbackOnce(
	cache: SharedCache,
	jobId: string,
	send: () => Promise<JobCallback>,
	log: (entry: Record<string, unknown>) => void,
): Promise<OnceOutcome> {
	const lockKey = `callback-lock:${jobId}`;
	const doneKey = `callback-done:${jobId}`;
	let lock: Awaited<ReturnType<SharedCache["acquireSlot"]>>;
	try {
		const giveUp = performance.now() + LOCK_MS + 5_000;
		for (;;) {
			if ((await cache.slotsHeld(doneKey)) > 0) return { sent: false };
			lock = await cache.acquireSlot(lockKey, 1, LOCK_MS);
			if (lock) break;
			// A holder that died gives the lock back after LOCK_MS; past that, send unguarded.
			if (performance.now() > giveUp) break;
			await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
		}
		// Done while this run waited for the lock.
		if (lock && (await cache.slotsHeld(doneKey)) > 0) {
			await cache.releaseSlot(lock);
			return { sent: false };
		}
	} catch (err) {
		if (!isCacheError(err)) throw err;
		log({
			at: "async",
			event: "callback-unguarded",
			job: jobId,
			error: err.message,
		});
		return { sent: true, callback: await send() };
	}
	// Renewed while the POSTs (and their retries) run; a renewal that fails leaves the lease to run out.
	let held = lock;
	const renew = setInterval(() => {
		if (!held) return;
		cache
			.renewSlot(held, LOCK_MS)
			.then((next) => {
				held = next;
			})
			.catch(() => {});
	}, LOCK_MS / 3);
	renew.unref();
	try {
		const callback = await send();
		if (callback.outcome === "delivered")
			await cache.acquireSlot(doneKey, 1, DONE_MS).catch((err: unknown) =>
				log({
					at: "async",
					event: "callback-mark-failed",
					job: jobId,
					error: (err as Error).message,
				}),
			);
		return { sent: true, callback };
	} finally {
		clearInterval(renew);
		if (held) await cache.releaseSlot(held).catch(() => {});
	}
}

/**
 * When to try a failed job again. Lambda retries an asynchronous invocation twice, waiting about
 * one minute and then two (Lambda Developer Guide, "Asynchronous invocation": error handling);
 * the same doubling from a configurable base, capped, with a little jitter so that a burst of
 * failures does not come back as a burst.
 */

export interface BackoffPolicy {
	/** Delay before the first retry. */
	readonly baseMs: number;
	/** No delay is longer than this. */
	readonly maxMs: number;
	/** Fraction of the delay added at random, 0–1 (default 0.1). */
	readonly jitter?: number;
}

/**
 * The delay after the `attempt`-th attempt failed (1-based): base, 2·base, 4·base, … ≤ max.
 * `random` is injectable so tests can pin it.
 */
export function retryDelayMs(
	attempt: number,
	policy: BackoffPolicy,
	random: () => number = Math.random,
): number {
	const exponent = Math.max(0, Math.min(attempt - 1, 30));
	const plain = Math.min(policy.baseMs * 2 ** exponent, policy.maxMs);
	const jitter = policy.jitter ?? 0.1;
	return Math.min(Math.round(plain * (1 + jitter * random())), policy.maxMs);
}

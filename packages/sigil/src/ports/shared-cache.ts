/**
 * The `SharedCache` port: short-lived state that every gateway of one installation must see
 * alike — webhook replay ids, rate-limit windows and reserved-concurrency slots. Nothing here is
 * durable state (that is the `Store`'s): losing the cache loses at most a window's worth of
 * replay protection and counting, never a deployment, a key or a job.
 *
 * Adapters: in memory (`memory-shared-cache.ts`, one gateway, the embedded default) and Redis
 * (`adapters/redis/`, many gateways). Every adapter passes `runSharedCacheContract`
 * (`test/ports-shared-cache-contract.ts`). All operations are asynchronous and atomic per key:
 * of two gateways racing on the same id, window or slot set, the outcome is one that some serial
 * order of the calls would give.
 */

/** The answer of a rate-limit check. */
export interface RateDecision {
	/** True when the call fits in the window; it has then been counted. */
	readonly allowed: boolean;
	/** Calls still allowed in the current window after this one (0 when refused). */
	readonly remaining: number;
	/**
	 * When refused: how long until the oldest counted call leaves the window and one more call
	 * would fit (ms, ≥ 1); 0 when allowed. What `Retry-After` is computed from.
	 */
	readonly retryAfterMs: number;
}

/** One reserved-concurrency slot, held until released or until its lease runs out. */
export interface SlotLease {
	/** The slot set (e.g. `fn:123456789012:hello`). */
	readonly key: string;
	/** Random per acquisition: releasing or renewing an expired lease never touches another's. */
	readonly token: string;
	/** When the lease runs out unless renewed (epoch ms, by the cache's clock). */
	readonly expiresAt: number;
}

export interface SharedCache {
	/**
	 * Records `id` under `scope` for `ttlMs` and resolves `true` if nobody had recorded it there
	 * within its TTL (a first sighting), else `false` (a replay). Of any number of concurrent
	 * calls with the same scope and id — on any gateway — exactly one resolves `true`.
	 */
	firstSighting(scope: string, id: string, ttlMs: number): Promise<boolean>;

	/**
	 * A sliding-window limit of `limit` calls per `windowMs` on `key`: counts this call and
	 * allows it when fewer than `limit` calls were counted in the last `windowMs`; a refused call
	 * is not counted. Atomic: concurrent calls never let more than `limit` through a window.
	 */
	rateLimit(
		key: string,
		limit: number,
		windowMs: number,
	): Promise<RateDecision>;

	/**
	 * Takes one of `limit` slots of `key` for `leaseMs`, or resolves `undefined` when all are
	 * held. A lease not renewed runs out by itself, so a gateway that dies holding slots gives
	 * them back after at most `leaseMs`.
	 */
	acquireSlot(
		key: string,
		limit: number,
		leaseMs: number,
	): Promise<SlotLease | undefined>;

	/**
	 * Extends a held lease by `leaseMs` from now; `undefined` when it had already run out (the
	 * slot may be someone else's by now: the caller must not count on it).
	 */
	renewSlot(lease: SlotLease, leaseMs: number): Promise<SlotLease | undefined>;

	/** Gives the slot back; a lease that already ran out is a no-op. */
	releaseSlot(lease: SlotLease): Promise<void>;

	/** Slots of `key` held now (expired leases not counted). */
	slotsHeld(key: string): Promise<number>;

	/** Resolves when the cache answers now; rejects with `CACHE_UNAVAILABLE` (for `/readyz`). */
	check(): Promise<void>;

	/** Releases connections and timers; later calls reject. */
	close(): Promise<void>;
}

export type CacheErrorCode =
	/** The engine behind the cache did not answer (down, restarting, unreachable). */
	| "CACHE_UNAVAILABLE"
	/** The cache client was closed. */
	| "CACHE_CLOSED";

/**
 * A cache operation that could not be carried out. The caller chooses what an outage means:
 * refuse (503) or admit without the check; the cache never answers "allowed" for it.
 */
export class CacheError extends Error {
	readonly code: CacheErrorCode;
	constructor(code: CacheErrorCode, message: string, options?: ErrorOptions) {
		super(message, options);
		this.name = "CacheError";
		this.code = code;
	}
}

export function isCacheError(
	err: unknown,
	code?: CacheErrorCode,
): err is CacheError {
	return err instanceof CacheError && (code === undefined || err.code === code);
}

/** Rejects arguments every adapter refuses alike (a programming error, not a runtime state). */
export function checkCacheArgs(
	what: string,
	values: Record<string, number | string>,
): void {
	for (const [name, value] of Object.entries(values)) {
		if (typeof value === "string") {
			if (value.length === 0 || value.length > 512)
				throw new RangeError(`${what}: ${name} must be 1–512 characters`);
		} else if (!Number.isInteger(value) || value < 1) {
			throw new RangeError(`${what}: ${name} must be a positive whole number`);
		}
	}
}

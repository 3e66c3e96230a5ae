/**
 * Remembers ids of accepted one-shot requests (webhook ids) until their tolerance window has
 * passed, so a captured request cannot be replayed inside it. The store decides (its replay log
 * survives restarts and is shared by every gateway on the database); a bounded memory in front
 * answers repeated replays without touching the database. The memory is only ever a shortcut to
 * "seen": forgetting an entry costs one store probe, never a replay.
 */
import { SigilError } from "../errors.ts";
import { isCacheError, type SharedCache } from "../ports/shared-cache.ts";
import type { ReplayLog } from "../store/store.ts";

export interface ReplayGuard {
	/**
	 * True the first time `id` is seen in `scope` before `expiresAt`; false for a replay.
	 * Resolves `true` only once the sighting is durable.
	 */
	firstSighting(
		scope: string,
		id: string,
		expiresAt: number,
		now?: number,
	): Promise<boolean>;
}

/** A bounded map of (scope, id) → end of window; when full, expired then oldest entries go. */
class SeenIds {
	readonly #seen = new Map<string, number>();
	readonly #max: number;

	constructor(max: number) {
		this.#max = max;
	}

	get size(): number {
		return this.#seen.size;
	}

	/** True when `key` is remembered with a window still open at `now`. */
	live(key: string, now: number): boolean {
		const until = this.#seen.get(key);
		return until !== undefined && until > now;
	}

	remember(key: string, expiresAt: number, now: number): void {
		if (this.#seen.size >= this.#max) this.#evict(now);
		this.#seen.delete(key); // re-insert at the end: Map order is the eviction order
		this.#seen.set(key, expiresAt);
	}

	#evict(now: number): void {
		for (const [key, until] of this.#seen)
			if (until <= now) this.#seen.delete(key);
		// Still full of live ids: drop the oldest insertions (Map order) to stay bounded.
		const excess = this.#seen.size - Math.floor(this.#max * 0.9);
		if (excess <= 0) return;
		let n = 0;
		for (const key of this.#seen.keys()) {
			if (n++ >= excess) break;
			this.#seen.delete(key);
		}
	}
}

/**
 * In memory only: what a test or a throwaway gateway may use. Forgets on restart, and when full
 * it forgets the oldest live ids, so it is not a defence across restarts.
 */
export class MemoryReplayGuard implements ReplayGuard {
	readonly #seen: SeenIds;

	constructor(max = 100_000) {
		this.#seen = new SeenIds(max);
	}

	async firstSighting(
		scope: string,
		id: string,
		expiresAt: number,
		now = Date.now(),
	): Promise<boolean> {
		const key = keyOf(scope, id);
		if (this.#seen.live(key, now)) return false;
		this.#seen.remember(key, expiresAt, now);
		return true;
	}
}

/** The store's replay log behind a memory of recent sightings. */
export class StoreReplayGuard implements ReplayGuard {
	readonly #log: ReplayLog;
	readonly #seen: SeenIds;

	constructor(log: ReplayLog, memory = 100_000) {
		this.#log = log;
		this.#seen = new SeenIds(memory);
	}

	async firstSighting(
		scope: string,
		id: string,
		expiresAt: number,
		now = Date.now(),
	): Promise<boolean> {
		const key = keyOf(scope, id);
		// Seen here already: a replay, answered without the database.
		if (this.#seen.live(key, now)) return false;
		const first = await this.#log.firstSighting(scope, id, expiresAt, now);
		// Either way the id is live now (ours, or an earlier sighting's, maybe at another gateway).
		this.#seen.remember(key, expiresAt, now);
		return first;
	}
}

/**
 * The shared cache decides (Redis `SET … NX PX` when several gateways share it): of any number
 * of deliveries of one id to any gateways at once, exactly one is first. No memory in front: a
 * local "seen" would be right, but the cache answers a replay as fast. While the cache is down
 * a delivery is refused with 503 (`ENGINE_UNAVAILABLE`), never let through unchecked.
 */
export class SharedCacheReplayGuard implements ReplayGuard {
	readonly #cache: SharedCache;

	constructor(cache: SharedCache) {
		this.#cache = cache;
	}

	async firstSighting(
		scope: string,
		id: string,
		expiresAt: number,
		now = Date.now(),
	): Promise<boolean> {
		// The window is kept whole: an id past its window is refused by the timestamp check anyway.
		const ttlMs = Math.max(1, Math.ceil(expiresAt - now));
		try {
			return await this.#cache.firstSighting(scope, id, ttlMs);
		} catch (err) {
			if (isCacheError(err))
				throw new SigilError(
					"ENGINE_UNAVAILABLE",
					"the replay check could not be made (the shared cache did not answer); the delivery was not accepted: retry it",
				);
			throw err;
		}
	}
}

function keyOf(scope: string, id: string): string {
	// A webhook id is printable ASCII (no NUL), so the separator cannot be forged from either side.
	return `${scope}\0${id}`;
}

/**
 * Remembers ids of accepted one-shot requests (webhook ids) until their tolerance window has
 * passed, so a captured request cannot be replayed inside it. Bounded: when full, the entries
 * closest to expiry go first. One gateway keeps it in memory; several share it through Redis.
 */
export interface ReplayGuard {
	/** True the first time `id` is seen before `expiresAt`; false for a replay. */
	firstSighting(id: string, expiresAt: number, now?: number): boolean;
}

export class MemoryReplayGuard implements ReplayGuard {
	readonly #seen = new Map<string, number>();
	readonly #max: number;

	constructor(max = 100_000) {
		this.#max = max;
	}

	firstSighting(id: string, expiresAt: number, now = Date.now()): boolean {
		const until = this.#seen.get(id);
		if (until !== undefined && until > now) return false;
		if (this.#seen.size >= this.#max) this.#evict(now);
		this.#seen.set(id, expiresAt);
		return true;
	}

	#evict(now: number): void {
		for (const [id, until] of this.#seen)
			if (until <= now) this.#seen.delete(id);
		// Still full of live ids: drop the oldest insertions (Map order) to stay bounded.
		const excess = this.#seen.size - Math.floor(this.#max * 0.9);
		if (excess <= 0) return;
		let n = 0;
		for (const id of this.#seen.keys()) {
			if (n++ >= excess) break;
			this.#seen.delete(id);
		}
	}
}

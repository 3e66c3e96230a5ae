/**
 * The read-through cache in front of the store's hot lookups (access keys, trigger secrets): an
 * answer is kept for `ttlMs`, "there is none" for the shorter `negativeTtlMs` (so random names
 * cannot turn into a store read each, nor a just-created object stay unseen for long), at most
 * `max` entries, the oldest insertion dropped first.
 *
 * Invalidation wins over a read in flight: a load that started before an invalidation does not
 * put what it read back into the cache after it (its caller still gets the answer it read).
 */
interface Entry<V> {
	readonly value: V | undefined;
	readonly until: number;
}

export interface TtlCacheOptions {
	readonly ttlMs?: number;
	readonly negativeTtlMs?: number;
	readonly max?: number;
}

export class TtlCache<V> {
	readonly #ttlMs: number;
	readonly #negativeTtlMs: number;
	readonly #max: number;
	readonly #entries = new Map<string, Entry<V>>();
	#generation = 0;

	constructor(opts: TtlCacheOptions = {}) {
		this.#ttlMs = opts.ttlMs ?? 5_000;
		this.#negativeTtlMs = opts.negativeTtlMs ?? 1_000;
		this.#max = opts.max ?? 10_000;
	}

	/** The cached answer for `key`, else `load()`'s, remembered. */
	async get(
		key: string,
		now: number,
		load: () => Promise<V | undefined>,
	): Promise<V | undefined> {
		const hit = this.#entries.get(key);
		if (hit !== undefined && hit.until > now) return hit.value;
		const generation = this.#generation;
		const value = await load();
		if (generation !== this.#generation) return value;
		if (this.#entries.size >= this.#max) {
			// Drop the oldest insertion: a Map iterates in insertion order.
			const oldest = this.#entries.keys().next().value;
			if (oldest !== undefined) this.#entries.delete(oldest);
		}
		this.#entries.delete(key);
		this.#entries.set(key, {
			value,
			until: now + (value !== undefined ? this.#ttlMs : this.#negativeTtlMs),
		});
		return value;
	}

	/** Drops one key's answer, or every answer without a key. */
	invalidate(key?: string): void {
		this.#generation++;
		if (key === undefined) this.#entries.clear();
		else this.#entries.delete(key);
	}
}

/**
 * The secrets `hmac` and `webhook` triggers verify with, kept in memory. Read from the store on
 * every request they cost an indexed read, a comparison with the decrypt cache and a copy: ~12 µs
 * of a payload-HMAC invocation's ~120 (`BENCH_PROFILE_CASE=hmac.GET npm run bench:gateway`).
 *
 * Like the access-key cache (credentials.ts): a put or delete on this gateway drops the entry at
 * once (the change feed announces every secret write, this gateway's own included), another
 * gateway's within the TTL at the latest; a name with no secret is remembered briefly, so a
 * trigger naming a missing secret cannot turn each request into a store read. The values are
 * the plaintexts the verifier needs anyway; they are never logged, and the cache is bounded.
 */
import type { Store } from "../store/store.ts";

interface Entry {
	readonly value: Buffer | undefined;
	readonly until: number;
}

export class TriggerSecretCache {
	readonly #store: Store;
	readonly #ttlMs: number;
	readonly #negativeTtlMs: number;
	readonly #max: number;
	readonly #entries = new Map<string, Entry>();
	/**
	 * Bumped by every invalidation: a read that began before a put was announced must not put
	 * the old value back after the invalidation dropped it.
	 */
	#generation = 0;

	constructor(
		store: Store,
		opts: { ttlMs?: number; negativeTtlMs?: number; max?: number } = {},
	) {
		this.#store = store;
		this.#ttlMs = opts.ttlMs ?? 5_000;
		this.#negativeTtlMs = opts.negativeTtlMs ?? 1_000;
		this.#max = opts.max ?? 10_000;
	}

	/** The secret's value (read-only: shared by every request), undefined when there is none. */
	async get(
		accountId: string,
		name: string,
		now = Date.now(),
	): Promise<Buffer | undefined> {
		const id = `${accountId}\0${name}`;
		const hit = this.#entries.get(id);
		if (hit !== undefined && hit.until > now) return hit.value;
		const generation = this.#generation;
		const value = await this.#store.secrets.get(accountId, name);
		if (generation !== this.#generation) return value;
		if (this.#entries.size >= this.#max) {
			// Drop the oldest insertion: a Map iterates in insertion order.
			const oldest = this.#entries.keys().next().value;
			if (oldest !== undefined) this.#entries.delete(oldest);
		}
		this.#entries.delete(id);
		this.#entries.set(id, {
			value,
			until: now + (value !== undefined ? this.#ttlMs : this.#negativeTtlMs),
		});
		return value;
	}

	/** Drops one secret's entry, or every entry without arguments. */
	invalidate(accountId?: string, name?: string): void {
		this.#generation++;
		if (accountId === undefined || name === undefined) this.#entries.clear();
		else this.#entries.delete(`${accountId}\0${name}`);
	}
}

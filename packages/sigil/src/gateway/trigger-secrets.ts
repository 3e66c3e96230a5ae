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
import { TtlCache, type TtlCacheOptions } from "./ttl-cache.ts";

export class TriggerSecretCache {
	readonly #store: Store;
	readonly #cache: TtlCache<Buffer>;

	constructor(store: Store, opts: TtlCacheOptions = {}) {
		this.#store = store;
		this.#cache = new TtlCache(opts);
	}

	/** The secret's value (read-only: shared by every request), undefined when there is none. */
	get(
		accountId: string,
		name: string,
		now = Date.now(),
	): Promise<Buffer | undefined> {
		return this.#cache.get(`${accountId}\0${name}`, now, () =>
			this.#store.secrets.get(accountId, name),
		);
	}

	/** Drops one secret's entry, or every entry without arguments. */
	invalidate(accountId?: string, name?: string): void {
		this.#cache.invalidate(
			accountId === undefined || name === undefined
				? undefined
				: `${accountId}\0${name}`,
		);
	}
}

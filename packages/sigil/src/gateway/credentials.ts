/**
 * Access-key lookups for the verifiers. The store's `get` is one indexed read plus one
 * decryption; a short-lived in-memory cache in front of it keeps that off the hot path. The TTL
 * bounds how long another gateway's "disable" can take to bite here; this gateway's own
 * changes invalidate at once. Unknown ids are cached briefly too, so random key ids cannot turn
 * into a database read each.
 */
import type { Store } from "../store/store.ts";
import type { AccessKeyWithSecret } from "../store/types.ts";
import type { Principal } from "./exchange.ts";

export interface ResolvedKey {
	readonly key: AccessKeyWithSecret;
	/** The identity the key stands for, without the scheme (filled in by the verifier). */
	readonly identity: Omit<Principal, "scheme">;
}

interface Entry {
	readonly value: ResolvedKey | undefined;
	readonly until: number;
}

export class CredentialCache {
	readonly #store: Store;
	readonly #ttlMs: number;
	readonly #negativeTtlMs: number;
	readonly #max: number;
	readonly #entries = new Map<string, Entry>();

	constructor(
		store: Store,
		opts: { ttlMs?: number; negativeTtlMs?: number; max?: number } = {},
	) {
		this.#store = store;
		this.#ttlMs = opts.ttlMs ?? 5_000;
		this.#negativeTtlMs = opts.negativeTtlMs ?? 1_000;
		this.#max = opts.max ?? 10_000;
	}

	async get(
		accessKeyId: string,
		now = Date.now(),
	): Promise<ResolvedKey | undefined> {
		const hit = this.#entries.get(accessKeyId);
		if (hit && hit.until > now) return hit.value;
		const key = await this.#store.accessKeys.get(accessKeyId);
		const value = key ? await this.#identityOf(key) : undefined;
		if (this.#entries.size >= this.#max) {
			// Drop the oldest insertion: a Map iterates in insertion order.
			const oldest = this.#entries.keys().next().value;
			if (oldest !== undefined) this.#entries.delete(oldest);
		}
		this.#entries.delete(accessKeyId);
		this.#entries.set(accessKeyId, {
			value,
			until: now + (value ? this.#ttlMs : this.#negativeTtlMs),
		});
		return value;
	}

	invalidate(accessKeyId?: string): void {
		if (accessKeyId === undefined) this.#entries.clear();
		else this.#entries.delete(accessKeyId);
	}

	async #identityOf(
		key: AccessKeyWithSecret,
	): Promise<ResolvedKey | undefined> {
		if (key.userName === null) {
			return {
				key,
				identity: {
					accountId: key.accountId,
					arn: `arn:aws:iam::${key.accountId}:root`,
					userId: key.accountId,
					accessKeyId: key.accessKeyId,
				},
			};
		}
		const user = await this.#store.users.get(key.accountId, key.userName);
		if (!user) return undefined;
		return {
			key,
			identity: {
				accountId: key.accountId,
				arn: user.arn,
				userId: user.userId,
				accessKeyId: key.accessKeyId,
				userName: user.userName,
			},
		};
	}
}

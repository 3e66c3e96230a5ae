/**
 * Access-key lookups for the verifiers. The store's `get` is one indexed read plus one
 * decryption; a short-lived in-memory cache in front of it keeps that off the hot path. The TTL
 * bounds how long another gateway's "disable" can take to bite here; this gateway's own
 * changes invalidate at once. Unknown ids are cached briefly too, so random key ids cannot turn
 * into a database read each.
 *
 * The same cache answers, for every use of an STS session, whether the session's principal
 * still exists under the unique id the token was sealed with (`sessionPrincipalExists`).
 */
import type { SessionPrincipal } from "../iam/session-token.ts";
import type { Store } from "../store/store.ts";
import type { AccessKeyWithSecret } from "../store/types.ts";
import type { Principal } from "./exchange.ts";
import { TtlCache } from "./ttl-cache.ts";

export interface ResolvedKey {
	readonly key: AccessKeyWithSecret;
	/** The identity the key stands for, without the scheme (filled in by the verifier). */
	readonly identity: Omit<Principal, "scheme">;
}

interface PrincipalEntry {
	readonly exists: boolean;
	readonly until: number;
}

/** Distinct ids remembered per name; past this the name's answers are simply re-read. */
const IDS_PER_NAME = 8;

export class CredentialCache {
	readonly #store: Store;
	readonly #ttlMs: number;
	readonly #max: number;
	readonly #keys: TtlCache<ResolvedKey>;
	/**
	 * `kind:account:name` → (unique id → does that id stand behind the name?). Keyed by the id
	 * the token claims, so a namesake's new sessions never meet an answer cached for the old
	 * principal, and deleting a name drops every answer about it in one step.
	 */
	readonly #principals = new Map<string, Map<string, PrincipalEntry>>();
	/**
	 * Bumped by every invalidation: a lookup that read the store before a delete invalidated
	 * must not put its "still exists" back into the cache after it.
	 */
	#principalGeneration = 0;

	constructor(
		store: Store,
		opts: { ttlMs?: number; negativeTtlMs?: number; max?: number } = {},
	) {
		this.#store = store;
		this.#ttlMs = opts.ttlMs ?? 5_000;
		this.#max = opts.max ?? 10_000;
		this.#keys = new TtlCache({ ...opts, ttlMs: this.#ttlMs, max: this.#max });
	}

	get(accessKeyId: string, now = Date.now()): Promise<ResolvedKey | undefined> {
		return this.#keys.get(accessKeyId, now, async () => {
			const key = await this.#store.accessKeys.get(accessKeyId);
			return key ? await this.#identityOf(key) : undefined;
		});
	}

	/** Without an id: drops every cached key and every cached session-principal answer. */
	invalidate(accessKeyId?: string): void {
		this.#keys.invalidate(accessKeyId);
		if (accessKeyId === undefined) {
			this.#principals.clear();
			this.#principalGeneration++;
		}
	}

	/**
	 * Drops what is cached about one user or role, so its sessions are refused at once once it
	 * is deleted (a role's delete must call this; a user's delete clears everything through
	 * `invalidate()`).
	 */
	invalidatePrincipal(
		accountId: string,
		kind: "user" | "role" | "account",
		name: string,
	): void {
		this.#principals.delete(`${kind}:${accountId}:${name}`);
		this.#principalGeneration++;
	}

	/**
	 * Whether the principal a session was issued to still exists with the same unique id: a
	 * user or role deleted, or deleted and re-created under the same name, ends the session.
	 * Both answers are cached for the TTL: a "no" is final (ids are never reused), a "yes" is
	 * dropped at once by this gateway's delete and within the TTL after another gateway's.
	 */
	async sessionPrincipalExists(
		p: SessionPrincipal,
		now = Date.now(),
	): Promise<boolean> {
		const nameKey = `${p.kind}:${p.accountId}:${p.name}`;
		const ids = this.#principals.get(nameKey);
		const hit = ids?.get(p.principalId);
		if (hit && hit.until > now) return hit.exists;
		const generation = this.#principalGeneration;
		const exists = (await this.#currentId(p)) === p.principalId;
		if (generation !== this.#principalGeneration) return exists;
		let byId = this.#principals.get(nameKey);
		if (!byId || byId.size >= IDS_PER_NAME) {
			if (!byId && this.#principals.size >= this.#max) {
				const oldest = this.#principals.keys().next().value;
				if (oldest !== undefined) this.#principals.delete(oldest);
			}
			byId = new Map();
			this.#principals.set(nameKey, byId);
		}
		byId.set(p.principalId, { exists, until: now + this.#ttlMs });
		return exists;
	}

	async #currentId(p: SessionPrincipal): Promise<string | undefined> {
		switch (p.kind) {
			case "user":
				return (await this.#store.users.get(p.accountId, p.name))?.userId;
			case "role":
				return (await this.#store.roles.get(p.accountId, p.name))?.roleId;
			case "account":
				return (await this.#store.accounts.get(p.accountId))?.accountId;
		}
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

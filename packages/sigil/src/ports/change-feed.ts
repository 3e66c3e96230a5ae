/**
 * The `ChangeFeed` port: what changed in the shared state, so each gateway drops what it cached
 * (a function's live revision, a key, a principal's policies, a secret) instead of serving a stale
 * copy. A change names the object, never its content: `{ kind, accountId, name }`; the consumer
 * re-reads the store.
 *
 * Delivery is best effort and at most once per subscriber: a PostgreSQL NOTIFY sent while a
 * gateway's listening connection is down is lost. So every adapter also signals *reconcile* (after
 * a reconnect, or whenever it cannot vouch for having seen everything), and a consumer must treat
 * that as "reload everything you cache". A consumer subscribes before its first load, so nothing
 * published between the load and the subscription is missed.
 *
 * Adapters: `MemoryChangeFeed` (memory-change-feed.ts, one gateway) and PostgreSQL LISTEN/NOTIFY
 * (store/postgres/change-feed.ts). Contract: test/ports-change-feed-contract.ts. Not wired into
 * the gateway yet: the composition root (startGateway) is separate work.
 */
import { StoreError } from "../store/errors.ts";
import { ACCOUNT_ID } from "../store/ids.ts";

/**
 * What kind of object changed, and what `name` then names:
 * - `function`: a function (deploy, config, resource policy, delete) — its name;
 * - `access-key`: a key (created, status, deleted) — its access key id;
 * - `user`, `role`: a principal (created, trust policy, tags, permissions boundary, deleted) —
 *   its name;
 * - `group`: a group (created, members added or removed, deleted) — its name;
 * - `policy`: the identity policies of a user, role or group (inline put/delete, managed
 *   attach/detach) — `user/NAME`, `role/NAME` or `group/NAME`;
 * - `managed-policy`: a managed policy (default version, delete) — its name;
 * - `secret`: a named secret — its name;
 * - `account`: an account — its id.
 */
export const CHANGE_KINDS = [
	"function",
	"access-key",
	"user",
	"role",
	"group",
	"policy",
	"managed-policy",
	"secret",
	"account",
] as const;

export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface Change {
	readonly kind: ChangeKind;
	readonly accountId: string;
	readonly name: string;
}

export type ChangeListener = (change: Change) => void;
/** `reason` says why (e.g. "reconnected after 1.2 s"): for logs, not for branching. */
export type ReconcileListener = (reason: string) => void;

export interface ChangeFeed {
	/** Sends `change` to every subscriber of every gateway on the feed, this one's included. */
	publish(change: Change): Promise<void>;
	/** Calls `listener` for each change from now on; returns the unsubscribe function. */
	subscribe(listener: ChangeListener): () => void;
	/** Calls `listener` whenever changes may have been missed: reload everything. Returns the unsubscribe function. */
	onReconcile(listener: ReconcileListener): () => void;
	/** Stops delivery and releases connections; `publish` then rejects with `STORE_CLOSED`. */
	close(): Promise<void>;
}

/** Longest `name` a change carries (a NOTIFY payload is bounded at 8000 bytes). */
export const MAX_CHANGE_NAME = 512;

const KINDS = new Set<string>(CHANGE_KINDS);

/** The change, checked and reduced to its three fields; `STORE_INVALID` otherwise. */
export function checkChange(change: unknown): Change {
	const c = change as Partial<Change> | null;
	if (c === null || typeof c !== "object" || !KINDS.has(c.kind as string))
		throw new StoreError(
			"STORE_INVALID",
			`a change's kind must be one of ${CHANGE_KINDS.join(", ")}`,
		);
	if (typeof c.accountId !== "string" || !ACCOUNT_ID.test(c.accountId))
		throw new StoreError(
			"STORE_INVALID",
			"a change's accountId must be 12 digits",
		);
	if (
		typeof c.name !== "string" ||
		c.name.length === 0 ||
		c.name.length > MAX_CHANGE_NAME
	)
		throw new StoreError(
			"STORE_INVALID",
			`a change's name must be 1 to ${MAX_CHANGE_NAME} characters`,
		);
	return { kind: c.kind as ChangeKind, accountId: c.accountId, name: c.name };
}

/**
 * The listeners of one feed, shared by the adapters: each is called on its own, so one that
 * throws neither stops the others nor the feed (its error goes to `onError`).
 */
export class Listeners {
	readonly #changes = new Set<ChangeListener>();
	readonly #reconcile = new Set<ReconcileListener>();
	readonly #onError: (err: unknown) => void;

	constructor(onError: (err: unknown) => void) {
		this.#onError = onError;
	}

	subscribe(listener: ChangeListener): () => void {
		// A wrapper per subscription: subscribing one function twice makes two subscriptions.
		const entry: ChangeListener = (c) => listener(c);
		this.#changes.add(entry);
		return () => {
			this.#changes.delete(entry);
		};
	}

	onReconcile(listener: ReconcileListener): () => void {
		const entry: ReconcileListener = (r) => listener(r);
		this.#reconcile.add(entry);
		return () => {
			this.#reconcile.delete(entry);
		};
	}

	emitChange(change: Change): void {
		for (const listener of [...this.#changes]) {
			try {
				listener(change);
			} catch (err) {
				this.#onError(err);
			}
		}
	}

	emitReconcile(reason: string): void {
		for (const listener of [...this.#reconcile]) {
			try {
				listener(reason);
			} catch (err) {
				this.#onError(err);
			}
		}
	}

	clear(): void {
		this.#changes.clear();
		this.#reconcile.clear();
	}
}

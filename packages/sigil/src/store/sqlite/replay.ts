/**
 * The replay log in SQLite: one row per accepted one-shot id (`replay_ids`), keyed by (scope, id),
 * with the end of its tolerance window. A sighting is a single upsert, so two gateways (or two
 * requests) racing with one id get exactly one `true` from the database itself; expired rows are
 * pruned in passing and a bound on live rows keeps the table from growing without limit.
 */
import { StoreError } from "../errors.ts";
import type { ReplayLog } from "../store.ts";
import type { Db } from "./db.ts";

/** Longest scope and id accepted (a Standard Webhooks id is at most 256 characters). */
const MAX_KEY_CHARS = 512;

export interface ReplayLogOptions {
	/** Live ids kept at most; beyond it sightings are refused (default 1,000,000). */
	readonly maxLive?: number;
	/** How often expired ids are deleted in passing, at most (default 60 s). */
	readonly pruneEveryMs?: number;
}

export class SqliteReplayLog implements ReplayLog {
	readonly #db: Db;
	readonly #maxLive: number;
	readonly #pruneEveryMs: number;
	#lastPrune = Number.NEGATIVE_INFINITY;
	/** Rows at the last prune plus the sightings since: an upper bound of live rows, no count(*). */
	#rows: number | undefined;

	constructor(db: Db, options: ReplayLogOptions = {}) {
		this.#db = db;
		this.#maxLive = options.maxLive ?? 1_000_000;
		this.#pruneEveryMs = options.pruneEveryMs ?? 60_000;
	}

	async firstSighting(
		scope: string,
		id: string,
		expiresAt: number,
		now: number,
	): Promise<boolean> {
		if (
			scope.length === 0 ||
			id.length === 0 ||
			scope.length > MAX_KEY_CHARS ||
			id.length > MAX_KEY_CHARS
		)
			throw new StoreError(
				"STORE_INVALID",
				`a replay scope and id must be 1 to ${MAX_KEY_CHARS} characters`,
			);
		if (now - this.#lastPrune >= this.#pruneEveryMs) this.#prune(now);
		if ((this.#rows ?? 0) >= this.#maxLive) {
			// Full of live ids: prune now (another gateway may have), and refuse rather than forget
			// an id that is still inside its window — forgetting would reopen the replay.
			this.#prune(now, true);
			if ((this.#rows ?? 0) >= this.#maxLive)
				throw new StoreError(
					"STORE_TOO_LARGE",
					`the replay log holds ${this.#maxLive} ids still inside their window; new one-shot requests are refused until some expire`,
				);
		}
		// Insert, or take over a row whose window has passed; a live row is left alone (0 changes).
		const changed = this.#db.do(() =>
			this.#db.run(
				`INSERT INTO replay_ids (scope, id, expires_at) VALUES (?, ?, ?)
				 ON CONFLICT (scope, id) DO UPDATE SET expires_at = excluded.expires_at
				 WHERE replay_ids.expires_at <= ?`,
				scope,
				id,
				expiresAt,
				now,
			),
		);
		if (changed > 0) this.#rows = (this.#rows ?? 0) + 1;
		return changed > 0;
	}

	async prune(now: number): Promise<number> {
		return this.#prune(now, true);
	}

	/**
	 * Deletes expired rows (an index range on `expires_at`). The live-row estimate is counted
	 * exactly at the first prune and when the bound is reached; in between it is adjusted, since
	 * count(*) over a large table would hold the event loop for every periodic prune.
	 */
	#prune(now: number, recount = this.#rows === undefined): number {
		this.#lastPrune = now;
		return this.#db.do(() => {
			const n = this.#db.run(
				"DELETE FROM replay_ids WHERE expires_at <= ?",
				now,
			);
			this.#rows = recount
				? (this.#db.one<{ n: number }>("SELECT count(*) AS n FROM replay_ids")
						?.n ?? 0)
				: Math.max(0, (this.#rows ?? 0) - n);
			return n;
		});
	}
}

/**
 * The replay log in PostgreSQL: one row per accepted one-shot id, keyed by (scope, id), with the
 * end of its window. A sighting is one `INSERT … ON CONFLICT DO UPDATE … WHERE expired`: the
 * unique index decides between gateways (a concurrent insert of the same key waits for the first
 * and then sees its row), and only a row whose window has passed is taken over.
 */
import { StoreError } from "../errors.ts";
import type { ReplayLogOptions } from "../sqlite/replay.ts";
import type { ReplayLog } from "../store.ts";
import type { PgDb } from "./db.ts";

/** Longest scope and id accepted (a Standard Webhooks id is at most 256 characters). */
const MAX_KEY_CHARS = 512;

export class PgReplayLog implements ReplayLog {
	readonly #db: PgDb;
	readonly #maxLive: number;
	readonly #pruneEveryMs: number;
	#lastPrune = Number.NEGATIVE_INFINITY;
	/** Rows at the last prune plus this gateway's sightings since: an estimate, recounted at the bound. */
	#rows: number | undefined;

	constructor(db: PgDb, options: ReplayLogOptions = {}) {
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
			typeof scope !== "string" ||
			typeof id !== "string" ||
			scope.length === 0 ||
			id.length === 0 ||
			scope.length > MAX_KEY_CHARS ||
			id.length > MAX_KEY_CHARS
		)
			throw new StoreError(
				"STORE_INVALID",
				`a replay scope and id must be 1 to ${MAX_KEY_CHARS} characters`,
			);
		if (now - this.#lastPrune >= this.#pruneEveryMs) await this.#prune(now);
		if ((this.#rows ?? 0) >= this.#maxLive) {
			// Full of live ids: recount (other gateways prune too), and refuse rather than forget an
			// id still inside its window — forgetting would reopen the replay.
			await this.#prune(now, true);
			if ((this.#rows ?? 0) >= this.#maxLive)
				throw new StoreError(
					"STORE_TOO_LARGE",
					`the replay log holds ${this.#maxLive} ids still inside their window; new one-shot requests are refused until some expire`,
				);
		}
		const { rowCount } = await this.#db.query(
			`INSERT INTO replay_ids (scope, id, expires_at) VALUES ($1, $2, $3)
			 ON CONFLICT (scope, id) DO UPDATE SET expires_at = excluded.expires_at
			 WHERE replay_ids.expires_at <= $4`,
			[scope, id, expiresAt, now],
		);
		if (rowCount > 0) this.#rows = (this.#rows ?? 0) + 1;
		return rowCount > 0;
	}

	async prune(now: number): Promise<number> {
		return this.#prune(now, true);
	}

	async #prune(
		now: number,
		recount = this.#rows === undefined,
	): Promise<number> {
		this.#lastPrune = now;
		const { rowCount } = await this.#db.query(
			"DELETE FROM replay_ids WHERE expires_at <= $1",
			[now],
		);
		this.#rows = recount
			? ((
					await this.#db.one<{ n: number }>(
						"SELECT count(*)::int AS n FROM replay_ids",
					)
				)?.n ?? 0)
			: Math.max(0, (this.#rows ?? 0) - rowCount);
		return rowCount;
	}
}

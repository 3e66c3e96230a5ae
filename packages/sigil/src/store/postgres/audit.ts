/**
 * Invocation and audit records in PostgreSQL. `append` only buffers; the write-behind writer
 * inserts the buffer as one multi-row `INSERT … SELECT FROM unnest(…)` every ~20 ms (or at once
 * when 200 records wait), then prunes each account that has grown by a hundredth of its retention
 * since its last prune. Committed before `flush` resolves; `close` flushes. Batches of all
 * gateways commit in id order (an advisory lock), so a follow cursor never skips a record.
 */

import { isStoreError, StoreError } from "../errors.ts";
import { MAX_DETAIL_BYTES } from "../limits.ts";
import { boundLogs } from "../sqlite/audit.ts";
import type { AuditLog, AuditQuery } from "../store.ts";
import type { AuditInput, AuditRecord } from "../types.ts";
import { type PgDb, pgText, type Queryable, translate } from "./db.ts";

const FLUSH_AT = 200;
/** Serialises audit inserts of one schema across gateways (see `writeBuffered`). */
export const AUDIT_LOCK =
	"SELECT pg_advisory_xact_lock(1397311308, hashtext(current_database() || '.' || current_schema() || '.audit'))";
/** Records held while PostgreSQL is unreachable, at most (the oldest go first beyond it). */
const MAX_BUFFERED = 10_000;

/** Retention beyond the record count: by age and by bytes per account (as the SQLite store). */
export interface AuditBounds {
	readonly maxAgeMs?: number;
	readonly maxBytes?: number;
	readonly now?: () => number;
}

interface Pending {
	request_id: string;
	time: number;
	account_id: string;
	function_name: string | null;
	principal_arn: string | null;
	access_key_id: string | null;
	scheme: string;
	outcome: string;
	http_status: number;
	duration_ms: number;
	detail: string;
	logs: string;
}

interface AuditRow extends Pending {
	[key: string]: unknown;
	id: number;
}

const COLUMNS =
	"request_id, time, account_id, function_name, principal_arn, access_key_id, scheme, outcome, http_status, duration_ms, detail, logs";

function serializeDetail(detail: unknown): string {
	const text = JSON.stringify(detail ?? null) ?? "null";
	return text.length > MAX_DETAIL_BYTES
		? JSON.stringify({ truncated: true, bytes: text.length })
		: text;
}

function toRecord(row: AuditRow): AuditRecord {
	return {
		id: row.id,
		requestId: row.request_id,
		time: row.time,
		accountId: row.account_id,
		functionName: row.function_name,
		principalArn: row.principal_arn,
		accessKeyId: row.access_key_id,
		scheme: row.scheme,
		outcome: row.outcome,
		httpStatus: row.http_status,
		durationMs: row.duration_ms,
		detail: JSON.parse(row.detail) as unknown,
		logs: row.logs,
	};
}

export class PgAudit implements AuditLog {
	readonly #db: PgDb;
	readonly #retention: number;
	readonly #pruneEvery: number;
	readonly #flushAll: () => Promise<void>;
	readonly #poke: () => void;
	readonly #flushSoon: () => void;
	#buffer: Pending[] = [];
	/** Records dropped since the last report (a full buffer, or a batch the server refused). */
	#dropped = 0;
	readonly #onDrop: (count: number) => void;
	readonly #sincePrune = new Map<string, number>();
	/** Bytes (logs and detail) appended per account since its last prune. */
	readonly #bytesSincePrune = new Map<string, number>();
	readonly #bounds: AuditBounds;

	/**
	 * @param flushAll writes every buffered thing of the store (this buffer and key uses).
	 * @param poke schedules `flushAll` on the write-behind timer.
	 * @param flushSoon starts `flushAll` now without waiting (its failure goes where the timer's go).
	 */
	constructor(
		db: PgDb,
		retention: number,
		flushAll: () => Promise<void>,
		poke: () => void,
		flushSoon: () => void,
		onDrop: (count: number) => void = () => {},
		bounds: AuditBounds = {},
	) {
		this.#bounds = bounds;
		this.#db = db;
		this.#retention = retention;
		this.#pruneEvery = Math.max(1, Math.floor(retention / 100));
		this.#flushAll = flushAll;
		this.#poke = poke;
		this.#flushSoon = flushSoon;
		this.#onDrop = onDrop;
	}

	async append(record: AuditInput): Promise<void> {
		if (this.#db.closed)
			throw new StoreError("STORE_CLOSED", "the store is closed");
		if (
			typeof record.accountId !== "string" ||
			typeof record.requestId !== "string"
		) {
			throw new StoreError(
				"STORE_INVALID",
				"an audit record needs a requestId and an accountId",
			);
		}
		this.#buffer.push({
			request_id: pgText(record.requestId),
			time: record.time,
			account_id: pgText(record.accountId),
			function_name: pgText(record.functionName ?? null),
			principal_arn: pgText(record.principalArn ?? null),
			access_key_id: pgText(record.accessKeyId ?? null),
			scheme: pgText(String(record.scheme)),
			outcome: pgText(String(record.outcome)),
			http_status: record.httpStatus,
			duration_ms: record.durationMs,
			// JSON.stringify writes a NUL inside a string as \u0000, which PostgreSQL's TEXT takes.
			detail: serializeDetail(record.detail),
			logs: pgText(boundLogs(record.logs ?? "")),
		});
		if (this.#buffer.length > MAX_BUFFERED) {
			// PostgreSQL unreachable for long: keep the newest records, say how many were dropped.
			const dropped = this.#buffer.length - MAX_BUFFERED;
			this.#buffer.splice(0, dropped);
			this.#dropped += dropped;
		}
		// The request does not wait for the batch; a failed batch reaches onBackgroundError.
		if (this.#buffer.length >= FLUSH_AT) this.#flushSoon();
		else this.#poke();
	}

	hasBuffered(): boolean {
		return this.#buffer.length > 0;
	}

	/** Inserts the buffer in one statement; called inside the write-behind transaction. */
	async writeBuffered(q: Queryable): Promise<void> {
		if (this.#buffer.length === 0) return;
		const batch = this.#buffer;
		this.#buffer = [];
		try {
			// Batches of every gateway take their ids one after another, each holding this lock
			// until it commits: ids become visible in order, so a reader's cursor (`after`) never
			// passes an id that commits later. A batch waits for at most one other's commit.
			await q.query(AUDIT_LOCK);
			const col = <K extends keyof Pending>(k: K) => batch.map((r) => r[k]);
			await q.query(
				`INSERT INTO audit (${COLUMNS})
				 SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::float8[], $11::text[], $12::text[])`,
				[
					col("request_id"),
					col("time"),
					col("account_id"),
					col("function_name"),
					col("principal_arn"),
					col("access_key_id"),
					col("scheme"),
					col("outcome"),
					col("http_status"),
					col("duration_ms"),
					col("detail"),
					col("logs"),
				],
			);
		} catch (err) {
			// The server was unreachable or busy: keep the records for the next batch (ahead of
			// newer ones). Anything else would fail again forever: drop the batch and say so.
			if (isStoreError(translate(err, "the server"), "STORE_BUSY"))
				this.#buffer = batch.concat(this.#buffer);
			else this.#dropped += batch.length;
			throw err;
		}
		if (this.#dropped > 0) {
			const dropped = this.#dropped;
			this.#dropped = 0;
			this.#onDrop(dropped);
		}
		for (const r of batch) {
			this.#sincePrune.set(
				r.account_id,
				(this.#sincePrune.get(r.account_id) ?? 0) + 1,
			);
			this.#bytesSincePrune.set(
				r.account_id,
				(this.#bytesSincePrune.get(r.account_id) ?? 0) +
					r.logs.length +
					r.detail.length,
			);
		}
	}

	/** Prunes the accounts that grew enough since their last prune (after a flush). */
	async pruneDue(): Promise<number> {
		let deleted = 0;
		const bytesEvery =
			this.#bounds.maxBytes !== undefined
				? Math.max(1, Math.floor(this.#bounds.maxBytes / 100))
				: Number.POSITIVE_INFINITY;
		for (const [accountId, count] of this.#sincePrune) {
			if (
				count < this.#pruneEvery &&
				(this.#bytesSincePrune.get(accountId) ?? 0) < bytesEvery
			)
				continue;
			this.#sincePrune.delete(accountId);
			this.#bytesSincePrune.delete(accountId);
			deleted += await this.#pruneAccount(accountId);
		}
		return deleted;
	}

	/** Keeps the newest `retention` records of the account, none older than the age bound, within the size bound. */
	async #pruneAccount(accountId: string): Promise<number> {
		let deleted = (
			await this.#db.query(
				"DELETE FROM audit WHERE account_id = $1 AND id <= (SELECT id FROM audit WHERE account_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
				[accountId, this.#retention],
			)
		).rowCount;
		const { maxAgeMs, maxBytes, now = Date.now } = this.#bounds;
		if (maxAgeMs !== undefined)
			deleted += (
				await this.#db.query(
					"DELETE FROM audit WHERE account_id = $1 AND time < $2",
					[accountId, Math.ceil(now() - maxAgeMs)],
				)
			).rowCount;
		if (maxBytes !== undefined)
			// Newest first, the running total of bytes (logs and detail); everything from the record
			// that crosses the bound onwards (older) goes.
			deleted += (
				await this.#db.query(
					`DELETE FROM audit WHERE account_id = $1 AND id <= (
						SELECT id FROM (
							SELECT id, sum(octet_length(logs) + octet_length(detail)) OVER (ORDER BY id DESC) AS total
							FROM audit WHERE account_id = $1
						) running WHERE total > $2 ORDER BY id DESC LIMIT 1)`,
					[accountId, maxBytes],
				)
			).rowCount;
		return deleted;
	}

	async flush(): Promise<void> {
		await this.#flushAll();
	}

	async query(
		query: AuditQuery,
	): Promise<{ records: AuditRecord[]; next: number }> {
		const limit = Math.min(Math.max(1, Math.floor(query.limit ?? 100)), 1000);
		await this.#flushAll(); // a reader sees every record this gateway appended before it asked
		// Only fixed fragments go into the SQL; every value is a parameter.
		const params: unknown[] = [query.accountId];
		let where = "account_id = $1";
		if (query.functionName !== undefined) {
			params.push(query.functionName);
			where += ` AND function_name = $${params.length}`;
		}
		if (query.since !== undefined) {
			// Times are whole milliseconds: `time >= 1.5` is `time >= 2` (a BIGINT parameter).
			params.push(Math.ceil(query.since));
			where += ` AND time >= $${params.length}`;
		}
		if (query.requestId !== undefined) {
			params.push(query.requestId);
			where += ` AND request_id = $${params.length}`;
		}
		if (query.accessKeyId !== undefined) {
			params.push(query.accessKeyId);
			where += ` AND access_key_id = $${params.length}`;
		}
		if (query.outcome !== undefined) {
			const o = query.outcome;
			params.push("is" in o ? o.is : o.isNot);
			where += ` AND outcome ${"is" in o ? "=" : "<>"} $${params.length}`;
		}
		const n = params.length;
		const { rows } =
			query.after !== undefined
				? await this.#db.query<AuditRow>(
						`SELECT * FROM audit WHERE ${where} AND id > $${n + 1} ORDER BY id LIMIT $${n + 2}`,
						[...params, query.after, limit],
					)
				: await this.#db.query<AuditRow>(
						`SELECT * FROM (SELECT * FROM audit WHERE ${where} ORDER BY id DESC LIMIT $${n + 1}) newest ORDER BY id`,
						[...params, limit],
					);
		const last = rows.at(-1);
		return { records: rows.map(toRecord), next: last?.id ?? query.after ?? 0 };
	}

	async prune(): Promise<number> {
		await this.#flushAll();
		const { rows } = await this.#db.query<{ account_id: string }>(
			"SELECT DISTINCT account_id FROM audit",
		);
		let deleted = 0;
		for (const { account_id } of rows) {
			this.#sincePrune.delete(account_id);
			deleted += await this.#pruneAccount(account_id);
		}
		return deleted;
	}
}

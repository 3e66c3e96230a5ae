/**
 * The durable queue of async invocations in PostgreSQL. A claim is one transaction: expired leases
 * are requeued (or made `dead`), then due rows are taken with `FOR UPDATE SKIP LOCKED` and marked
 * `running` with a lease and a random fencing token, so any number of gateways claim at once and
 * none waits on, or gets, another's jobs. `complete` and `fail` are single statements fenced by
 * the token. `enqueue` has committed (PostgreSQL's WAL is flushed at commit) when it resolves.
 *
 * Encryption at rest, exactly as in the SQLite adapter: payload, headers, callback URL and result
 * are sealed with the store's secret box, each bound to its job and column
 * (`job:ID:payload|headers|callback-url|result`), here kept as BYTEA. No row holds them in clear.
 */

import type { StoreError } from "../errors.ts";
import {
	byDueOrder,
	callbackJson,
	checkClaim,
	checkNewJob,
	jobAad,
	jobExists,
	jobPlaintexts,
	LEASE_EXPIRED,
	leaseLost,
	MAX_ERROR_CHARS,
	type Plaintexts,
	type JobRow as SharedJobRow,
	toJob,
} from "../job-rows.ts";
import type { SecretBox } from "../secret-box.ts";
import type { JobQueue } from "../store.ts";
import type { Job, JobCallback, JobInput, JobStatus } from "../types.ts";
import { type PgDb, pgText, type Queryable } from "./db.ts";

/** A job's row in PostgreSQL: the four sealed values as BYTEA. */
type JobRow = SharedJobRow<Buffer, Buffer>;

/** Requeues (or kills) expired leases; rows another claimer is handling right now are skipped. */
const REQUEUE_EXPIRED = `
UPDATE jobs j SET
	status = CASE WHEN j.attempts >= j.max_attempts THEN 'dead' ELSE 'queued' END,
	next_attempt_at = CASE WHEN j.attempts >= j.max_attempts THEN j.next_attempt_at ELSE $1 END,
	lease_until = NULL, lease_token = NULL, last_error = $2, updated_at = $1
FROM (SELECT seq FROM jobs WHERE status = 'running' AND lease_until <= $1 FOR UPDATE SKIP LOCKED) due
WHERE j.seq = due.seq`;

export class PgJobs implements JobQueue {
	readonly #db: PgDb;
	readonly #box: SecretBox;
	constructor(db: PgDb, box: SecretBox) {
		this.#db = db;
		this.#box = box;
	}

	/** The job a row holds, its values opened (see `toJob` in job-rows.ts). */
	#toJob(row: JobRow, lazy = false, known?: Plaintexts): Job {
		const box = this.#box;
		return toJob(
			row,
			{
				bytes: (bytes, field) => box.open(bytes, jobAad(row.id, field)),
				text: (bytes, field) =>
					box.open(bytes, jobAad(row.id, field)).toString("utf8"),
			},
			lazy,
			known,
		);
	}

	async enqueue(input: JobInput): Promise<Job> {
		const { id, maxAttempts } = checkNewJob(input);
		const now = this.#db.now();
		const plain = jobPlaintexts(input);
		const { rows } = await this.#db.query<JobRow>(
			`INSERT INTO jobs (id, account_id, function_name, payload, headers, status, max_attempts, next_attempt_at, callback_url, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $9, $9) ON CONFLICT (id) DO NOTHING RETURNING *`,
			[
				id,
				input.accountId,
				input.functionName,
				this.#box.seal(plain.payload, jobAad(id, "payload")),
				this.#box.seal(Buffer.from(plain.headers), jobAad(id, "headers")),
				maxAttempts,
				input.notBefore ?? now,
				plain.callbackUrl === null
					? null
					: this.#box.seal(
							Buffer.from(plain.callbackUrl),
							jobAad(id, "callback-url"),
						),
				now,
			],
		);
		if (rows.length === 0) throw jobExists(id);
		return this.#toJob(rows[0] as JobRow, false, plain);
	}

	async claim(now: number, limit: number, leaseMs: number): Promise<Job[]> {
		checkClaim(limit, leaseMs);
		const rows = await this.#db.tx(async (q: Queryable) => {
			await q.query(REQUEUE_EXPIRED, [now, LEASE_EXPIRED]);
			// gen_random_uuid() is evaluated per row: 122 random bits, the worker's proof of its lease.
			const { rows } = await q.query<JobRow>(
				`UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, lease_until = $1,
					lease_token = replace(gen_random_uuid()::text, '-', ''), updated_at = $2
				 FROM (SELECT seq FROM jobs WHERE status = 'queued' AND next_attempt_at <= $2
					ORDER BY next_attempt_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED) due
				 WHERE j.seq = due.seq RETURNING j.*`,
				[now + leaseMs, now, limit],
			);
			return rows;
		});
		const jobs: Job[] = [];
		for (const row of rows.sort(byDueOrder)) {
			try {
				jobs.push(this.#toJob(row));
			} catch (err) {
				// A row that does not open (altered, or moved from another row) can never run: it
				// fails now, visibly, instead of failing every claim that would take it.
				await this.#db.query(
					`UPDATE jobs SET status = 'failed', last_error = $1, lease_until = NULL, lease_token = NULL, updated_at = $2
					 WHERE seq = $3 AND lease_token = $4`,
					[
						pgText(
							`the stored job cannot be read: ${(err as Error).message}`.slice(
								0,
								MAX_ERROR_CHARS,
							),
						),
						now,
						row.seq,
						row.lease_token,
					],
				);
			}
		}
		return jobs;
	}

	async #leaseLost(id: string): Promise<StoreError> {
		const row = await this.#db.one<{ status: string }>(
			"SELECT status FROM jobs WHERE id = $1",
			[id],
		);
		return leaseLost(id, row);
	}

	async complete(
		id: string,
		leaseToken: string,
		result: Buffer | null,
		now: number,
		callback?: JobCallback,
	): Promise<void> {
		const sealed =
			result === null ? null : this.#box.seal(result, jobAad(id, "result"));
		const { rowCount } = await this.#db.query(
			`UPDATE jobs SET status = 'succeeded', result = $1, callback = coalesce($2, callback), lease_until = NULL, lease_token = NULL, updated_at = $3
			 WHERE id = $4 AND status = 'running' AND lease_token = $5`,
			[sealed, callbackJson(callback), now, id, leaseToken],
		);
		if (rowCount === 0) throw await this.#leaseLost(id);
	}

	async fail(
		id: string,
		leaseToken: string,
		failure: { error: string; retryAt?: number; callback?: JobCallback },
		now: number,
	): Promise<JobStatus> {
		const error = pgText(String(failure.error).slice(0, MAX_ERROR_CHARS));
		const { rows } = await this.#db.query<{ status: JobStatus }>(
			`WITH next AS (
				SELECT seq, CASE WHEN $1::bigint IS NULL THEN 'failed' WHEN attempts < max_attempts THEN 'queued' ELSE 'dead' END AS status
				FROM jobs WHERE id = $2 AND status = 'running' AND lease_token = $3 FOR UPDATE)
			 UPDATE jobs j SET status = next.status,
				next_attempt_at = CASE WHEN next.status = 'queued' THEN $1::bigint ELSE j.next_attempt_at END,
				last_error = $4, callback = coalesce($5, j.callback), lease_until = NULL, lease_token = NULL, updated_at = $6
			 FROM next WHERE j.seq = next.seq AND j.status = 'running' AND j.lease_token = $3 RETURNING j.status`,
			[
				failure.retryAt ?? null,
				id,
				leaseToken,
				error,
				callbackJson(failure.callback),
				now,
			],
		);
		const row = rows[0];
		if (!row) throw await this.#leaseLost(id);
		return row.status;
	}

	async requeueExpired(now: number): Promise<number> {
		return (await this.#db.query(REQUEUE_EXPIRED, [now, LEASE_EXPIRED]))
			.rowCount;
	}

	async countQueued(
		filter: { accountId?: string; functionName?: string } = {},
	): Promise<number> {
		const row = await this.#db.one<{ n: number }>(
			"SELECT count(*)::int AS n FROM jobs WHERE status = 'queued' AND ($1::text IS NULL OR account_id = $1) AND ($2::text IS NULL OR function_name = $2)",
			[filter.accountId ?? null, filter.functionName ?? null],
		);
		return row?.n ?? 0;
	}

	async get(id: string): Promise<Job | undefined> {
		const row = await this.#db.one<JobRow>("SELECT * FROM jobs WHERE id = $1", [
			id,
		]);
		return row && this.#toJob(row);
	}

	async list(filter: {
		accountId: string;
		functionName?: string;
		status?: JobStatus;
		after?: string;
		limit?: number;
	}): Promise<Job[]> {
		const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? 100)), 1000);
		const { rows } = await this.#db.query<JobRow>(
			`SELECT * FROM jobs WHERE account_id = $1 AND ($2::text IS NULL OR function_name = $2) AND ($3::text IS NULL OR status = $3)
			 AND ($4::text IS NULL OR seq > coalesce((SELECT seq FROM jobs WHERE id = $4), 0)) ORDER BY seq LIMIT $5`,
			[
				filter.accountId,
				filter.functionName ?? null,
				filter.status ?? null,
				filter.after ?? null,
				limit,
			],
		);
		return rows.map((r) => this.#toJob(r, true));
	}
}

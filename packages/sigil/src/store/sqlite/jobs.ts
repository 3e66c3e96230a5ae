/**
 * The durable queue of async invocations in SQLite. A claim is one `UPDATE … RETURNING` inside a
 * `BEGIN IMMEDIATE` transaction, so two claimers (threads, processes, gateways on one file) never
 * take the same job. A claimed job carries a lease and a fencing token: a worker that dies (kill -9)
 * simply lets the lease run out, and the next claim requeues the job (or makes it `dead` when its
 * attempts are spent). Durability: the database runs with `synchronous = FULL`, so `enqueue` has
 * reached the disk when it resolves.
 *
 * Encryption at rest: a job holds what the caller sent (the body, headers such as `Hmac`, a
 * callback URL whose query may carry a token) and what the function answered. Those four values
 * are sealed with the store's secret box, each bound to its job and column
 * (`job:ID:payload|headers|callback-url|result`), so a copied database file reveals none of them
 * and a ciphertext moved to another row or column fails authentication. Rows written before
 * schema 3 (`sealed = 0`) are sealed when the store opens; until then they still read.
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
import { buf, type Db } from "./db.ts";

/**
 * A job's row in SQLite: payload and result as BLOBs (sealed when `sealed = 1`); the headers'
 * JSON and the callback URL as text, base64 of the sealed value when `sealed = 1`.
 */
type JobRow = SharedJobRow<Uint8Array, string> & {
	/** 0: a row written before schema 3, in plaintext; 1: the four values above are sealed. */
	sealed: number;
};

/** Seals and opens the four confidential values of a job row. */
class JobSeal {
	readonly #box: SecretBox;
	constructor(box: SecretBox) {
		this.#box = box;
	}

	payload(id: string, payload: Buffer): Buffer {
		return this.#box.seal(payload, jobAad(id, "payload"));
	}
	/** `json`: the headers' JSON text, sealed as it is (a legacy row's is never re-parsed). */
	headers(id: string, json: string): string {
		return this.#box
			.seal(Buffer.from(json), jobAad(id, "headers"))
			.toString("base64");
	}
	callbackUrl(id: string, url: string | null): string | null {
		return url === null
			? null
			: this.#box
					.seal(Buffer.from(url), jobAad(id, "callback-url"))
					.toString("base64");
	}
	result(id: string, result: Buffer | null): Buffer | null {
		return result === null
			? null
			: this.#box.seal(result, jobAad(id, "result"));
	}

	/** The job a row holds, its values opened (see `toJob` in job-rows.ts). */
	toJob(row: JobRow, lazy = false, known?: Plaintexts): Job {
		const sealed = row.sealed === 1;
		const box = this.#box;
		return toJob(
			row,
			{
				bytes: (bytes, field) =>
					sealed ? box.open(bytes, jobAad(row.id, field)) : buf(bytes),
				text: (text, field) =>
					sealed
						? box
								.open(Buffer.from(text, "base64"), jobAad(row.id, field))
								.toString("utf8")
						: text,
			},
			lazy,
			known,
		);
	}
}

export class SqliteJobs implements JobQueue {
	readonly #db: Db;
	readonly #seal: JobSeal;
	constructor(db: Db, box: SecretBox) {
		this.#db = db;
		this.#seal = new JobSeal(box);
		this.#sealPlaintextRows();
	}

	/**
	 * Seals the rows an older Sigil wrote in plaintext, in one transaction at open, a page of rows
	 * at a time (a legacy queue may hold gigabytes of payloads). SQLite's `secure_delete`
	 * overwrites the freed plaintext cells instead of leaving them in free pages.
	 */
	#sealPlaintextRows(): void {
		if (
			!this.#db.do(() =>
				this.#db.one("SELECT 1 FROM jobs WHERE sealed = 0 LIMIT 1"),
			)
		)
			return;
		this.#db.raw.exec("PRAGMA secure_delete = ON");
		try {
			this.#db.tx(() => {
				for (;;) {
					const page = this.#db.all<JobRow>(
						"SELECT * FROM jobs WHERE sealed = 0 ORDER BY seq LIMIT 64",
					);
					if (page.length === 0) break;
					for (const row of page) this.#sealRow(row);
				}
			});
		} finally {
			this.#db.raw.exec("PRAGMA secure_delete = OFF");
		}
	}

	/** Inside a transaction: rewrites one plaintext row sealed. */
	#sealRow(row: JobRow): void {
		this.#db.run(
			"UPDATE jobs SET payload = ?, headers = ?, callback_url = ?, result = ?, sealed = 1 WHERE seq = ? AND sealed = 0",
			this.#seal.payload(row.id, buf(row.payload)),
			this.#seal.headers(row.id, row.headers),
			this.#seal.callbackUrl(row.id, row.callback_url),
			this.#seal.result(row.id, row.result === null ? null : buf(row.result)),
			row.seq,
		);
	}

	async enqueue(input: JobInput): Promise<Job> {
		const { id, maxAttempts } = checkNewJob(input);
		const now = this.#db.now();
		// Sealed before the transaction: the write lock is not held while encrypting.
		const plain = jobPlaintexts(input);
		const payload = this.#seal.payload(id, plain.payload);
		const headers = this.#seal.headers(id, plain.headers);
		const callbackUrl = this.#seal.callbackUrl(id, plain.callbackUrl);
		return this.#db.tx(() => {
			if (this.#db.one("SELECT 1 FROM jobs WHERE id = ?", id))
				throw jobExists(id);
			const row = this.#db.one<JobRow>(
				`INSERT INTO jobs (id, account_id, function_name, payload, headers, status, max_attempts, next_attempt_at, callback_url, created_at, updated_at, sealed)
				 VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, 1) RETURNING *`,
				id,
				input.accountId,
				input.functionName,
				payload,
				headers,
				maxAttempts,
				input.notBefore ?? now,
				callbackUrl,
				now,
				now,
			);
			return this.#seal.toJob(row as JobRow, false, plain);
		});
	}

	/** Inside a transaction: requeue (or kill) expired leases. */
	#requeueExpired(now: number): number {
		const dead = this.#db.run(
			`UPDATE jobs SET status = 'dead', lease_until = NULL, lease_token = NULL, last_error = ?, updated_at = ?
			 WHERE status = 'running' AND lease_until <= ? AND attempts >= max_attempts`,
			LEASE_EXPIRED,
			now,
			now,
		);
		const requeued = this.#db.run(
			`UPDATE jobs SET status = 'queued', lease_until = NULL, lease_token = NULL, next_attempt_at = ?, last_error = ?, updated_at = ?
			 WHERE status = 'running' AND lease_until <= ?`,
			now,
			LEASE_EXPIRED,
			now,
			now,
		);
		return dead + requeued;
	}

	async claim(now: number, limit: number, leaseMs: number): Promise<Job[]> {
		checkClaim(limit, leaseMs);
		const rows = this.#db.tx(() => {
			this.#requeueExpired(now);
			// The token is random per row (randomblob is evaluated per row): the worker's proof of its lease.
			return this.#db.all<JobRow>(
				`UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = ?, lease_token = lower(hex(randomblob(16))), updated_at = ?
				 WHERE seq IN (SELECT seq FROM jobs WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT ?)
				 RETURNING *`,
				now + leaseMs,
				now,
				now,
				limit,
			);
		});
		const jobs: Job[] = [];
		for (const row of rows.sort(byDueOrder)) {
			try {
				jobs.push(this.#seal.toJob(row));
			} catch (err) {
				// A row that does not open (altered, or moved from another row) can never run: it
				// fails now, visibly, instead of failing every claim that would take it.
				this.#db.tx(() =>
					this.#db.run(
						`UPDATE jobs SET status = 'failed', last_error = ?, lease_until = NULL, lease_token = NULL, updated_at = ?
						 WHERE seq = ? AND lease_token = ?`,
						`the stored job cannot be read: ${(err as Error).message}`.slice(
							0,
							MAX_ERROR_CHARS,
						),
						now,
						row.seq,
						row.lease_token,
					),
				);
			}
		}
		return jobs;
	}

	#leaseLost(id: string): StoreError {
		const row = this.#db.one<{ status: string }>(
			"SELECT status FROM jobs WHERE id = ?",
			id,
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
		const sealed = this.#seal.result(id, result);
		const record = callbackJson(callback);
		this.#db.tx(() => {
			const held = this.#db.one<{ seq: number; sealed: number }>(
				"SELECT seq, sealed FROM jobs WHERE id = ? AND status = 'running' AND lease_token = ?",
				id,
				leaseToken,
			);
			if (!held) throw this.#leaseLost(id);
			// A plaintext row here was written after the upgrade by an older gateway still running
			// on this file: seal it whole first, so its values never mix sealed and plain.
			if (held.sealed !== 1)
				this.#sealRow(
					this.#db.one<JobRow>(
						"SELECT * FROM jobs WHERE seq = ?",
						held.seq,
					) as JobRow,
				);
			this.#db.run(
				`UPDATE jobs SET status = 'succeeded', result = ?, callback = coalesce(?, callback), lease_until = NULL, lease_token = NULL, updated_at = ?
				 WHERE seq = ?`,
				sealed,
				record,
				now,
				held.seq,
			);
		});
	}

	async fail(
		id: string,
		leaseToken: string,
		failure: { error: string; retryAt?: number; callback?: JobCallback },
		now: number,
	): Promise<JobStatus> {
		const error = String(failure.error).slice(0, MAX_ERROR_CHARS);
		const record = callbackJson(failure.callback);
		return this.#db.tx(() => {
			const row = this.#db.one<JobRow>(
				"SELECT * FROM jobs WHERE id = ? AND status = 'running' AND lease_token = ?",
				id,
				leaseToken,
			);
			if (!row) throw this.#leaseLost(id);
			const status: JobStatus =
				failure.retryAt === undefined
					? "failed"
					: row.attempts < row.max_attempts
						? "queued"
						: "dead";
			this.#db.run(
				`UPDATE jobs SET status = ?, next_attempt_at = ?, last_error = ?, callback = coalesce(?, callback), lease_until = NULL, lease_token = NULL, updated_at = ? WHERE seq = ?`,
				status,
				status === "queued" ? (failure.retryAt as number) : row.next_attempt_at,
				error,
				record,
				now,
				row.seq,
			);
			return status;
		});
	}

	async requeueExpired(now: number): Promise<number> {
		return this.#db.tx(() => this.#requeueExpired(now));
	}

	async countQueued(
		filter: { accountId?: string; functionName?: string } = {},
	): Promise<number> {
		const row = this.#db.do(() =>
			this.#db.one<{ n: number }>(
				"SELECT count(*) AS n FROM jobs WHERE status = 'queued' AND (?1 IS NULL OR account_id = ?1) AND (?2 IS NULL OR function_name = ?2)",
				filter.accountId ?? null,
				filter.functionName ?? null,
			),
		);
		return row?.n ?? 0;
	}

	async get(id: string): Promise<Job | undefined> {
		const row = this.#db.do(() =>
			this.#db.one<JobRow>("SELECT * FROM jobs WHERE id = ?", id),
		);
		return row && this.#seal.toJob(row);
	}

	async list(filter: {
		accountId: string;
		functionName?: string;
		status?: JobStatus;
		after?: string;
		limit?: number;
	}): Promise<Job[]> {
		const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? 100)), 1000);
		const rows = this.#db.do(() =>
			this.#db.all<JobRow>(
				`SELECT * FROM jobs WHERE account_id = ?1 AND (?2 IS NULL OR function_name = ?2) AND (?3 IS NULL OR status = ?3)
				 AND (?4 IS NULL OR seq > coalesce((SELECT seq FROM jobs WHERE id = ?4), 0)) ORDER BY seq LIMIT ?5`,
				filter.accountId,
				filter.functionName ?? null,
				filter.status ?? null,
				filter.after ?? null,
				limit,
			),
		);
		return rows.map((r) => this.#seal.toJob(r, true));
	}
}

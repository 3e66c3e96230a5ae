/**
 * The durable queue of async invocations in SQLite. A claim is one `UPDATE … RETURNING` inside a
 * `BEGIN IMMEDIATE` transaction, so two claimers (threads, processes, gateways on one file) never
 * take the same job. A claimed job carries a lease and a fencing token: a worker that dies (kill -9)
 * simply lets the lease run out, and the next claim requeues the job (or makes it `dead` when its
 * attempts are spent). Durability: the database runs with `synchronous = FULL`, so `enqueue` has
 * reached the disk when it resolves.
 */

import { randomUUID } from "node:crypto";
import { StoreError } from "../errors.ts";
import { MAX_JOB_PAYLOAD_BYTES } from "../limits.ts";
import type { JobQueue } from "../store.ts";
import type { Job, JobInput, JobStatus } from "../types.ts";
import { buf, type Db } from "./db.ts";

const MAX_ERROR_CHARS = 4096;
const LEASE_EXPIRED =
	"the lease expired before the worker reported back (it stopped or ran too long)";

interface JobRow {
	seq: number;
	id: string;
	account_id: string;
	function_name: string;
	payload: Uint8Array;
	headers: string;
	status: JobStatus;
	attempts: number;
	max_attempts: number;
	next_attempt_at: number;
	lease_until: number | null;
	lease_token: string | null;
	last_error: string | null;
	callback_url: string | null;
	result: Uint8Array | null;
	created_at: number;
	updated_at: number;
}

function toJob(row: JobRow): Job {
	return {
		id: row.id,
		accountId: row.account_id,
		functionName: row.function_name,
		payload: buf(row.payload),
		headers: JSON.parse(row.headers) as Record<string, string>,
		status: row.status,
		attempts: row.attempts,
		maxAttempts: row.max_attempts,
		nextAttemptAt: row.next_attempt_at,
		leaseUntil: row.lease_until,
		leaseToken: row.lease_token,
		lastError: row.last_error,
		callbackUrl: row.callback_url,
		result: row.result === null ? null : buf(row.result),
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}

function byDueOrder(a: JobRow, b: JobRow): number {
	return a.next_attempt_at - b.next_attempt_at || a.seq - b.seq;
}

export class SqliteJobs implements JobQueue {
	readonly #db: Db;
	constructor(db: Db) {
		this.#db = db;
	}

	async enqueue(input: JobInput): Promise<Job> {
		const id = input.id ?? randomUUID();
		const maxAttempts = input.maxAttempts ?? 3;
		if (typeof id !== "string" || id.length === 0 || id.length > 128)
			throw new StoreError(
				"STORE_INVALID",
				"a job id must be 1–128 characters",
			);
		if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100)
			throw new StoreError(
				"STORE_INVALID",
				"maxAttempts must be a whole number from 1 to 100",
			);
		if (!Buffer.isBuffer(input.payload))
			throw new StoreError("STORE_INVALID", "a job's payload must be a Buffer");
		if (input.payload.length > MAX_JOB_PAYLOAD_BYTES) {
			throw new StoreError(
				"STORE_TOO_LARGE",
				`the payload is ${input.payload.length} bytes; an async job may carry at most ${MAX_JOB_PAYLOAD_BYTES}`,
			);
		}
		const now = this.#db.now();
		return this.#db.tx(() => {
			if (this.#db.one("SELECT 1 FROM jobs WHERE id = ?", id))
				throw new StoreError("STORE_CONFLICT", `job ${id} already exists`);
			const row = this.#db.one<JobRow>(
				`INSERT INTO jobs (id, account_id, function_name, payload, headers, status, max_attempts, next_attempt_at, callback_url, created_at, updated_at)
				 VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?) RETURNING *`,
				id,
				input.accountId,
				input.functionName,
				input.payload,
				JSON.stringify(input.headers ?? {}),
				maxAttempts,
				input.notBefore ?? now,
				input.callbackUrl ?? null,
				now,
				now,
			);
			return toJob(row as JobRow);
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
		if (!Number.isInteger(limit) || limit < 1)
			throw new StoreError(
				"STORE_INVALID",
				"claim limit must be a positive whole number",
			);
		if (!(leaseMs > 0))
			throw new StoreError("STORE_INVALID", "leaseMs must be positive");
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
		return rows.sort(byDueOrder).map(toJob);
	}

	#leaseLost(id: string): StoreError {
		const row = this.#db.one<{ status: string }>(
			"SELECT status FROM jobs WHERE id = ?",
			id,
		);
		if (!row)
			return new StoreError("STORE_NOT_FOUND", `job ${id} does not exist`);
		return new StoreError(
			"STORE_LEASE_LOST",
			`job ${id} is ${row.status} under another lease: this worker's result is discarded`,
		);
	}

	async complete(
		id: string,
		leaseToken: string,
		result: Buffer | null,
		now: number,
	): Promise<void> {
		this.#db.tx(() => {
			const changed = this.#db.run(
				`UPDATE jobs SET status = 'succeeded', result = ?, lease_until = NULL, lease_token = NULL, updated_at = ?
				 WHERE id = ? AND status = 'running' AND lease_token = ?`,
				result,
				now,
				id,
				leaseToken,
			);
			if (changed === 0) throw this.#leaseLost(id);
		});
	}

	async fail(
		id: string,
		leaseToken: string,
		failure: { error: string; retryAt?: number },
		now: number,
	): Promise<JobStatus> {
		const error = String(failure.error).slice(0, MAX_ERROR_CHARS);
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
				`UPDATE jobs SET status = ?, next_attempt_at = ?, last_error = ?, lease_until = NULL, lease_token = NULL, updated_at = ? WHERE seq = ?`,
				status,
				status === "queued" ? (failure.retryAt as number) : row.next_attempt_at,
				error,
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
		return row && toJob(row);
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
		return rows.map(toJob);
	}
}

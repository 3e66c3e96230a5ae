/**
 * What both store adapters (SQLite, PostgreSQL) share about the job queue: the bounds, the
 * associated data that binds a sealed value to its job and column (so a value sealed by one
 * adapter opens in the other), the checks on a new job, the stored callback record, the due
 * order and the row → Job mapping with its lazily opened values. One copy, so the two adapters
 * cannot drift apart. How a sealed value is kept (BYTEA, base64 text, a legacy plaintext row) is
 * each adapter's: the mapping takes the values' types and an opener.
 */
import { randomUUID } from "node:crypto";
import { StoreError } from "./errors.ts";
import { MAX_JOB_PAYLOAD_BYTES } from "./limits.ts";
import type { Job, JobCallback, JobInput, JobStatus } from "./types.ts";

export const MAX_ERROR_CHARS = 4096;
export const LEASE_EXPIRED =
	"the lease expired before the worker reported back (it stopped or ran too long)";

/** The sealed columns of a job. */
export type JobField = "payload" | "headers" | "callback-url" | "result";

/** The associated data that binds one sealed value of a job to its row and column. */
export function jobAad(id: string, field: JobField): string {
	return `job:${id}:${field}`;
}

// A type alias, not an interface: node-postgres wants rows assignable to an index signature.
/**
 * A job's row. `B`: how the adapter keeps the payload and the result; `T`: how it keeps the
 * headers' JSON and the callback URL.
 */
export type JobRow<B, T> = {
	seq: number;
	id: string;
	account_id: string;
	function_name: string;
	payload: B;
	headers: T;
	status: JobStatus;
	attempts: number;
	max_attempts: number;
	next_attempt_at: number;
	lease_until: number | null;
	lease_token: string | null;
	last_error: string | null;
	callback_url: T | null;
	result: B | null;
	/** JSON of the last callback delivery (a `JobCallback`), no secret in it. */
	callback: string | null;
	created_at: number;
	updated_at: number;
};

/** What `enqueue` seals, in the clear. */
export interface Plaintexts {
	readonly payload: Buffer;
	readonly headers: string;
	readonly callbackUrl: string | null;
}

/** Opens the sealed values of one row (bound to it by `jobAad`). */
export interface JobOpener<B, T> {
	bytes(value: B, field: "payload" | "result"): Buffer;
	text(value: T, field: "headers" | "callback-url"): string;
}

/** A new job's checks; its id and attempts with the defaults filled in. */
export function checkNewJob(input: JobInput): {
	id: string;
	maxAttempts: number;
} {
	const id = input.id ?? randomUUID();
	const maxAttempts = input.maxAttempts ?? 3;
	if (typeof id !== "string" || id.length === 0 || id.length > 128)
		throw new StoreError("STORE_INVALID", "a job id must be 1–128 characters");
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
	return { id, maxAttempts };
}

/** A claim takes a positive whole number of jobs, under a positive lease. */
export function checkClaim(limit: number, leaseMs: number): void {
	if (!Number.isInteger(limit) || limit < 1)
		throw new StoreError(
			"STORE_INVALID",
			"claim limit must be a positive whole number",
		);
	if (!(leaseMs > 0))
		throw new StoreError("STORE_INVALID", "leaseMs must be positive");
}

/** What a new job seals, in the clear. */
export function jobPlaintexts(input: JobInput): Plaintexts {
	return {
		// A copy: the returned job must not change with the caller's buffer.
		payload: Buffer.from(input.payload),
		headers: JSON.stringify(input.headers ?? {}),
		callbackUrl: input.callbackUrl ?? null,
	};
}

export function jobExists(id: string): StoreError {
	return new StoreError("STORE_CONFLICT", `job ${id} already exists`);
}

/** Why a worker's report is refused: the job is gone, or another lease holds it (`row`: its status). */
export function leaseLost(
	id: string,
	row: { status: string } | undefined,
): StoreError {
	if (!row)
		return new StoreError("STORE_NOT_FOUND", `job ${id} does not exist`);
	return new StoreError(
		"STORE_LEASE_LOST",
		`job ${id} is ${row.status} under another lease: this worker's result is discarded`,
	);
}

/** A callback record as stored: only the fields of `JobCallback`, bounded. */
export function callbackJson(callback: JobCallback | undefined): string | null {
	if (callback === undefined) return null;
	const clip = (t: string) => String(t).slice(0, MAX_ERROR_CHARS);
	const clipOrNull = (t: string | null) => (t === null ? null : clip(t));
	// JSON.stringify writes a NUL inside a string as \u0000, which PostgreSQL's TEXT takes.
	return JSON.stringify({
		outcome: callback.outcome,
		target: clip(callback.target),
		address: clipOrNull(callback.address),
		httpStatus: callback.httpStatus,
		attempts: callback.attempts,
		error: clipOrNull(callback.error),
		at: callback.at,
	} satisfies JobCallback);
}

/** Due first, then in the order enqueued. */
export function byDueOrder(
	a: { next_attempt_at: number; seq: number },
	b: { next_attempt_at: number; seq: number },
): number {
	return a.next_attempt_at - b.next_attempt_at || a.seq - b.seq;
}

/**
 * The job a row holds, its values opened. With `lazy`, `payload` and `result` open on first
 * read, so a listing (which shows neither) does not pay for decrypting every body on the page.
 * `known`: the plaintexts the caller just sealed (enqueue), so they are not opened again.
 * Throws `STORE_DECRYPT_FAILED` for a value altered or moved from another row.
 */
export function toJob<B, T>(
	row: JobRow<B, T>,
	open: JobOpener<B, T>,
	lazy = false,
	known?: Plaintexts,
): Job {
	const headersText = known ? known.headers : open.text(row.headers, "headers");
	const callbackUrl = known
		? known.callbackUrl
		: row.callback_url === null
			? null
			: open.text(row.callback_url, "callback-url");
	let payload: Buffer | undefined = known?.payload;
	let result: Buffer | null | undefined = known ? null : undefined;
	const job: Job = {
		id: row.id,
		accountId: row.account_id,
		functionName: row.function_name,
		get payload(): Buffer {
			payload ??= open.bytes(row.payload, "payload");
			return payload;
		},
		headers: JSON.parse(headersText) as Record<string, string>,
		status: row.status,
		attempts: row.attempts,
		maxAttempts: row.max_attempts,
		nextAttemptAt: row.next_attempt_at,
		leaseUntil: row.lease_until,
		leaseToken: row.lease_token,
		lastError: row.last_error,
		callbackUrl,
		callback:
			row.callback === null ? null : (JSON.parse(row.callback) as JobCallback),
		get result(): Buffer | null {
			if (result === undefined)
				result = row.result === null ? null : open.bytes(row.result, "result");
			return result;
		},
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
	if (!lazy) void [job.payload, job.result];
	return job;
}

/**
 * What a queued job looks like on the broker: sealed. A job carries what a caller sent (the body,
 * headers such as `Hmac` or a webhook signature, a callback URL whose query may hold a token), so
 * it leaves the process only encrypted under the master key with the store's secret box
 * (AES-256-GCM, `store/secret-box.ts`) — the same protection the jobs table gives it at rest.
 * The broker sees the job id (the `Nats-Msg-Id` header, for de-duplication), the account id and
 * a function-name token in the subject (for per-function depth and per-account dead listings),
 * and ciphertext.
 *
 * Each value is bound to its stream and job id by the associated data
 * (`queue-job:STREAM:ID`, `queue-dead:STREAM:ID`), so a ciphertext replayed under another id, or
 * moved between the work and dead-letter streams or between installations, fails to open.
 *
 * Plaintext layout before sealing: 4-byte big-endian length of the JSON metadata ‖ metadata ‖
 * payload bytes (the payload is not base64-inflated).
 */
import type { SecretBox } from "../../store/secret-box.ts";

/** A job as the worker will need it back. */
export interface JobEnvelope {
	readonly id: string;
	readonly accountId: string;
	readonly functionName: string;
	readonly headers: Readonly<Record<string, string>>;
	readonly callbackUrl: string | null;
	readonly maxAttempts: number;
	readonly enqueuedAt: number;
	readonly payload: Buffer;
}

/** A job whose attempts are spent. */
export interface DeadEnvelope extends JobEnvelope {
	readonly attempts: number;
	readonly lastError: string | null;
	readonly deadAt: number;
}

function frame(meta: object, payload: Buffer): Buffer {
	const json = Buffer.from(JSON.stringify(meta), "utf8");
	const len = Buffer.alloc(4);
	len.writeUInt32BE(json.length);
	return Buffer.concat([len, json, payload]);
}

function unframe(plain: Buffer): { meta: unknown; payload: Buffer } {
	if (plain.length < 4) throw new Error("the sealed job is truncated");
	const n = plain.readUInt32BE(0);
	if (4 + n > plain.length) throw new Error("the sealed job is truncated");
	return {
		meta: JSON.parse(plain.subarray(4, 4 + n).toString("utf8")),
		payload: Buffer.from(plain.subarray(4 + n)),
	};
}

function str(v: unknown, what: string): string {
	if (typeof v !== "string") throw new Error(`the sealed job has no ${what}`);
	return v;
}
function num(v: unknown, what: string): number {
	if (typeof v !== "number" || !Number.isFinite(v))
		throw new Error(`the sealed job has no ${what}`);
	return v;
}

function toEnvelope(
	meta: Record<string, unknown>,
	payload: Buffer,
	id: string,
): JobEnvelope {
	if (meta.id !== id) throw new Error("the sealed job names another id");
	const headers = meta.headers;
	if (
		typeof headers !== "object" ||
		headers === null ||
		!Object.values(headers).every((v) => typeof v === "string")
	)
		throw new Error("the sealed job has no headers");
	return {
		id,
		accountId: str(meta.accountId, "account"),
		functionName: str(meta.functionName, "function"),
		headers: headers as Record<string, string>,
		callbackUrl:
			meta.callbackUrl === null ? null : str(meta.callbackUrl, "callback URL"),
		maxAttempts: num(meta.maxAttempts, "attempt bound"),
		enqueuedAt: num(meta.enqueuedAt, "enqueue time"),
		payload,
	};
}

/** Seals and opens jobs and dead letters of one stream. */
export class JobSealer {
	readonly #box: SecretBox;
	readonly #stream: string;

	constructor(box: SecretBox, stream: string) {
		this.#box = box;
		this.#stream = stream;
	}

	sealJob(job: JobEnvelope): Buffer {
		const { payload, ...meta } = job;
		return this.#box.seal(frame(meta, payload), this.#aad("queue-job", job.id));
	}

	/** Throws (`STORE_DECRYPT_FAILED`, or a malformed-job error) when it does not open as `id`. */
	openJob(id: string, sealed: Uint8Array): JobEnvelope {
		const { meta, payload } = unframe(
			this.#box.open(sealed, this.#aad("queue-job", id)),
		);
		return toEnvelope(meta as Record<string, unknown>, payload, id);
	}

	sealDead(dead: DeadEnvelope): Buffer {
		const { payload, ...meta } = dead;
		return this.#box.seal(
			frame(meta, payload),
			this.#aad("queue-dead", dead.id),
		);
	}

	openDead(id: string, sealed: Uint8Array): DeadEnvelope {
		const { meta, payload } = unframe(
			this.#box.open(sealed, this.#aad("queue-dead", id)),
		);
		const m = meta as Record<string, unknown>;
		return {
			...toEnvelope(m, payload, id),
			attempts: num(m.attempts, "attempt count"),
			lastError: m.lastError === null ? null : str(m.lastError, "last error"),
			deadAt: num(m.deadAt, "dead time"),
		};
	}

	#aad(kind: string, id: string): string {
		return `${kind}:${this.#stream}:${id}`;
	}
}

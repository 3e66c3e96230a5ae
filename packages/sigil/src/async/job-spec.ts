/**
 * What a queued job must remember to run later, kept in the job row's string map (`headers`):
 * a Lambda `Event` invocation replays the payload through `invokeEvent`; an OpenFaaS async call
 * replays the whole HTTP request (method, path, query, headers) through `invokeHttp`. The
 * verified caller rides along so the function sees who asked, as it would synchronously.
 */
import type { CallerIdentity } from "../runtime/types.ts";

/** `event`: Lambda Invoke with `X-Amz-Invocation-Type: Event` (or InvokeAsync); `http`: OpenFaaS. */
export type JobKind = "event" | "http";

export interface EventJobSpec {
	readonly kind: "event";
	readonly caller?: CallerIdentity;
	/** The published version to run (an alias resolved when the job was queued); absent: `$LATEST`. */
	readonly version?: number;
}

export interface HttpJobSpec {
	readonly kind: "http";
	readonly method: string;
	/** Below the function's mount point, still percent-encoded. */
	readonly path: string;
	readonly rawQuery: string;
	/** Flat name, value, … list, as Node's `rawHeaders`. */
	readonly rawHeaders: readonly string[];
	readonly host: string;
	readonly sourceIp: string;
	readonly receivedAt: number;
	readonly caller?: CallerIdentity;
}

export type JobSpec = EventJobSpec | HttpJobSpec;

/**
 * Headers never written to the queue: they carry credentials (a session token) or a signature
 * the gateway has already checked, and the job table is readable by the account's operators.
 */
const NOT_STORED = new Set(["authorization", "x-amz-security-token"]);

/** Drops credential-bearing headers from a raw header list before it is stored. */
export function storableHeaders(rawHeaders: readonly string[]): string[] {
	const out: string[] = [];
	for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
		const name = rawHeaders[i] as string;
		if (NOT_STORED.has(name.toLowerCase())) continue;
		out.push(name, rawHeaders[i + 1] as string);
	}
	return out;
}

export function encodeJobSpec(spec: JobSpec): Record<string, string> {
	const h: Record<string, string> = { kind: spec.kind };
	if (spec.caller) h.caller = JSON.stringify(spec.caller);
	if (spec.kind === "event" && spec.version !== undefined)
		h.version = String(spec.version);
	if (spec.kind === "http") {
		h.method = spec.method;
		h.path = spec.path;
		h.query = spec.rawQuery;
		h.headers = JSON.stringify(spec.rawHeaders);
		h.host = spec.host;
		h.sourceIp = spec.sourceIp;
		h.receivedAt = String(spec.receivedAt);
	}
	return h;
}

/** Reads a stored spec back; `undefined` when the row was not written by this module. */
export function decodeJobSpec(
	h: Readonly<Record<string, string>>,
): JobSpec | undefined {
	try {
		const caller =
			h.caller === undefined
				? undefined
				: (JSON.parse(h.caller) as CallerIdentity);
		if (h.kind === "event") {
			const version = h.version === undefined ? undefined : Number(h.version);
			if (
				version !== undefined &&
				!(Number.isSafeInteger(version) && version >= 1)
			)
				return undefined;
			return {
				kind: "event",
				...(caller && { caller }),
				...(version !== undefined && { version }),
			};
		}
		if (h.kind !== "http") return undefined;
		const rawHeaders = JSON.parse(h.headers ?? "[]") as unknown;
		if (
			!Array.isArray(rawHeaders) ||
			!rawHeaders.every((v) => typeof v === "string")
		)
			return undefined;
		return {
			kind: "http",
			method: h.method ?? "POST",
			path: h.path ?? "/",
			rawQuery: h.query ?? "",
			rawHeaders,
			host: h.host ?? "",
			sourceIp: h.sourceIp ?? "",
			receivedAt: Number(h.receivedAt ?? 0),
			...(caller && { caller }),
		};
	} catch {
		return undefined;
	}
}

/** How an `http` job's answer is kept in the job's `result` column. */
export interface StoredHttpResult {
	readonly status: number;
	readonly headers: readonly string[];
	/** Base64. */
	readonly body: string;
}

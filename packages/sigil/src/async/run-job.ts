/**
 * One attempt of one queued job: find the function, replay the invocation through its runtime,
 * and say whether it succeeded, should be retried, or failed for good. Never throws: every
 * outcome is a value the worker records.
 */
import type { FunctionRegistry } from "../functions/registry.ts";
import { RuntimeError } from "../runtime/types.ts";
import type { Job } from "../store/types.ts";
import { decodeJobSpec, type StoredHttpResult } from "./job-spec.ts";

/** OpenFaaS Pro's default `httpRetryCodes`: answers that mean "try again later". */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const MAX_ERROR_TEXT = 1024;

export interface AttemptHttp {
	readonly status: number;
	readonly headers: readonly string[];
	readonly body: Buffer;
}

export type Attempt =
	| { readonly ok: true; readonly result: Buffer; readonly http?: AttemptHttp }
	| {
			readonly ok: false;
			/** Worth another attempt (function error, crash, timeout, overload). */
			readonly retryable: boolean;
			/** For the job's `lastError`: the owner's own function output, never a secret. */
			readonly error: string;
			readonly result?: Buffer;
			readonly http?: AttemptHttp;
	  };

function clip(text: string): string {
	return text.length > MAX_ERROR_TEXT
		? `${text.slice(0, MAX_ERROR_TEXT)}…`
		: text;
}

export async function runJob(
	job: Pick<Job, "id" | "accountId" | "functionName" | "payload"> & {
		readonly headers: Readonly<Record<string, string>>;
	},
	functions: FunctionRegistry,
	signal?: AbortSignal,
): Promise<Attempt> {
	const spec = decodeJobSpec(job.headers);
	if (!spec)
		return {
			ok: false,
			retryable: false,
			error: "the job's stored invocation is unreadable",
		};
	try {
		const fn = await functions.lookup(job.functionName);
		// A function deleted (or its name taken by another account) since the job was queued.
		if (!fn || fn.accountId !== job.accountId)
			return {
				ok: false,
				retryable: false,
				error: `function '${job.functionName}' no longer exists in account ${job.accountId}`,
			};
		if (spec.kind === "event") {
			// A job queued for a version runs that version's own code.
			const run =
				spec.version === undefined
					? fn
					: await functions.publishedVersion(fn, spec.version);
			if (!run)
				return {
					ok: false,
					retryable: false,
					error: `version ${spec.version} of function '${job.functionName}' no longer exists`,
				};
			const r = await run.runtime.invokeEvent({
				requestId: job.id,
				functionName: fn.name,
				payload: job.payload,
				...(spec.caller && { caller: spec.caller }),
				...(signal && { signal }),
			});
			if (r.functionError)
				return {
					ok: false,
					retryable: true,
					error: clip(`${r.functionError}: ${r.payload.toString("utf8")}`),
					result: r.payload,
				};
			return { ok: true, result: r.payload };
		}
		const r = await fn.runtime.invokeHttp({
			requestId: job.id,
			functionName: fn.name,
			method: spec.method,
			path: spec.path,
			rawQuery: spec.rawQuery,
			rawHeaders: spec.rawHeaders,
			body: job.payload,
			sourceIp: spec.sourceIp,
			host: spec.host,
			receivedAt: spec.receivedAt,
			...(spec.caller && { caller: spec.caller }),
			...(signal && { signal }),
		});
		const stored: StoredHttpResult = {
			status: r.status,
			headers: r.headers,
			body: r.body.toString("base64"),
		};
		const result = Buffer.from(JSON.stringify(stored));
		if (RETRY_STATUSES.has(r.status))
			return {
				ok: false,
				retryable: true,
				error: clip(`function answered ${r.status}`),
				result,
				http: r,
			};
		return { ok: true, result, http: r };
	} catch (err) {
		if (err instanceof RuntimeError)
			return {
				ok: false,
				retryable: true,
				error: clip(`${err.code}: ${err.message}`),
			};
		return {
			ok: false,
			retryable: true,
			error: clip(`the attempt failed: ${(err as Error).message ?? err}`),
		};
	}
}

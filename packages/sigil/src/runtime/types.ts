/**
 * The contract between the gateway and every runtime (worker pool, forked process, HTTP
 * upstream). The gateway has authenticated and authorized the request before any of this runs;
 * a runtime only runs code and maps its answer back to HTTP.
 */

import type { Readable } from "node:stream";

/** The verified caller, as the function may see it (Lambda's `requestContext.authorizer.iam`). */
export interface CallerIdentity {
	readonly accessKey: string;
	readonly accountId: string;
	readonly callerId: string;
	readonly userArn: string;
	readonly userId: string;
	/** Which scheme verified the request: `sigv4`, `acs3`, `fc`, `hmac`, `webhook` or `none`. */
	readonly scheme: string;
}

/** One HTTP request on its way into a function. Header names keep their wire case. */
export interface HttpInvocation {
	readonly requestId: string;
	readonly functionName: string;
	readonly method: string;
	/** Path below the trigger's mount point (`/function/NAME/a/b` → `/a/b`), still percent-encoded. */
	readonly path: string;
	/** Raw query string without `?` (empty string when none). */
	readonly rawQuery: string;
	/** Flat list as Node's `rawHeaders`: name, value, … */
	readonly rawHeaders: readonly string[];
	readonly body: Buffer;
	readonly sourceIp: string;
	/** Host the client addressed (the `Host` header). */
	readonly host: string;
	/** Milliseconds since the epoch when the gateway received the request. */
	readonly receivedAt: number;
	readonly caller?: CallerIdentity;
	/** Aborted when the client goes away or the gateway gives up. */
	readonly signal?: AbortSignal;
	/**
	 * The caller can forward a streamed answer (`HttpResult.stream`). Runtimes that can stream
	 * (the `http` runtime) then answer as soon as the headers arrive; others ignore it.
	 */
	readonly acceptStream?: boolean;
	/**
	 * The function URL's InvokeMode. `RESPONSE_STREAM` (with `acceptStream`): a streaming Node
	 * handler's answer streams, its status and headers from `HttpResponseStream.from`; other
	 * handlers are buffered as on a `BUFFERED` URL (default).
	 */
	readonly invokeMode?: "BUFFERED" | "RESPONSE_STREAM";
}

export interface HttpResult {
	readonly status: number;
	/** Flat list: name, value, … (a name may repeat, e.g. `set-cookie`). */
	readonly headers: readonly string[];
	/** The whole body; empty when `stream` carries it. */
	readonly body: Buffer;
	/**
	 * Only when the invocation set `acceptStream`: the body, still arriving. The runtime's limits
	 * (size, timeout) still apply to it; a stream that breaks them errors, and the caller must
	 * then cut the connection rather than end the answer normally.
	 */
	readonly stream?: Readable;
}

/** A Lambda-API style invocation: a JSON event in, a JSON payload out. */
export interface EventInvocation {
	readonly requestId: string;
	readonly functionName: string;
	readonly payload: Buffer;
	readonly clientContext?: string;
	readonly caller?: CallerIdentity;
	readonly signal?: AbortSignal;
}

export interface EventResult {
	readonly payload: Buffer;
	/** Set when the function threw: Lambda's `X-Amz-Function-Error: Unhandled`. */
	readonly functionError?: "Unhandled" | "Handled";
	/** The tail of the function's log output (Lambda's `X-Amz-Log-Result`, last 4 KB). */
	readonly logTail?: string;
	/** Memory the instance had in use when the invocation ended (Lambda's `Max Memory Used`), when known. */
	readonly memoryUsedMb?: number;
}

/** Lambda's InvokeWithResponseStream quota: 20 MB streamed per response. */
export const STREAM_RESPONSE_BYTES = 20 * 1024 * 1024;

/** An invocation whose answer may be a response stream (`awslambda.streamifyResponse`). */
export interface StreamInvocation extends EventInvocation {
	/** A stream past this many bytes is cut with FUNCTION_RESPONSE_TOO_LARGE. */
	readonly maxResponseBytes: number;
}

/**
 * The answer of a {@link StreamInvocation}: the handler's stream as it arrives, or — a handler
 * that does not stream — its whole result, as Lambda buffers it.
 */
export type StreamAnswer =
	| {
			readonly kind: "stream";
			readonly contentType: string;
			/** Errors (a RuntimeError or the handler's error) when the stream cannot complete. */
			readonly body: Readable;
			/**
			 * Settles when the invocation is over: resolves with the handler's error in Lambda's shape
			 * (`functionError` set) or without one; rejects with a RuntimeError (timeout, crash, size).
			 */
			readonly outcome: Promise<EventResult>;
	  }
	| { readonly kind: "buffered"; readonly result: EventResult };

export interface FunctionRuntime {
	invokeHttp(invocation: HttpInvocation): Promise<HttpResult>;
	invokeEvent(invocation: EventInvocation): Promise<EventResult>;
	/** Runtimes whose handlers can stream their answer (node); others are buffered by the caller. */
	invokeStream?(invocation: StreamInvocation): Promise<StreamAnswer>;
	/** Stop taking work, let in-flight invocations finish (up to `graceMs`), then release everything. */
	close(graceMs?: number): Promise<void>;
	/**
	 * Loads the code the way an invocation would — a sandboxed instance imports the handler — and
	 * rejects with FUNCTION_START_FAILED (the load error in `detail`) when it cannot. Deploys call
	 * it before a revision goes live. Runtimes with nothing to load ahead (fork per request) omit it.
	 */
	probe?(): Promise<void>;
	/** Its warm instances right now, for runtimes that keep a pool (not fork-per-request ones). */
	stats?(): InstanceStats;
}

/** A pool of warm instances as `describe` and the console show it. */
export interface InstanceStats {
	readonly instances: number;
	readonly ready: number;
	readonly busy: number;
	readonly queued: number;
	/** Instances started since the runtime was built (replacements included). */
	readonly started: number;
}

/** Stable codes of runtime failures; the gateway maps them to HTTP (see docs/errors.md). */
export type RuntimeErrorCode =
	| "FUNCTION_TIMEOUT" // 504: the function ran past its timeout; its worker or process was killed
	| "FUNCTION_CRASHED" // 502: the worker exited, ran out of memory, or the process died by signal
	| "FUNCTION_ERROR" // 502: the handler threw or returned something unmappable
	| "FUNCTION_QUEUE_FULL" // 429: every instance busy and the wait queue at its bound
	| "FUNCTION_RATE_LIMITED" // 429: the function's (or the caller's) request rate is over its rateLimit
	| "FUNCTION_CLOSED" // 503: the runtime is shutting down or being replaced
	| "FUNCTION_START_FAILED" // 502: the handler module or executable could not be loaded/started
	| "FUNCTION_RESPONSE_TOO_LARGE"; // 502: a streamed response passed its size limit and was cut

export class RuntimeError extends Error {
	readonly code: RuntimeErrorCode;
	/** Log lines or stderr worth showing to the function's owner (never to anonymous callers). */
	readonly detail: string | undefined;
	constructor(code: RuntimeErrorCode, message: string, detail?: string) {
		super(message);
		this.name = "RuntimeError";
		this.code = code;
		this.detail = detail;
	}
}

/**
 * Lambda's InvokeWithResponseStream (`POST /2021-11-15/functions/{FunctionName}/
 * response-streaming-invocations`): the function's answer as AWS event-stream messages
 * (event-stream.ts) that @aws-sdk/client-lambda and boto3 decode — `PayloadChunk`s as the
 * handler writes, in order (what waited together goes as one), then one `InvokeComplete` with `ErrorCode`/`ErrorDetails`
 * when it failed (also midway: the HTTP status, long sent, stays 200, as on AWS) and
 * `LogResult` for `LogType: Tail`.
 *
 *   RequestResponse  200, `Content-Type` the stream's own (Lambda's ResponseStreamContentType)
 *   DryRun           204, after the same name and permission checks
 *
 * A handler that does not stream is answered the same way, its whole result in one chunk, as
 * AWS buffers it. Bounds: the 20 MB streamed-response quota (cut with
 * Function.ResponseSizeTooLarge), the function's timeout (Sandbox.Timedout), and backpressure —
 * the next piece is read from the function only once the client's socket took the last one.
 */
import { SigilError } from "../errors.ts";
import type { DeployedFunction } from "../functions/registry.ts";
import {
	type EventResult,
	RuntimeError,
	STREAM_RESPONSE_BYTES,
	type StreamAnswer,
} from "../runtime/types.ts";
import { encodeEvent, MAX_MESSAGE_BYTES } from "./event-stream.ts";
import type { Exchange } from "./exchange.ts";
import {
	checkJson,
	clientContextOf,
	functionFailure,
	tailHeader,
} from "./lambda-api.ts";
import { runnable } from "./lambda-qualifiers.ts";
import { send } from "./respond.ts";
import type { Call } from "./route.ts";
import type { FunctionTarget } from "./targets.ts";
import { callerOf, clientGone } from "./trigger.ts";

const INVOCATION_TYPES = new Set(["RequestResponse", "DryRun"]);
/** A buffered answer is split so no message passes the event-stream bound. */
const CHUNK_BYTES = 1024 * 1024;

/** What `InvokeComplete` says: nothing on success, else Lambda's error code and details. */
interface Completion {
	readonly errorCode?: string;
	readonly errorDetails?: string;
}

export async function invokeWithResponseStream({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const { fn, executedVersion } = await runnable(ctx, target);
	const type = ex.header("x-amz-invocation-type") ?? "RequestResponse";
	if (!INVOCATION_TYPES.has(type))
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${type.slice(0, 64)}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [RequestResponse, DryRun]`,
		);
	const logType = ex.header("x-amz-log-type") ?? "None";
	if (logType !== "None" && logType !== "Tail")
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${logType.slice(0, 64)}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]`,
		);
	// Lambda's tenant isolation mode (TenantId) is not something this gateway does: refused,
	// not ignored, so no caller believes its invocation was isolated per tenant.
	if (ex.header("x-amz-tenant-id") !== undefined)
		throw new SigilError(
			"INVALID_PARAMETER",
			"TenantId is not supported on this gateway: functions have no tenant isolation mode",
		);
	checkJson(ex.body);
	const clientContext = clientContextOf(ex);
	if (type === "DryRun") {
		send(ex, 204, Buffer.alloc(0), {
			"x-amz-executed-version": executedVersion,
		});
		return;
	}

	const caller = callerOf(ex.principal);
	const started = performance.now();
	const invocation = {
		requestId: ex.id,
		functionName: fn.name,
		payload: ex.body,
		maxResponseBytes: STREAM_RESPONSE_BYTES,
		...(clientContext !== undefined && { clientContext }),
		...(caller && { caller }),
		signal: clientGone(ex),
	};
	let answer: StreamAnswer;
	try {
		answer =
			fn.runtime.invokeStream !== undefined
				? await fn.runtime.invokeStream(invocation)
				: {
						kind: "buffered",
						result: await fn.runtime.invokeEvent(invocation),
					};
	} catch (err) {
		// Failures Lambda reports as the function's (timeout, crash, import) complete the stream;
		// overload and shutdown stay service errors (429/503), thrown before anything was sent.
		const failure =
			err instanceof RuntimeError ? functionFailure(err, ex.id, fn) : undefined;
		if (failure === undefined) throw err;
		ctx.functions.logs.addFailure(ex.id, fn.arn, err);
		const w = new EventWriter(ex, "application/json", executedVersion);
		await w.complete(
			{ errorCode: failure.errorType, errorDetails: failure.errorMessage },
			logType === "Tail"
				? tailHeader(ctx.functions.logs, ex, fn, started)
				: undefined,
		);
		return;
	}

	if (answer.kind === "buffered") {
		const w = new EventWriter(ex, "application/json", executedVersion);
		const r = answer.result;
		if (r.functionError === undefined)
			for (let i = 0; i < r.payload.length; i += CHUNK_BYTES)
				if (!(await w.chunk(r.payload.subarray(i, i + CHUNK_BYTES)))) return;
		await w.complete(
			completionOf(r),
			logType === "Tail"
				? tailHeader(ctx.functions.logs, ex, fn, started, r.memoryUsedMb)
				: undefined,
		);
		return;
	}

	const w = new EventWriter(ex, answer.contentType, executedVersion);
	// The client went away: the body's reader stops, which cancels the handler's stream.
	ex.res.once("close", () => {
		if (!ex.res.writableFinished) answer.body.destroy();
	});
	let cut: RuntimeError | undefined;
	try {
		for await (const piece of answer.body)
			if (!(await w.chunk(piece as Buffer))) return;
	} catch (err) {
		// A limit the gateway enforced (size, time) says it all, and the client need not wait for
		// the handler to notice; a handler's own error is in the outcome, with its details.
		if (err instanceof RuntimeError && err.code !== "FUNCTION_ERROR") cut = err;
	}
	let completion: Completion;
	let memoryUsedMb: number | undefined;
	try {
		if (cut !== undefined) throw cut;
		const r = await answer.outcome;
		completion = completionOf(r);
		memoryUsedMb = r.memoryUsedMb;
	} catch (err) {
		completion = failureOf(err, ex, fn);
		if (err instanceof Error) ctx.functions.logs.addFailure(ex.id, fn.arn, err);
	}
	await w.complete(
		completion,
		logType === "Tail"
			? tailHeader(ctx.functions.logs, ex, fn, started, memoryUsedMb)
			: undefined,
	);
}

/** A handler's error in InvokeComplete's words: its error type as code, its message as details. */
function completionOf(r: EventResult): Completion {
	if (r.functionError === undefined) return {};
	let error: { errorType?: unknown; errorMessage?: unknown } = {};
	try {
		error = JSON.parse(r.payload.toString("utf8"));
	} catch {
		// a payload that is not Lambda's error shape: named by the header alone
	}
	return {
		errorCode:
			typeof error.errorType === "string" ? error.errorType : r.functionError,
		errorDetails:
			typeof error.errorMessage === "string" ? error.errorMessage : "",
	};
}

function failureOf(
	err: unknown,
	ex: Exchange,
	fn: DeployedFunction,
): Completion {
	const failure =
		err instanceof RuntimeError ? functionFailure(err, ex.id, fn) : undefined;
	if (failure !== undefined)
		return { errorCode: failure.errorType, errorDetails: failure.errorMessage };
	// Shutdown or overload after the stream began: the status is sent, so it is said here.
	return {
		errorCode: "ServiceException",
		errorDetails: `RequestId: ${ex.id} Error: the invocation did not complete`,
	};
}

/** Writes one response as event-stream messages, waiting for the socket between them. */
class EventWriter {
	readonly #ex: Exchange;
	readonly #contentType: string;
	readonly #executedVersion: string;
	#started = false;

	constructor(ex: Exchange, contentType: string, executedVersion: string) {
		this.#ex = ex;
		this.#contentType = contentType;
		this.#executedVersion = executedVersion;
	}

	/** Sends one PayloadChunk; false when the client is gone (stop producing). */
	async chunk(payload: Buffer): Promise<boolean> {
		for (let i = 0; i < payload.length; i += MAX_MESSAGE_BYTES / 2) {
			const part = payload.subarray(i, i + MAX_MESSAGE_BYTES / 2);
			if (
				!(await this.#write(
					encodeEvent("PayloadChunk", "application/octet-stream", part),
				))
			)
				return false;
		}
		return true;
	}

	/** Sends InvokeComplete and ends the response. */
	async complete(c: Completion, logResult: string | undefined): Promise<void> {
		const body = {
			...(c.errorCode !== undefined && { ErrorCode: c.errorCode }),
			...(c.errorDetails !== undefined && { ErrorDetails: c.errorDetails }),
			...(logResult !== undefined && { LogResult: logResult }),
		};
		const message = encodeEvent(
			"InvokeComplete",
			"application/json",
			Buffer.from(JSON.stringify(body), "utf8"),
		);
		if (await this.#write(message)) this.#ex.res.end();
	}

	#head(): void {
		if (this.#started) return;
		this.#started = true;
		const { res } = this.#ex;
		res.statusCode = 200;
		res.setHeader("content-type", this.#contentType);
		res.setHeader("x-amz-executed-version", this.#executedVersion);
		res.setHeader("x-amzn-RequestId", this.#ex.id);
		res.setHeader("x-sigil-request-id", this.#ex.id);
	}

	async #write(message: Buffer): Promise<boolean> {
		const { res } = this.#ex;
		if (res.destroyed || res.writableEnded) return false;
		this.#head();
		if (res.write(message)) return true;
		return new Promise((resolve) => {
			const done = (ok: boolean) => {
				res.off("drain", onDrain);
				res.off("close", onClose);
				resolve(ok);
			};
			const onDrain = () => done(true);
			const onClose = () => done(false);
			res.once("drain", onDrain);
			res.once("close", onClose);
		});
	}
}

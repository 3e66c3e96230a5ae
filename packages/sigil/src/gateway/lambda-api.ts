/**
 * The Lambda Invoke API on Sigil's gateway (AWS Lambda API Reference, "Invoke" and the older
 * "InvokeAsync"), so the AWS CLI, SDKs and hand-written SigV4 signers (service `lambda`) call
 * functions unmodified. The route table makes SigV4 authentication happen first; here: which
 * function, may this caller invoke it (own account, until IAM policies arrive), and how.
 *
 *   RequestResponse  200 + the function's payload; a function error is still a 200, with
 *                    `X-Amz-Function-Error: Unhandled` and `{errorType, errorMessage, trace}`
 *   Event            202, the invocation enqueued durably (retried twice on failure)
 *   DryRun           204, after the same name and permission checks
 */
import { asyncOf } from "../async/index.ts";
import { SigilError } from "../errors.ts";
import {
	type InvocationLogs,
	lambdaLogText,
} from "../functions/invocation-logs.ts";
import type { DeployedFunction } from "../functions/registry.ts";
import { utf8Tail } from "../runtime/log-tail.ts";
import { RuntimeError } from "../runtime/types.ts";
import type { Exchange } from "./exchange.ts";
import { runnable } from "./lambda-qualifiers.ts";
import { send, sendJson } from "./respond.ts";
import type { Call } from "./route.ts";
import { deployedFunction, type FunctionTarget } from "./targets.ts";
import { callerOf, clientGone } from "./trigger.ts";

/** Lambda's payload quotas: 6 MB request/response for synchronous, 256 KB for Event. */
export const SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
export const EVENT_PAYLOAD_BYTES = 256 * 1024;
/** Lambda's ClientContext quota (base64 text). */
const CLIENT_CONTEXT_BYTES = 3583;
const INVOCATION_TYPES = new Set(["RequestResponse", "Event", "DryRun"]);

/**
 * FunctionName as the API accepts it (API_Invoke "FunctionName" pattern): `NAME`, `NAME:QUALIFIER`,
 * `ACCOUNT:function:NAME[:QUALIFIER]` or `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`.
 */
const FUNCTION_NAME =
	/^(?:arn:(?<partition>aws[a-zA-Z-]*):lambda:(?<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):)?(?:(?<account>\d{12}):)?(?:function:)?(?<name>[a-zA-Z0-9_.-]{1,140})(?::(?<qualifier>\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/;

export interface FunctionRef {
	readonly name: string;
	readonly accountId?: string;
	readonly region?: string;
	readonly qualifier?: string;
}

/** Parses a (percent-decoded) FunctionName; `undefined` when it fits none of the forms. */
export function parseFunctionRef(raw: string): FunctionRef | undefined {
	const m = FUNCTION_NAME.exec(raw);
	const g = m?.groups;
	if (!g?.name) return undefined;
	// `ACCOUNT:NAME` without `function:` is not a form Lambda accepts.
	if (g.account && !raw.includes(":function:")) return undefined;
	return {
		name: g.name,
		...(g.account && { accountId: g.account }),
		...(g.region && { region: g.region }),
		...(g.qualifier && { qualifier: g.qualifier }),
	};
}

/**
 * The API versions that prefix Lambda's REST paths (`/2015-03-31/functions/…`,
 * `/2021-10-31/functions/…/url`, …): a path under one of them is a Lambda API call, whether or
 * not this gateway implements that operation, so it is answered in Lambda's words.
 */
export const LAMBDA_API_VERSIONS: ReadonlySet<string> = new Set([
	"2014-11-13",
	"2015-03-31",
	"2016-08-19",
	"2017-03-31",
	"2017-10-31",
	"2018-10-31",
	"2019-09-25",
	"2019-09-30",
	"2020-04-22",
	"2020-06-30",
	"2021-10-31",
	"2021-11-15",
]);

/** True when the path's first segment is one of Lambda's API versions. */
export function isLambdaApiPath(rawPath: string): boolean {
	const first = rawPath.split("/", 2)[1] ?? "";
	return LAMBDA_API_VERSIONS.has(first);
}

/**
 * What an SDK gets for a Lambda path that names no operation here: `UnknownOperationException`
 * (botocore and the SDK v3 raise it by that name), never a bare 404.
 */
export function unknownOperation(method: string, rawPath: string): SigilError {
	return new SigilError(
		"UNKNOWN_OPERATION",
		`Unknown operation: ${method.slice(0, 16)} ${rawPath.slice(0, 200)} is not a Lambda operation this gateway implements`,
	);
}

/** Lambda answers a payload that is not JSON with InvalidRequestContentException. */
export function checkJson(body: Buffer): void {
	if (body.length === 0) return;
	try {
		JSON.parse(body.toString("utf8"));
	} catch (err) {
		throw new SigilError(
			"BAD_REQUEST",
			`Could not parse request body into json: Could not parse payload into json: ${(err as Error).message}`,
		);
	}
}

/** `X-Amz-Client-Context`: base64 of a JSON object, at most 3583 bytes. */
export function clientContextOf(ex: Exchange): string | undefined {
	const value = ex.header("x-amz-client-context");
	if (value === undefined || value === "") return undefined;
	if (value.length > CLIENT_CONTEXT_BYTES)
		throw new SigilError(
			"BAD_REQUEST",
			`Client context must be smaller than ${CLIENT_CONTEXT_BYTES} bytes.`,
		);
	let parsed: unknown;
	try {
		parsed = JSON.parse(Buffer.from(value, "base64").toString("utf8"));
	} catch {
		parsed = undefined;
	}
	if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
		throw new SigilError(
			"BAD_REQUEST",
			"Client context must be a valid Base64-encoded JSON object.",
		);
	return value;
}

function eventTooLarge(size: number): SigilError {
	return new SigilError(
		"BODY_TOO_LARGE",
		`${size} byte payload is too large for the Event invocation type (limit ${EVENT_PAYLOAD_BYTES} bytes)`,
	);
}

/** `POST /2015-03-31/functions/{FunctionName}/invocations`. */
export async function invoke({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	// The version the qualifier names (an alias's, by its weights) runs its own code.
	const { fn, executedVersion } = await runnable(ctx, target);
	const type = ex.header("x-amz-invocation-type") ?? "RequestResponse";
	if (!INVOCATION_TYPES.has(type))
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${type.slice(0, 64)}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
		);
	const logType = ex.header("x-amz-log-type") ?? "None";
	if (logType !== "None" && logType !== "Tail")
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${logType.slice(0, 64)}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]`,
		);
	if (type === "Event" && ex.body.length > EVENT_PAYLOAD_BYTES)
		throw eventTooLarge(ex.body.length);
	checkJson(ex.body);
	const clientContext = clientContextOf(ex);

	if (type === "DryRun") {
		send(ex, 204, Buffer.alloc(0));
		return;
	}
	if (type === "Event") {
		const caller = callerOf(ex.principal);
		await asyncOf(ctx).enqueue({
			id: ex.id,
			accountId: fn.accountId,
			functionName: fn.name,
			payload: ex.body,
			spec: {
				kind: "event",
				...(caller && { caller }),
				// The version the qualifier named (an alias resolved now, by its weights).
				...(executedVersion !== "$LATEST" && {
					version: Number(executedVersion),
				}),
			},
		});
		send(ex, 202, Buffer.alloc(0));
		return;
	}
	await invokeSync(
		ctx.functions.logs,
		ex,
		fn,
		clientContext,
		logType === "Tail",
		executedVersion,
	);
}

async function invokeSync(
	logs: InvocationLogs,
	ex: Exchange,
	fn: DeployedFunction,
	clientContext: string | undefined,
	tail: boolean,
	executedVersion: string,
): Promise<void> {
	const headers: Record<string, string> = {
		"x-amz-executed-version": executedVersion,
	};
	const caller = callerOf(ex.principal);
	const started = performance.now();
	try {
		const r = await fn.runtime.invokeEvent({
			requestId: ex.id,
			functionName: fn.name,
			payload: ex.body,
			...(clientContext !== undefined && { clientContext }),
			...(caller && { caller }),
			signal: clientGone(ex),
		});
		if (r.functionError) headers["x-amz-function-error"] = r.functionError;
		if (tail)
			headers["x-amz-log-result"] = tailHeader(
				logs,
				ex,
				fn,
				started,
				r.memoryUsedMb,
			);
		if (r.payload.length > SYNC_PAYLOAD_BYTES) {
			// Lambda: a response over the quota becomes a function error the caller can read.
			headers["x-amz-function-error"] = "Unhandled";
			sendJson(
				ex,
				200,
				{
					errorType: "Function.ResponseSizeTooLarge",
					errorMessage: `Response payload size (${r.payload.length} bytes) exceeded maximum allowed payload size (${SYNC_PAYLOAD_BYTES} bytes).`,
				},
				headers,
			);
			return;
		}
		send(ex, 200, r.payload, {
			"content-type": "application/json",
			...headers,
		});
	} catch (err) {
		const failure =
			err instanceof RuntimeError ? functionFailure(err, ex.id, fn) : undefined;
		if (!failure) throw err;
		headers["x-amz-function-error"] = "Unhandled";
		logs.addFailure(ex.id, fn.arn, err);
		if (tail) headers["x-amz-log-result"] = tailHeader(logs, ex, fn, started);
		sendJson(ex, 200, failure, headers);
	}
}

/**
 * Lambda's `X-Amz-Log-Result`: the invocation's output between START and END lines, then the
 * REPORT line, as AWS shapes them; the last 4 KB, base64.
 */
export function tailHeader(
	logs: InvocationLogs,
	ex: Exchange,
	fn: DeployedFunction,
	started: number,
	memoryUsedMb?: number,
): string {
	const ms = performance.now() - started;
	const output = logs.peek(ex.id, fn.arn);
	const text = lambdaLogText(ex.id, output, {
		durationMs: ms,
		memorySizeMb: fn.config.memoryMb,
		...(memoryUsedMb !== undefined && { maxMemoryUsedMb: memoryUsedMb }),
	});
	return Buffer.from(utf8Tail(text)).toString("base64");
}

/**
 * Failures Lambda reports as the function's own (200 + `X-Amz-Function-Error`), in its words:
 * a timeout is `Sandbox.Timedout` "Task timed out after N.00 seconds", a dead runtime
 * `Runtime.ExitError`, a module that does not load `Runtime.ImportModuleError`. Overload and
 * shutdown stay service errors (429/503), as in Lambda.
 */
export function functionFailure(
	err: RuntimeError,
	requestId: string,
	fn: DeployedFunction,
): { errorType: string; errorMessage: string } | undefined {
	switch (err.code) {
		case "FUNCTION_TIMEOUT":
			return {
				errorType: "Sandbox.Timedout",
				errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(fn.config.timeoutMs / 1000).toFixed(2)} seconds`,
			};
		case "FUNCTION_CRASHED":
			return {
				errorType: "Runtime.ExitError",
				errorMessage: `RequestId: ${requestId} Error: Runtime exited: ${err.message}`,
			};
		case "FUNCTION_START_FAILED":
			return {
				errorType: "Runtime.ImportModuleError",
				errorMessage: `RequestId: ${requestId} Error: ${err.message}`,
			};
		case "FUNCTION_RESPONSE_TOO_LARGE":
			return {
				errorType: "Function.ResponseSizeTooLarge",
				errorMessage: `RequestId: ${requestId} Error: ${err.message}`,
			};
		case "FUNCTION_ERROR":
			return {
				errorType: "Runtime.Unknown",
				errorMessage: `RequestId: ${requestId} Error: ${err.message}`,
			};
		default:
			return undefined;
	}
}

/** `POST /2014-11-13/functions/{FunctionName}/invoke-async/` (deprecated API, still served). */
export async function invokeAsyncLegacy({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const fn = deployedFunction(target);
	if (ex.body.length > EVENT_PAYLOAD_BYTES) throw eventTooLarge(ex.body.length);
	checkJson(ex.body);
	const caller = callerOf(ex.principal);
	await asyncOf(ctx).enqueue({
		id: ex.id,
		accountId: fn.accountId,
		functionName: fn.name,
		payload: ex.body,
		spec: { kind: "event", ...(caller && { caller }) },
	});
	sendJson(ex, 202, { Status: 202 });
}

/**
 * Lambda's event contract over a pool of warm instances, for runtimes whose instances are not
 * Node (the warm Python host's `handler(event, context)`, a `provided` bootstrap): HTTP requests
 * become function URL events (payload format 2.0) and the result is mapped back by Lambda's
 * rules; Lambda-API invocations pass their JSON through. An error is Lambda's standard error
 * document (`errorMessage`, `errorType`, `stackTrace`), as Lambda answers for these runtimes.
 */
import { buildFunctionUrlEvent } from "./function-url-event.ts";
import { mapFunctionUrlResponse } from "./function-url-response.ts";
import { utf8Tail } from "./log-tail.ts";
import type { FunctionLogRecord } from "./node-runtime.ts";
import type {
	EventInvocation,
	EventResult,
	FunctionRuntime,
	HttpInvocation,
	HttpResult,
} from "./types.ts";
import { RuntimeError } from "./types.ts";
import type { PoolStats, WorkerPool } from "./worker-pool.ts";
import type { DoneMessage, HandlerErrorInfo } from "./worker-protocol.ts";

/** Lambda's bound on a synchronous answer (6 MB as AWS counts it: 6,291,556 bytes). */
export const LAMBDA_MAX_RESPONSE_BYTES = 6_291_556;

/** The error type an instance reports for an answer over its runtime's bound. */
export const RESPONSE_TOO_LARGE = "Function.ResponseSizeTooLarge";

export interface LambdaContractOptions {
	readonly name: string;
	readonly pool: WorkerPool;
	readonly timeoutMs: number;
	/** Shown as `requestContext.accountId` in function URL events. */
	readonly accountId?: string;
	readonly onLog?: (record: FunctionLogRecord) => void;
}

/** A {@link FunctionRuntime} with a view of its pool (for metrics and tests). */
export interface PoolRuntime extends FunctionRuntime {
	stats(): PoolStats;
	/** Starts an instance (the Python host imports the module, a bootstrap reaches its first next). */
	probe(): Promise<void>;
}

/** Lambda's standard error document for a failed invocation. */
export function lambdaErrorDocument(
	error: HandlerErrorInfo,
	requestId: string,
): Record<string, unknown> {
	return {
		errorMessage: error.errorMessage,
		errorType: error.errorType,
		requestId,
		stackTrace: error.trace,
	};
}

/**
 * A `done` message as the instance sent it, checked: the instance is the function's own process,
 * which can write any frame on its pipe, so a malformed answer is that instance breaking the
 * protocol (FUNCTION_CRASHED), never a TypeError in the gateway.
 */
export function checkedDone(name: string, done: DoneMessage): DoneMessage {
	const d = done as unknown as Record<string, unknown>;
	const text = (v: unknown) => typeof v === "string";
	const error = d.error as Record<string, unknown> | undefined;
	const ok =
		text(d.logs) &&
		(d.ok === true
			? text(d.resultJson)
			: d.ok === false &&
				typeof error === "object" &&
				error !== null &&
				text(error.errorType) &&
				text(error.errorMessage) &&
				Array.isArray(error.trace) &&
				error.trace.every(text));
	if (!ok)
		throw new RuntimeError(
			"FUNCTION_CRASHED",
			`function ${name} broke the gateway protocol (a malformed answer)`,
		);
	return done;
}

/** Sends a finished invocation's captured output to the log consumer. */
export function reportLogs(
	o: Pick<LambdaContractOptions, "name" | "onLog">,
	requestId: string,
	done: DoneMessage,
): void {
	if (o.onLog !== undefined && done.logs !== "")
		o.onLog({ functionName: o.name, requestId, text: done.logs });
}

/** The HTTP failure of an invocation whose function failed (thrown, or an answer too large). */
export function functionFailure(
	name: string,
	error: HandlerErrorInfo,
	logs: string,
): RuntimeError {
	if (error.errorType === RESPONSE_TOO_LARGE)
		return new RuntimeError(
			"FUNCTION_ERROR",
			`function ${name}: ${error.errorMessage}`,
		);
	return new RuntimeError(
		"FUNCTION_ERROR",
		`function ${name} threw ${error.errorType}`,
		`${error.errorType}: ${error.errorMessage}\n${error.trace.join("")}\n--- log tail ---\n${utf8Tail(logs)}`,
	);
}

export function lambdaContractRuntime(o: LambdaContractOptions): PoolRuntime {
	const { pool } = o;
	return {
		async invokeHttp(inv: HttpInvocation): Promise<HttpResult> {
			const event = buildFunctionUrlEvent(
				inv,
				o.accountId !== undefined ? { accountId: o.accountId } : {},
			);
			const done = checkedDone(
				o.name,
				await pool.run({
					requestId: inv.requestId,
					eventJson: JSON.stringify(event),
					...(inv.signal !== undefined && { signal: inv.signal }),
				}),
			);
			reportLogs(o, inv.requestId, done);
			if (!done.ok) throw functionFailure(o.name, done.error, done.logs);
			const mapped = mapFunctionUrlResponse(done.resultJson);
			if (!mapped.ok)
				throw new RuntimeError(
					"FUNCTION_ERROR",
					`function ${o.name} returned an invalid response`,
					mapped.detail,
				);
			return mapped.result;
		},

		async invokeEvent(inv: EventInvocation): Promise<EventResult> {
			// Lambda's Invoke API: an empty payload is the event `{}`.
			const text =
				inv.payload.length === 0 ? "{}" : inv.payload.toString("utf8");
			const done = checkedDone(
				o.name,
				await pool.run({
					requestId: inv.requestId,
					eventJson: text,
					...(inv.clientContext !== undefined && {
						clientContext: inv.clientContext,
					}),
					...(inv.signal !== undefined && { signal: inv.signal }),
				}),
			);
			reportLogs(o, inv.requestId, done);
			const logTail = utf8Tail(done.logs);
			const memory =
				done.memoryUsedMb !== undefined
					? { memoryUsedMb: done.memoryUsedMb }
					: {};
			if (done.ok)
				return {
					payload: Buffer.from(done.resultJson, "utf8"),
					logTail,
					...memory,
				};
			return {
				payload: Buffer.from(
					JSON.stringify(lambdaErrorDocument(done.error, inv.requestId)),
					"utf8",
				),
				functionError: "Unhandled",
				logTail,
				...memory,
			};
		},

		close(graceMs?: number): Promise<void> {
			return pool.close(graceMs ?? o.timeoutMs);
		},

		stats: () => pool.stats(),
		probe: () => pool.warm(),
	};
}

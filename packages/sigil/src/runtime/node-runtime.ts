/**
 * The `node` runtime: Lambda-style ESM handlers (`export const handler = async (event, context)
 * => …`) run in a pool of warm instances — each its own long-lived process, in a bubblewrap
 * sandbox (isolation `sandbox`) or not (`process`), or a worker thread of the gateway (`none`,
 * the default when no `instances` is given). HTTP requests arrive as function URL events
 * (payload format 2.0); Lambda-API invocations pass their JSON payload straight through.
 */

import { chmodSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { baseEnvironment } from "./base-env.ts";
import { buildFunctionUrlEvent } from "./function-url-event.ts";
import { mapFunctionUrlResponse } from "./function-url-response.ts";
import { functionUrlStreamResult } from "./function-url-stream.ts";
import {
	LAMBDA_MAX_RESPONSE_BYTES,
	RESPONSE_TOO_LARGE,
} from "./lambda-contract.ts";
import { utf8Tail } from "./log-tail.ts";
import { privateTempDir } from "./private-dir.ts";
import { processInstances } from "./process-instance.ts";
import type { ProcessSandbox } from "./process-runtime.ts";
import {
	freshPerInstance,
	type InstanceCredentials,
	instanceMaxAgeMs,
} from "./role-credentials.ts";
import {
	cgroupPlacement,
	SECRETS_ROOT,
	sandboxArgv,
	sandboxEnvironment,
	TASK_ROOT,
} from "./sandbox.ts";
import { StreamRelay } from "./stream-relay.ts";
import type {
	EventInvocation,
	EventResult,
	FunctionRuntime,
	HttpInvocation,
	HttpResult,
	StreamAnswer,
	StreamInvocation,
} from "./types.ts";
import { RuntimeError, STREAM_RESPONSE_BYTES } from "./types.ts";
import {
	type InstanceFactory,
	type PoolJob,
	type PoolStats,
	threadInstances,
	WorkerPool,
} from "./worker-pool.ts";
import type { DoneMessage, WorkerBoot } from "./worker-protocol.ts";

/**
 * Where a Node function's instances run: worker threads of the gateway (`thread`), or processes
 * of their own (`process`), inside a sandbox when one is given.
 */
export type NodeInstances =
	| { readonly kind: "thread" }
	| { readonly kind: "process"; readonly sandbox?: ProcessSandbox };

/** Sigil's side of an instance process: child-entry.ts and everything it imports. */
const RUNTIME_DIR = dirname(fileURLToPath(import.meta.url));
const CHILD_FILES = [
	"child-entry",
	"frames",
	"function-host",
	"handler-ref",
	"log-tail",
	"own-frames",
	"stream-response",
	"worker-protocol",
];
/** Fixed places inside the sandbox, so nothing there names the host's layout. */
const SANDBOX_NODE = "/opt/sigil/bin/node";
const SANDBOX_RUNTIME = "/opt/sigil/runtime";

let childDir: string | undefined;

/**
 * The instance's side of Sigil as plain JavaScript, written once per gateway process into a
 * fresh private folder (mkdtemp: nobody can have prepared it) made readable to the functions'
 * uids. Loading the .ts sources directly makes every cold start pay Node's type stripping
 * (~100–200 ms here, most of the cold start); the gateway strips them once instead.
 */
function childRuntimeDir(): string {
	if (childDir !== undefined) return childDir;
	const dir = privateTempDir("sigil-runtime-");
	// The warning names an experimental API the gateway calls once; it is not news to the operator.
	const emit = process.emitWarning;
	process.emitWarning = () => {};
	try {
		for (const name of CHILD_FILES) {
			const ts = readFileSync(join(RUNTIME_DIR, `${name}.ts`), "utf8");
			const js = stripTypeScriptTypes(ts).replace(
				/(from\s+["']\.\/[\w-]+)\.ts(["'])/g,
				"$1.js$2",
			);
			writeFileSync(join(dir, `${name}.js`), js, { mode: 0o644 });
		}
	} finally {
		process.emitWarning = emit;
	}
	writeFileSync(join(dir, "package.json"), '{"type":"module"}\n', {
		mode: 0o644,
	});
	chmodSync(dir, 0o755);
	childDir = dir;
	return dir;
}

/** Lambda's synchronous response quota: a streamed answer buffered for Invoke stops here. */
const BUFFERED_RESPONSE_BYTES = 6 * 1024 * 1024;

/** Reads a body whose size the relay already bounds. */
async function collect(body: Readable): Promise<Buffer> {
	const parts: Buffer[] = [];
	for await (const part of body) parts.push(part as Buffer);
	return Buffer.concat(parts);
}

/** One invocation's captured console output, for the invocation log. */
export interface FunctionLogRecord {
	readonly functionName: string;
	/** Undefined for output written outside any invocation (module init, background timers). */
	readonly requestId: string | undefined;
	readonly text: string;
}

export interface NodeRuntimeSpec {
	readonly name: string;
	/** Folder holding the handler module. */
	readonly codeDir: string;
	/** `index.handler` (module `index.{mjs,js,ts}`, export `handler`) or a file such as `handler.js`. */
	readonly handler: string;
	readonly env: Readonly<Record<string, string>>;
	/** Exposed to the function as `SIGIL_SECRETS_DIR`. */
	readonly secretsDir?: string;
	readonly timeoutMs: number;
	/** Heap limit of each worker (`resourceLimits.maxOldGenerationSizeMb`). */
	readonly memoryMb: number;
	/** Workers kept warm even when idle (default 0). */
	readonly minInstances?: number;
	/** Default 4. */
	readonly maxInstances?: number;
	/** Invocations one worker runs at once (default 1). */
	readonly perInstanceConcurrency?: number;
	/** Invocations that may wait for a worker before FUNCTION_QUEUE_FULL (default 100). */
	readonly maxQueue?: number;
	/** Idle workers above minInstances retire after this long (default 60 s). */
	readonly idleTimeoutMs?: number;
	/** The function owner's account, shown as `requestContext.accountId`. */
	readonly accountId?: string;
	/** Shown as `context.invokedFunctionArn`. */
	readonly invokedFunctionArn?: string;
	/** A published version's number (`context.functionVersion`, AWS_LAMBDA_FUNCTION_VERSION); default `$LATEST`. */
	readonly version?: string;
	/** Receives each invocation's console output once it ends; must not throw. */
	readonly onLog?: (record: FunctionLogRecord) => void;
	/** Where instances run (default: worker threads, isolation `none`). */
	readonly instances?: NodeInstances;
	/**
	 * The execution role's credentials: each instance starts with a set of its own and retires
	 * before it expires (role-credentials.ts). Without it, instances get none.
	 */
	readonly credentials?: InstanceCredentials;
}

/** A {@link FunctionRuntime} with a view of its pool (for metrics and tests). */
export interface NodeRuntime extends FunctionRuntime {
	invokeStream(invocation: StreamInvocation): Promise<StreamAnswer>;
	stats(): PoolStats;
}

function positiveInt(name: string, value: number, min: number): number {
	if (!Number.isInteger(value) || value < min) {
		throw new TypeError(
			`node runtime: ${name} must be an integer ≥ ${min}, got ${value}`,
		);
	}
	return value;
}

/** How this function's instances start (see {@link NodeInstances}). */
function instanceFactory(
	spec: NodeRuntimeSpec,
	boot: WorkerBoot,
	env: Record<string, string>,
	memoryMb: number,
): InstanceFactory {
	const how = spec.instances ?? { kind: "thread" };
	if (how.kind === "thread") return threadInstances({ boot, env, memoryMb });
	// The heap limit a worker got from resourceLimits; the sandbox's RLIMIT_DATA bounds the rest.
	const flags = [`--max-old-space-size=${memoryMb}`];
	const sandbox = how.sandbox;
	const runtimeDir = childRuntimeDir();
	if (sandbox === undefined)
		return processInstances({
			argv: [process.execPath, ...flags, join(runtimeDir, "child-entry.js")],
			env,
			cwd: spec.codeDir,
			boot,
			memoryMb,
			captureStdout: spec.onLog !== undefined,
		});
	const own: Record<string, string> = { ...spec.env };
	if (spec.secretsDir !== undefined) own.SIGIL_SECRETS_DIR = SECRETS_ROOT;
	const cgroup = cgroupPlacement(sandbox.host, sandbox.policy.limits);
	return processInstances({
		argv: sandboxArgv(
			sandbox.host,
			{
				...sandbox.policy,
				codeDir: spec.codeDir,
				...(spec.secretsDir !== undefined && { secretsDir: spec.secretsDir }),
				readOnly: [
					...(sandbox.policy.readOnly ?? []),
					[realpathSync(process.execPath), SANDBOX_NODE],
					[runtimeDir, SANDBOX_RUNTIME],
				],
			},
			[SANDBOX_NODE, ...flags, `${SANDBOX_RUNTIME}/child-entry.js`],
		),
		env: sandboxEnvironment(sandbox.identity, own),
		cwd: spec.codeDir,
		boot: { ...boot, codeDir: TASK_ROOT },
		memoryMb,
		captureStdout: spec.onLog !== undefined,
		...(cgroup !== undefined && { cgroup }),
	});
}

/** Creates the runtime; workers start lazily on the first invocation (or now, for minInstances). */
export function createNodeRuntime(spec: NodeRuntimeSpec): NodeRuntime {
	const maxInstances = positiveInt("maxInstances", spec.maxInstances ?? 4, 1);
	const minInstances = positiveInt("minInstances", spec.minInstances ?? 0, 0);
	if (minInstances > maxInstances)
		throw new TypeError("node runtime: minInstances exceeds maxInstances");
	const env: Record<string, string> = {
		...baseEnvironment(),
		...spec.env,
		AWS_LAMBDA_FUNCTION_NAME: spec.name,
		AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
		AWS_LAMBDA_FUNCTION_VERSION: spec.version ?? "$LATEST",
		// Workers cannot chdir; code that reads its own files finds them through this, as on Lambda.
		LAMBDA_TASK_ROOT: resolve(spec.codeDir),
	};
	if (spec.secretsDir !== undefined) env.SIGIL_SECRETS_DIR = spec.secretsDir;
	const onLog = spec.onLog;
	const memoryMb = positiveInt("memoryMb", spec.memoryMb, 8);
	const boot: WorkerBoot = {
		codeDir: spec.codeDir,
		handler: spec.handler,
		functionName: spec.name,
		memoryMb: spec.memoryMb,
		...(spec.version !== undefined && { functionVersion: spec.version }),
		...(spec.invokedFunctionArn !== undefined
			? { invokedFunctionArn: spec.invokedFunctionArn }
			: {}),
	};
	const pool = new WorkerPool({
		name: spec.name,
		boot,
		env,
		instances: freshPerInstance(spec.credentials, (issued) =>
			instanceFactory(
				{ ...spec, env: { ...spec.env, ...issued } },
				boot,
				{ ...env, ...issued },
				memoryMb,
			),
		),
		...(spec.credentials !== undefined && {
			maxInstanceAgeMs: instanceMaxAgeMs(
				spec.credentials.lifetimeMs,
				spec.timeoutMs,
			),
		}),
		memoryMb,
		timeoutMs: positiveInt("timeoutMs", spec.timeoutMs, 1),
		minInstances,
		maxInstances,
		perInstanceConcurrency: positiveInt(
			"perInstanceConcurrency",
			spec.perInstanceConcurrency ?? 1,
			1,
		),
		maxQueue: positiveInt("maxQueue", spec.maxQueue ?? 100, 0),
		idleTimeoutMs: positiveInt(
			"idleTimeoutMs",
			spec.idleTimeoutMs ?? 60_000,
			1,
		),
		...(onLog !== undefined
			? {
					onBackgroundLog: (text: string) =>
						onLog({ functionName: spec.name, requestId: undefined, text }),
				}
			: {}),
	});

	const report = (requestId: string, done: DoneMessage) => {
		if (onLog !== undefined && done.logs !== "")
			onLog({ functionName: spec.name, requestId, text: done.logs });
	};

	const handlerError = (done: Extract<DoneMessage, { ok: false }>) => {
		const { errorType, errorMessage, trace } = done.error;
		return new RuntimeError(
			"FUNCTION_ERROR",
			`function ${spec.name} threw ${errorType}`,
			`${errorType}: ${errorMessage}\n${trace.join("\n")}\n--- log tail ---\n${utf8Tail(done.logs)}`,
		);
	};

	/** Lambda's Invoke result of a finished invocation. */
	const eventResultOf = (done: DoneMessage, payload?: Buffer): EventResult => {
		const logTail = utf8Tail(done.logs);
		const memory =
			done.memoryUsedMb !== undefined
				? { memoryUsedMb: done.memoryUsedMb }
				: {};
		const size = tooLarge(done, payload);
		if (done.ok && size === undefined)
			return {
				payload: payload ?? Buffer.from(done.resultJson, "utf8"),
				logTail,
				...memory,
			};
		return {
			payload: Buffer.from(
				JSON.stringify(
					done.ok
						? {
								errorType: RESPONSE_TOO_LARGE,
								errorMessage: oversizeMessage(size as number),
							}
						: done.error,
				),
				"utf8",
			),
			functionError: "Unhandled",
			logTail,
			...memory,
		};
	};

	/**
	 * Runs a job whose handler may stream. Resolves when the handler starts its stream (the
	 * body then arrives through the relay) or, a handler that does not stream, when it is done.
	 */
	async function runStreaming(
		job: Omit<PoolJob, "stream">,
		maxBytes: number,
	): Promise<
		| {
				kind: "stream";
				contentType: string;
				body: Readable;
				outcome: Promise<DoneMessage>;
		  }
		| { kind: "done"; done: DoneMessage }
	> {
		const relay = new StreamRelay(spec.name, maxBytes);
		const outcome = pool.run({ ...job, stream: relay }).then(
			(done) => {
				report(job.requestId, done);
				if (done.ok) relay.end();
				else relay.fail(handlerError(done));
				return done;
			},
			(err: unknown) => {
				relay.fail(err instanceof Error ? err : new Error(String(err)));
				throw err;
			},
		);
		// Whoever reads the body learns of a failure there; this copy must not crash the gateway.
		outcome.catch(() => {});
		const first = await Promise.race([
			relay.started.then((contentType) => ({ contentType })),
			outcome.then((done) => ({ done })),
		]);
		if ("done" in first && !relay.isStarted)
			return { kind: "done", done: first.done };
		return {
			kind: "stream",
			contentType: await relay.started,
			body: relay.body,
			outcome,
		};
	}

	function eventJob(inv: EventInvocation): Omit<PoolJob, "stream"> {
		// Lambda's Invoke API: an empty payload is the event `{}`. A payload that is not JSON is
		// for the gateway to refuse (Lambda: 400 InvalidRequestContentException); if one gets
		// here, the worker's JSON.parse fails and the caller gets an Unhandled SyntaxError.
		return {
			requestId: inv.requestId,
			eventJson: inv.payload.length === 0 ? "{}" : inv.payload.toString("utf8"),
			...(inv.clientContext !== undefined && {
				clientContext: inv.clientContext,
			}),
			...(inv.signal !== undefined && { signal: inv.signal }),
		};
	}

	async function invokeStream(inv: StreamInvocation): Promise<StreamAnswer> {
		const r = await runStreaming(eventJob(inv), inv.maxResponseBytes);
		if (r.kind === "done")
			return { kind: "buffered", result: eventResultOf(r.done) };
		const outcome = r.outcome.then((done) =>
			eventResultOf(done, Buffer.alloc(0)),
		);
		// A caller that learnt enough from the body (a size or time cut) may never await this:
		// its rejection must not be the gateway's unhandled one (Node would end the process).
		outcome.catch(() => {});
		return {
			kind: "stream",
			contentType: r.contentType,
			body: r.body,
			outcome,
		};
	}

	/** A finished (not streamed) invocation as a function URL answer. */
	function httpResultOf(done: DoneMessage): HttpResult {
		if (!done.ok) throw handlerError(done);
		const size = tooLarge(done);
		if (size !== undefined)
			throw new RuntimeError(
				"FUNCTION_ERROR",
				`function ${spec.name}: ${oversizeMessage(size)}`,
			);
		const mapped = mapFunctionUrlResponse(done.resultJson);
		if (!mapped.ok) {
			throw new RuntimeError(
				"FUNCTION_ERROR",
				`function ${spec.name} returned an invalid response`,
				mapped.detail,
			);
		}
		return mapped.result;
	}

	return {
		async invokeHttp(inv: HttpInvocation): Promise<HttpResult> {
			const event = buildFunctionUrlEvent(
				inv,
				spec.accountId !== undefined ? { accountId: spec.accountId } : {},
			);
			const streaming =
				inv.invokeMode === "RESPONSE_STREAM" && inv.acceptStream === true;
			const r = await runStreaming(
				{
					requestId: inv.requestId,
					eventJson: JSON.stringify(event),
					eventIsJson: true,
					...(inv.signal !== undefined ? { signal: inv.signal } : {}),
				},
				streaming ? STREAM_RESPONSE_BYTES : BUFFERED_RESPONSE_BYTES,
			);
			if (r.kind === "done") return httpResultOf(r.done);
			const result = await functionUrlStreamResult(
				spec.name,
				r.contentType,
				r.body,
			);
			if (streaming || result.stream === undefined) return result;
			// A BUFFERED URL: the whole stream first (bounded at 6 MB), then one answer.
			const body = await collect(result.stream);
			const done = await r.outcome;
			if (!done.ok) throw handlerError(done);
			return { status: result.status, headers: result.headers, body };
		},

		async invokeEvent(inv: EventInvocation): Promise<EventResult> {
			const r = await runStreaming(eventJob(inv), BUFFERED_RESPONSE_BYTES);
			if (r.kind === "done") return eventResultOf(r.done);
			// A streaming handler invoked for a whole answer (Invoke, async events): its bytes.
			let payload: Buffer;
			try {
				payload = await collect(r.body);
			} catch (err) {
				if (err instanceof RuntimeError && err.code !== "FUNCTION_ERROR")
					throw err;
				payload = Buffer.alloc(0);
			}
			return eventResultOf(await r.outcome, payload);
		},

		invokeStream,

		close(graceMs?: number): Promise<void> {
			return pool.close(graceMs ?? spec.timeoutMs);
		},

		probe: () => pool.warm(),

		stats: () => pool.stats(),
	};
}

/**
 * The byte size of a finished invocation's answer when it is over Lambda's 6 MB synchronous
 * bound (the same bound the python3 and provided runtimes keep); undefined when within it.
 */
function tooLarge(done: DoneMessage, payload?: Buffer): number | undefined {
	if (!done.ok || payload !== undefined) return undefined;
	// Cheap first: UTF-8 never takes fewer bytes than UTF-16 units.
	if (done.resultJson.length <= LAMBDA_MAX_RESPONSE_BYTES / 3) return undefined;
	const size = Buffer.byteLength(done.resultJson);
	return size > LAMBDA_MAX_RESPONSE_BYTES ? size : undefined;
}

/** Lambda's words for an answer over the bound. */
function oversizeMessage(size: number): string {
	return `Response payload size (${size} bytes) exceeded maximum allowed payload size (${LAMBDA_MAX_RESPONSE_BYTES} bytes).`;
}

/**
 * The `python3` runtime: warm instances, each one long-lived Python interpreter running Sigil's
 * host (`python-host.py`) in the function's sandbox. The host imports the function's module
 * once and serves many invocations over frames on fd 3, one at a time (as Lambda), in either
 * contract:
 * - `openfaas` (default): `handle(req)` of `handler.py`, OpenFaaS's python3 template — the body
 *   as a string, headers as `Http_*` environment (built here as the classic watchdog does), the
 *   return value as the answer;
 * - `lambda`: `handler(event, context)`, Lambda's Python contract (`lambda-contract.ts`).
 * The pool (`worker-pool.ts`) gives admission, the wait queue, timeouts (the instance is
 * replaced) and crash replacement, as for Node.
 */
import { execFile } from "node:child_process";
import { readdir, readFile, realpath } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { baseEnvironment } from "./base-env.ts";
import {
	checkedDone,
	functionFailure,
	LAMBDA_MAX_RESPONSE_BYTES,
	lambdaContractRuntime,
	lambdaErrorDocument,
	type PoolRuntime,
	reportLogs,
} from "./lambda-contract.ts";
import { utf8Tail } from "./log-tail.ts";
import type { FunctionLogRecord } from "./node-runtime.ts";
import {
	DEFAULT_MAX_OUTPUT_BYTES,
	type ProcessSandbox,
} from "./process-runtime.ts";
import {
	freshPerInstance,
	type InstanceCredentials,
	instanceMaxAgeMs,
	reusedCredentials,
} from "./role-credentials.ts";
import { installPrefix } from "./sandbox.ts";
import type { EventResult, HttpResult } from "./types.ts";
import { RuntimeError } from "./types.ts";
import { warmEnvironment, warmProcessInstances } from "./warm-process.ts";
import { buildWatchdogEnv } from "./watchdog-env.ts";
import { WorkerPool } from "./worker-pool.ts";

/** Which Python contract the function's code follows. */
export type PythonContract = "openfaas" | "lambda";
export const PYTHON_CONTRACTS: readonly PythonContract[] = [
	"openfaas",
	"lambda",
];

/** The handler each contract calls when none is named. */
export const DEFAULT_PYTHON_ENTRY: Readonly<Record<PythonContract, string>> = {
	openfaas: "handler.handle",
	lambda: "lambda_function.lambda_handler",
};

export interface Python3RuntimeSpec {
	readonly name: string;
	/** The function's code folder (the working directory and first entry of sys.path). */
	readonly cwd: string;
	readonly env: Readonly<Record<string, string>>;
	/** Exposed to the function as `SIGIL_SECRETS_DIR`. */
	readonly secretsDir?: string;
	readonly timeoutMs: number;
	/** Default openfaas (`handle(req)` of handler.py). */
	readonly contract?: PythonContract;
	/** `module.function` (default per contract, see {@link DEFAULT_PYTHON_ENTRY}). */
	readonly entry?: string;
	/** Lambda's memory size, as the function sees it (default 256). */
	readonly memoryMb?: number;
	/** Instances kept warm while idle (default 0). */
	readonly minInstances?: number;
	/** Instances at most (default 4); each runs one invocation at a time. */
	readonly maxInstances?: number;
	/** Invocations that may wait for an instance before FUNCTION_QUEUE_FULL (default 100). */
	readonly maxQueue?: number;
	/** Idle instances above minInstances retire after this long (default 60 s). */
	readonly idleTimeoutMs?: number;
	/**
	 * Bound of one answer: default 32 MiB for openfaas (the process runtime's stdout bound),
	 * Lambda's 6,291,556 bytes for lambda. Over it the invocation fails, the instance lives on.
	 */
	readonly maxResponseBytes?: number;
	/** Shown as `context.invoked_function_arn`. */
	readonly invokedFunctionArn?: string;
	/** Shown as `requestContext.accountId` (lambda contract over HTTP). */
	readonly accountId?: string;
	/** Run every instance in this bubblewrap sandbox (see sandbox.ts). */
	readonly sandbox?: ProcessSandbox;
	/**
	 * The execution role's credentials: each interpreter starts with a set of its own and is
	 * retired before it expires; an openfaas invocation's environment carries a current set.
	 */
	readonly credentials?: InstanceCredentials;
	/** Receives each invocation's output (print, stderr, tracebacks) once it ends; must not throw. */
	readonly onLog?: (record: FunctionLogRecord) => void;
	/** Interpreter to run (default: `python3` on PATH, resolved once to its real executable). */
	readonly python?: string;
}

/** Sigil's host script, and where a sandbox sees it. */
const PYTHON_HOST = fileURLToPath(new URL("./python-host.py", import.meta.url));
const SANDBOX_HOST = "/opt/sigil/python-host.py";
const SANDBOX_PYTHON = "/opt/sigil/python";

/** Quotes one word for `splitCommand` (single quotes: nothing inside is special). */
export function quoteWord(word: string): string {
	return `'${word.replaceAll("'", `'\\''`)}'`;
}

const resolved = new Map<string, Promise<string>>();

/**
 * `python3` as found on PATH, resolved to `sys.executable` once per PATH. Version managers put a
 * shell-script shim first on PATH (pyenv's costs ~100 ms per start); a fork-per-request runtime
 * should pay that once, not per request. Falls back to plain `python3` when the probe fails.
 */
export function resolvePython(
	path = baseEnvironment().PATH ?? "",
): Promise<string> {
	let found = resolved.get(path);
	if (!found) {
		found = new Promise((done) => {
			execFile(
				"python3",
				["-c", "import sys; sys.stdout.write(sys.executable)"],
				{ env: { ...baseEnvironment(), PATH: path }, timeout: 10_000 },
				(err, stdout) =>
					done(err || stdout.trim() === "" ? "python3" : stdout.trim()),
			);
		});
		resolved.set(path, found);
	}
	return found;
}

/** The distribution names a requirements file asks for (PEP 503-normalised), comments and options skipped. */
export function requirementNames(text: string): string[] {
	const names: string[] = [];
	for (const raw of text.split(/\r?\n/)) {
		const line = raw.replace(/(^|\s)#.*$/, "").trim();
		if (line === "" || line.startsWith("-")) continue;
		const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line);
		if (m) names.push(normaliseName(m[1] as string));
	}
	return names;
}

function normaliseName(name: string): string {
	return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/**
 * Sigil installs nothing (no network, no pip at deploy): a `requirements.txt` is accepted only
 * when every package it names is vendored in the folder (`pip install -r requirements.txt
 * --target .` leaves a `NAME-VERSION.dist-info` for each). Returns the missing names.
 */
export async function missingRequirements(codeDir: string): Promise<string[]> {
	let text: string;
	try {
		text = await readFile(join(codeDir, "requirements.txt"), "utf8");
	} catch {
		return [];
	}
	const wanted = requirementNames(text);
	if (wanted.length === 0) return [];
	const vendored = new Set<string>();
	for (const entry of await readdir(codeDir)) {
		const m = /^(.+?)-[^-]+\.(dist-info|egg-info)$/.exec(entry);
		if (m) vendored.add(normaliseName(m[1] as string));
	}
	return wanted.filter((n) => !vendored.has(n));
}

/** Builds a python3 function: checks the folder, then serves invocations from warm instances. */
export async function createPython3Runtime(
	spec: Python3RuntimeSpec,
): Promise<PoolRuntime> {
	const missing = await missingRequirements(spec.cwd);
	if (missing.length > 0)
		throw new RuntimeError(
			"FUNCTION_START_FAILED",
			`function ${spec.name}: requirements.txt asks for ${missing.join(", ")}, which Sigil cannot install (it installs nothing at deploy); vendor them into the handler folder with \`pip install -r requirements.txt --target <folder>\` and deploy again`,
		);
	const contract = spec.contract ?? "openfaas";
	const entry = spec.entry ?? DEFAULT_PYTHON_ENTRY[contract];
	if (!/^[A-Za-z_][\w./]*\.[A-Za-z_]\w*$/.test(entry))
		throw new RuntimeError(
			"FUNCTION_START_FAILED",
			`function ${spec.name}: handler ${JSON.stringify(entry)} is not module.function (e.g. ${DEFAULT_PYTHON_ENTRY[contract]})`,
		);
	const maxResponseBytes =
		spec.maxResponseBytes ??
		(contract === "lambda"
			? LAMBDA_MAX_RESPONSE_BYTES
			: DEFAULT_MAX_OUTPUT_BYTES);
	const memoryMb = spec.memoryMb ?? 256;
	let interpreter = spec.python ?? (await resolvePython());
	let host = PYTHON_HOST;
	const readOnly: [string, string][] = [];
	if (spec.sandbox) {
		// Inside the sandbox only /usr is there: an interpreter installed elsewhere (pyenv, a
		// venv's base) is bound read-only at a fixed place with its whole prefix (its stdlib), and
		// the host script beside it. Python finds its prefix from where it runs.
		readOnly.push([PYTHON_HOST, SANDBOX_HOST]);
		host = SANDBOX_HOST;
		const real = await realpath(interpreter).catch(() => interpreter);
		if (real.startsWith("/")) {
			if (real.startsWith("/usr/")) interpreter = real;
			else {
				const prefix = installPrefix(real);
				readOnly.push([prefix, SANDBOX_PYTHON]);
				interpreter = join(SANDBOX_PYTHON, relative(prefix, real));
			}
		}
	}
	const boot = {
		codeDir: spec.cwd,
		handler: entry,
		functionName: spec.name,
		memoryMb,
		...(spec.invokedFunctionArn !== undefined && {
			invokedFunctionArn: spec.invokedFunctionArn,
		}),
	};
	const onLog = spec.onLog;
	const pool = new WorkerPool({
		name: spec.name,
		boot,
		env: {},
		memoryMb,
		timeoutMs: spec.timeoutMs,
		minInstances: spec.minInstances ?? 0,
		maxInstances: spec.maxInstances ?? 4,
		// One invocation at a time per interpreter, as Lambda: the host is sequential (the GIL
		// would serialise CPU-bound handlers anyway) and os.environ is per invocation.
		perInstanceConcurrency: 1,
		maxQueue: spec.maxQueue ?? 100,
		idleTimeoutMs: spec.idleTimeoutMs ?? 60_000,
		...(spec.credentials !== undefined && {
			maxInstanceAgeMs: instanceMaxAgeMs(
				spec.credentials.lifetimeMs,
				spec.timeoutMs,
			),
		}),
		instances: freshPerInstance(spec.credentials, (issued) =>
			warmProcessInstances({
				name: spec.name,
				codeDir: spec.cwd,
				env: { ...spec.env, ...issued },
				...(spec.secretsDir !== undefined && { secretsDir: spec.secretsDir }),
				memoryMb,
				...(spec.sandbox && { sandbox: spec.sandbox }),
				// -B: the code folder is shared by every instance and stays as deployed (no __pycache__).
				command: [
					interpreter,
					"-B",
					host,
					contract,
					entry,
					String(maxResponseBytes),
				],
				readOnly,
				runtimeEnv: { PYTHONIOENCODING: "utf-8", PYTHONUNBUFFERED: "1" },
				boot,
				captureStdout: onLog !== undefined,
			}),
		),
		...(onLog !== undefined && {
			onBackgroundLog: (text: string) =>
				onLog({ functionName: spec.name, requestId: undefined, text }),
		}),
	});
	const options = {
		name: spec.name,
		pool,
		timeoutMs: spec.timeoutMs,
		...(spec.accountId !== undefined && { accountId: spec.accountId }),
		...(onLog !== undefined && { onLog }),
	};
	if (contract === "lambda") return lambdaContractRuntime(options);
	return openfaasContract(spec, options, pool);
}

/** OpenFaaS's python3 template over the pool: body and `Http_*` env in, the answer's bytes out. */
function openfaasContract(
	spec: Python3RuntimeSpec,
	options: Parameters<typeof lambdaContractRuntime>[0],
	pool: WorkerPool,
): PoolRuntime {
	const base = lambdaBase(spec);
	const secretsDir =
		spec.sandbox && spec.secretsDir !== undefined
			? "/run/sigil/secrets"
			: spec.secretsDir;
	const own: Record<string, string> = { ...spec.env };
	// The host replaces os.environ for each invocation: a current set goes with every one.
	const credentials = reusedCredentials(spec.credentials, spec.timeoutMs);
	async function run(
		requestId: string,
		env: Record<string, string>,
		body: Buffer,
		signal?: AbortSignal,
	) {
		const done = checkedDone(
			spec.name,
			await pool.run({
				requestId,
				eventJson: JSON.stringify({ body: body.toString("base64"), env }),
				...(signal !== undefined && { signal }),
			}),
		);
		reportLogs(options, requestId, done);
		return done;
	}
	return {
		async invokeHttp(inv): Promise<HttpResult> {
			const env = buildWatchdogEnv(
				base,
				{ ...own, ...credentials() },
				{
					method: inv.method,
					path: inv.path,
					rawQuery: inv.rawQuery,
					host: inv.host,
					rawHeaders: inv.rawHeaders,
					contentLength: inv.body.length,
				},
				secretsDir,
			);
			const done = await run(inv.requestId, env, inv.body, inv.signal);
			if (!done.ok) {
				if (done.error.errorType === "Function.ResponseSizeTooLarge")
					throw functionFailure(spec.name, done.error, done.logs);
				// The template's answer to an exception: 500; the traceback stays in the logs.
				return {
					status: 500,
					headers: ["content-type", "text/plain; charset=utf-8"],
					body: Buffer.from(
						"handle(req) raised an exception; the traceback is in the function's logs\n",
					),
				};
			}
			const contentType =
				headerValue(inv.rawHeaders, "content-type") ??
				"text/plain; charset=utf-8";
			return {
				status: 200,
				headers: ["content-type", contentType],
				body: answerBytes(spec.name, done.resultJson),
			};
		},

		async invokeEvent(inv): Promise<EventResult> {
			const env: Record<string, string> = {
				...base,
				...own,
				...credentials(),
			};
			if (secretsDir !== undefined) env.SIGIL_SECRETS_DIR = secretsDir;
			const done = await run(inv.requestId, env, inv.payload, inv.signal);
			const logTail = utf8Tail(done.logs);
			if (done.ok)
				return { payload: answerBytes(spec.name, done.resultJson), logTail };
			return {
				payload: Buffer.from(
					JSON.stringify(lambdaErrorDocument(done.error, inv.requestId)),
				),
				functionError: "Unhandled",
				logTail,
			};
		},

		close: (graceMs?: number) => pool.close(graceMs ?? spec.timeoutMs),
		stats: () => pool.stats(),
		probe: () => pool.warm(),
	};
}

/** The environment every invocation starts from (the instance's own, without the function's variables). */
function lambdaBase(spec: Python3RuntimeSpec): Record<string, string> {
	const all = warmEnvironment({
		name: spec.name,
		codeDir: spec.cwd,
		env: {},
		memoryMb: spec.memoryMb ?? 256,
		...(spec.sandbox && { sandbox: spec.sandbox }),
	});
	return {
		...all,
		PYTHONIOENCODING: "utf-8",
		PYTHONUNBUFFERED: "1",
	};
}

/** The answer's bytes as the host sent them (`{"body": base64}`); anything else breaks the protocol. */
function answerBytes(name: string, resultJson: string): Buffer {
	let body: unknown;
	try {
		body = (JSON.parse(resultJson) as { body?: unknown }).body;
	} catch {
		body = undefined;
	}
	if (typeof body !== "string")
		throw new RuntimeError(
			"FUNCTION_CRASHED",
			`function ${name} broke the gateway protocol (a malformed answer)`,
		);
	return Buffer.from(body, "base64");
}

function headerValue(
	rawHeaders: readonly string[],
	name: string,
): string | undefined {
	for (let i = 0; i + 1 < rawHeaders.length; i += 2)
		if ((rawHeaders[i] as string).toLowerCase() === name)
			return rawHeaders[i + 1];
	return undefined;
}

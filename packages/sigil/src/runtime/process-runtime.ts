/**
 * The `process` runtime, after OpenFaaS's classic watchdog: one child process per request, the
 * body on stdin, stdout as the response, request headers as `Http_*` environment variables.
 */
import { AdmissionGate } from "./admission-gate.ts";
import { baseEnvironment } from "./base-env.ts";
import { utf8Tail } from "./log-tail.ts";
import {
	type InstanceCredentials,
	reusedCredentials,
} from "./role-credentials.ts";
import {
	type ProcessOutcome,
	type ProcessTracker,
	runProcess,
} from "./run-process.ts";
import {
	cgroupPlacement,
	type LambdaIdentity,
	type SandboxHost,
	type SandboxPolicy,
	SECRETS_ROOT,
	sandboxArgv,
	sandboxEnvironment,
} from "./sandbox.ts";
import { splitCommand } from "./split-command.ts";
import type {
	EventInvocation,
	EventResult,
	FunctionRuntime,
	HttpInvocation,
	HttpResult,
} from "./types.ts";
import { RuntimeError } from "./types.ts";
import { buildWatchdogEnv } from "./watchdog-env.ts";

export interface ProcessRuntimeSpec {
	readonly name: string;
	/** Command line, split into words like a shell would (quotes, backslashes) but run without one. */
	readonly fprocess: string;
	readonly cwd: string;
	readonly env: Readonly<Record<string, string>>;
	/** Exposed to the process as `SIGIL_SECRETS_DIR`. */
	readonly secretsDir?: string;
	readonly timeoutMs: number;
	/** Processes running at once (default 8). */
	readonly maxConcurrency?: number;
	/** Requests that may wait for a free place before FUNCTION_QUEUE_FULL (default 100). */
	readonly maxQueue?: number;
	/** stdout beyond this kills the process (default 32 MiB). */
	readonly maxOutputBytes?: number;
	/** Put stderr into 500 responses too (the watchdog's `write_debug`); off by default. */
	readonly writeDebug?: boolean;
	/**
	 * Run every process in a bubblewrap sandbox (see sandbox.ts): `cwd` and `secretsDir` become
	 * the policy's /var/task and /run/sigil/secrets, and the environment is the sandbox's clean
	 * one plus `env`, nothing of the gateway's. Without it the process runs with the gateway's
	 * uid and file system (isolation `process`/`none`).
	 */
	readonly sandbox?: ProcessSandbox;
	/** The execution role's credentials, in every process's environment. */
	readonly credentials?: InstanceCredentials;
	/** Receives each invocation's stderr once its process ends; must not throw. */
	readonly onLog?: (record: {
		readonly functionName: string;
		readonly requestId: string | undefined;
		readonly text: string;
	}) => void;
}

export interface ProcessSandbox {
	readonly host: SandboxHost;
	/** codeDir/secretsDir come from the spec's `cwd`/`secretsDir`. */
	readonly policy: Omit<SandboxPolicy, "codeDir" | "secretsDir">;
	readonly identity: LambdaIdentity;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

function headerValue(
	rawHeaders: readonly string[],
	name: string,
): string | undefined {
	for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
		if ((rawHeaders[i] as string).toLowerCase() === name)
			return rawHeaders[i + 1];
	}
	return undefined;
}

export function createProcessRuntime(
	spec: ProcessRuntimeSpec,
): FunctionRuntime {
	const split = splitCommand(spec.fprocess);
	const maxOutputBytes = spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
	const gate = new AdmissionGate(
		spec.name,
		spec.maxConcurrency ?? 8,
		spec.maxQueue ?? 100,
	);
	const tracker: ProcessTracker = { groups: new Set() };
	const sandbox = spec.sandbox;
	// Inside a sandbox the base is the sandbox's own PATH/HOME/LANG and the Lambda variables;
	// the function's env is applied on top by buildWatchdogEnv / below, as without one.
	const base = sandbox
		? sandboxEnvironment(sandbox.identity, {})
		: baseEnvironment();
	const secretsDir =
		sandbox && spec.secretsDir !== undefined ? SECRETS_ROOT : spec.secretsDir;
	const argv =
		split.ok && sandbox
			? sandboxArgv(
					sandbox.host,
					{
						...sandbox.policy,
						codeDir: spec.cwd,
						...(spec.secretsDir !== undefined && {
							secretsDir: spec.secretsDir,
						}),
					},
					split.argv,
				)
			: split.ok
				? split.argv
				: [];
	const cgroup = sandbox
		? cgroupPlacement(sandbox.host, sandbox.policy.limits)
		: undefined;
	/** The function's variables, with SIGIL_SECRETS_DIR pointing where it sees the folder. */
	const ownEnv: Record<string, string> = { ...spec.env };
	if (secretsDir !== undefined) ownEnv.SIGIL_SECRETS_DIR = secretsDir;
	/** ownEnv with the role's credentials (a set every process ends well before it expires). */
	const credentials = reusedCredentials(spec.credentials, spec.timeoutMs);
	const processEnv = (): Record<string, string> =>
		spec.credentials ? { ...ownEnv, ...credentials() } : ownEnv;

	/** Runs one process under the gate; maps the failures every invocation kind shares. */
	async function run(
		requestId: string,
		env: Record<string, string>,
		stdin: Buffer,
		signal: AbortSignal | undefined,
	) {
		if (!split.ok) {
			throw new RuntimeError(
				"FUNCTION_START_FAILED",
				`function ${spec.name} has an invalid fprocess`,
				split.detail,
			);
		}
		const release = await gate.acquire(signal);
		let outcome: ProcessOutcome;
		try {
			outcome = await runProcess(
				{
					argv,
					cwd: spec.cwd,
					env,
					stdin,
					timeoutMs: spec.timeoutMs,
					maxOutputBytes,
					...(signal !== undefined ? { signal } : {}),
					...(cgroup !== undefined && { cgroup }),
				},
				tracker,
			);
		} finally {
			release();
		}
		// stderr is the function's log (stdout is its answer): Python tracebacks, a crash's last words.
		if ("stderr" in outcome && outcome.stderr !== "")
			spec.onLog?.({
				functionName: spec.name,
				requestId,
				text: outcome.stderr,
			});
		switch (outcome.kind) {
			case "spawn-failed":
				throw new RuntimeError(
					"FUNCTION_START_FAILED",
					`function ${spec.name} could not be started`,
					outcome.detail,
				);
			case "timeout":
				throw new RuntimeError(
					"FUNCTION_TIMEOUT",
					`function ${spec.name} timed out after ${spec.timeoutMs} ms; its process group was killed`,
					utf8Tail(outcome.stderr),
				);
			case "output-limit":
				throw new RuntimeError(
					"FUNCTION_ERROR",
					`function ${spec.name} wrote more than ${maxOutputBytes} bytes to stdout (maxOutputBytes); its process was killed`,
				);
			case "aborted":
				throw signal?.reason ?? new Error("aborted");
			case "exited":
				if (outcome.signal !== null) {
					throw new RuntimeError(
						"FUNCTION_CRASHED",
						`function ${spec.name} was killed by ${outcome.signal}`,
						utf8Tail(outcome.stderr),
					);
				}
				return outcome;
		}
	}

	return {
		async invokeHttp(inv: HttpInvocation): Promise<HttpResult> {
			const env = buildWatchdogEnv(
				base,
				processEnv(),
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
			const out = await run(inv.requestId, env, inv.body, inv.signal);
			if (out.code !== 0) {
				// The watchdog answers 500 with the error ("exit status N") and the output; stderr
				// stays in the logs unless writeDebug.
				const parts = [Buffer.from(`exit status ${out.code}\n`), out.stdout];
				if (spec.writeDebug === true && out.stderr !== "")
					parts.push(Buffer.from(out.stderr));
				return {
					status: 500,
					headers: ["content-type", "text/plain; charset=utf-8"],
					body: Buffer.concat(parts),
				};
			}
			const contentType =
				headerValue(inv.rawHeaders, "content-type") ??
				"text/plain; charset=utf-8";
			return {
				status: 200,
				headers: ["content-type", contentType],
				body: out.stdout,
			};
		},

		async invokeEvent(inv: EventInvocation): Promise<EventResult> {
			const env: Record<string, string> = { ...base, ...processEnv() };
			const out = await run(inv.requestId, env, inv.payload, inv.signal);
			const logTail = utf8Tail(out.stderr);
			if (out.code === 0) return { payload: out.stdout, logTail };
			const error = {
				errorType: "ProcessExit",
				errorMessage: logTail || `exit status ${out.code}`,
				trace: [],
			};
			return {
				payload: Buffer.from(JSON.stringify(error)),
				functionError: "Unhandled",
				logTail,
			};
		},

		async close(graceMs?: number): Promise<void> {
			await gate.close(graceMs ?? spec.timeoutMs);
			for (const pid of tracker.groups) {
				try {
					process.kill(-pid, "SIGKILL");
				} catch {
					// already gone
				}
			}
		},
	};
}

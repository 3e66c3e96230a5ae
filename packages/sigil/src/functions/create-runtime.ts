/**
 * Turns a validated function config into a running runtime of the right kind. The runtime
 * package knows nothing of configs or stores; this is the one place that translates.
 */
import { chmod, chown, lstat, readdir } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import type { FunctionConfig } from "../config/function-config.ts";
import { SigilError } from "../errors.ts";
import { createHttpRuntime } from "../runtime/http-runtime.ts";
import {
	createNodeRuntime,
	type FunctionLogRecord,
	type NodeInstances,
} from "../runtime/node-runtime.ts";
import {
	createProcessRuntime,
	type ProcessSandbox,
} from "../runtime/process-runtime.ts";
import { createProvidedRuntime } from "../runtime/provided-runtime.ts";
import { createPython3Runtime } from "../runtime/python3-runtime.ts";
import type { InstanceCredentials } from "../runtime/role-credentials.ts";
import {
	DEFAULT_LIMITS,
	functionUid,
	type RuntimeIsolation,
} from "../runtime/sandbox.ts";
import { type FunctionRuntime, RuntimeError } from "../runtime/types.ts";
import { type RoleCheck, roleCheckedRuntime } from "./role-checked-runtime.ts";

export interface RuntimeInput {
	readonly name: string;
	readonly arn: string;
	readonly config: FunctionConfig;
	readonly codeDir: string;
	readonly secretsDir: string | undefined;
	/** AWS_REGION inside a sandbox (default us-east-1). */
	readonly region?: string;
	/** A published version's number, for AWS_LAMBDA_FUNCTION_VERSION (default `$LATEST`). */
	readonly version?: string;
	/** How the runtime keeps the function from the gateway (chosen once, at start; default none). */
	readonly isolation?: RuntimeIsolation;
	/** Receives each invocation's output (and output outside any invocation); must not throw. */
	readonly onLog?: (record: FunctionLogRecord) => void;
	/** The execution role's credentials, for the runtimes that hand them to code (ROLE_RUNTIMES). */
	readonly credentials?: InstanceCredentials;
	/** Asked before each invocation whether the role may still be used (iam/execution-role.ts). */
	readonly roleCheck?: RoleCheck;
}

/**
 * The sandbox of a fork-per-request function: its uid (root gateway), its limits, its network.
 * Prepares the host side too: the function's uid must read its code and its secrets.
 */
async function processSandbox(
	input: RuntimeInput,
	instance: "fork" | "node" | "warm" = "fork",
): Promise<ProcessSandbox | undefined> {
	const iso = input.isolation;
	if (iso?.kind !== "sandbox") return undefined;
	const { config } = input;
	const uid = functionUid(input.arn, iso.uidRange);
	if (iso.host.privileged) {
		// The data directory stays 0700 (nobody on the host reaches inside); the bound code folder
		// is made readable to others so the function's own uid can read what was deployed, and
		// the function's secrets folder (one per activation) becomes that uid's alone.
		await shareReadable(input.codeDir);
		if (input.secretsDir !== undefined) await chownTree(input.secretsDir, uid);
	}
	return {
		host: iso.host,
		policy: {
			network: config.network,
			uid,
			gid: uid,
			limits:
				instance === "warm"
					? {
							...DEFAULT_LIMITS,
							// A warm Python host or bootstrap: the function's memory plus room for the
							// interpreter itself; no RLIMIT_CPU (each invocation's timeout bounds it).
							memoryMb: config.memoryMb + 64,
						}
					: instance === "node"
						? {
								...DEFAULT_LIMITS,
								// The heap is bounded by --max-old-space-size; RLIMIT_DATA is the backstop for
								// native memory (Buffers). Node counts ~560 MiB of V8 reservations in VmData
								// before any code runs, hence the fixed part.
								memoryMb: 1024 + 2 * config.memoryMb,
								// Threads count too (a Node process has ~10): room for every instance.
								maxProcesses: Math.max(
									DEFAULT_LIMITS.maxProcesses,
									32 * config.concurrency.max,
								),
								// No RLIMIT_CPU: a warm instance's CPU adds up over many invocations; each
								// invocation's timeout bounds it instead.
							}
						: {
								...DEFAULT_LIMITS,
								memoryMb: config.memoryMb,
								// One process per request: its CPU cannot usefully exceed its wall-clock timeout.
								cpuSeconds: Math.ceil(config.timeoutMs / 1000) + 1,
							},
		},
		identity: {
			functionName: input.name,
			...(input.version !== undefined && { version: input.version }),
			memoryMb: config.memoryMb,
			region: input.region ?? "us-east-1",
			...(config.runtime === "node" && { handler: config.entry }),
		},
	};
}

/** Adds read (and, for folders, search) permission for others, recursively; never removes any. */
async function shareReadable(dir: string): Promise<void> {
	const info = await lstat(dir);
	if ((info.mode & 0o005) !== 0o005)
		await chmod(dir, (info.mode & 0o7777) | 0o005);
	for (const entry of await readdir(dir, { withFileTypes: true })) {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) await shareReadable(path);
		else if (entry.isFile()) {
			const m = (await lstat(path)).mode;
			if ((m & 0o004) === 0) await chmod(path, (m & 0o7777) | 0o004);
		}
	}
}

async function chownTree(dir: string, uid: number): Promise<void> {
	await chown(dir, uid, uid);
	for (const entry of await readdir(dir, { withFileTypes: true }))
		await chown(join(dir, entry.name), uid, uid);
}

/**
 * The runtime `input` asks for; with an execution role, every invocation first checks that Lambda
 * may still assume it (role-checked-runtime.ts).
 */
export async function createRuntime(
	input: RuntimeInput,
): Promise<FunctionRuntime> {
	const runtime = await runtimeFor(input);
	return input.roleCheck
		? roleCheckedRuntime(runtime, input.roleCheck)
		: runtime;
}

async function runtimeFor(input: RuntimeInput): Promise<FunctionRuntime> {
	const { config } = input;
	if (input.credentials && !ROLE_RUNTIMES.has(config.runtime))
		throw new SigilError(
			"INVALID_CONFIG",
			`config.role: runtime ${config.runtime} does not hand execution-role credentials to its code yet (node, process, provided and python3 do); remove the role or use one of those`,
		);
	const env = {
		...config.environment,
		...(input.secretsDir && { SIGIL_SECRETS_DIR: input.secretsDir }),
	};
	switch (config.runtime) {
		case "node": {
			// isolation none: worker threads; process: own processes; sandbox: own sandboxed processes.
			const kind = input.isolation?.kind ?? "none";
			const instances: NodeInstances | undefined =
				kind === "none"
					? undefined
					: kind === "process"
						? { kind: "process" }
						: {
								kind: "process",
								sandbox: (await processSandbox(
									input,
									"node",
								)) as ProcessSandbox,
							};
			return createNodeRuntime({
				name: input.name,
				codeDir: input.codeDir,
				handler: config.entry,
				env,
				...(input.secretsDir && { secretsDir: input.secretsDir }),
				timeoutMs: config.timeoutMs,
				memoryMb: config.memoryMb,
				minInstances: config.concurrency.min,
				maxInstances: config.concurrency.max,
				perInstanceConcurrency: config.concurrency.perInstance,
				maxQueue: config.concurrency.queue,
				invokedFunctionArn: input.arn,
				...(input.version !== undefined && { version: input.version }),
				...(instances && { instances }),
				...(input.onLog && { onLog: input.onLog }),
				...(input.credentials && { credentials: input.credentials }),
			});
		}
		case "process": {
			const sandbox = await processSandbox(input);
			return createProcessRuntime({
				name: input.name,
				fprocess: config.fprocess as string,
				cwd: input.codeDir,
				env,
				...(input.secretsDir && { secretsDir: input.secretsDir }),
				timeoutMs: config.timeoutMs,
				maxConcurrency: config.concurrency.max * config.concurrency.perInstance,
				maxQueue: config.concurrency.queue,
				...(sandbox && { sandbox }),
				...(input.onLog && { onLog: input.onLog }),
				...(input.credentials && { credentials: input.credentials }),
			});
		}
		case "python3": {
			const sandbox = await processSandbox(input, "warm");
			try {
				return await createPython3Runtime({
					name: input.name,
					cwd: input.codeDir,
					env: config.environment,
					...(input.secretsDir && { secretsDir: input.secretsDir }),
					timeoutMs: config.timeoutMs,
					contract: config.contract ?? "openfaas",
					entry: config.entry,
					memoryMb: config.memoryMb,
					minInstances: config.concurrency.min,
					maxInstances: config.concurrency.max,
					maxQueue: config.concurrency.queue,
					invokedFunctionArn: input.arn,
					accountId: accountOf(input.arn),
					...(sandbox && { sandbox }),
					...(input.onLog && { onLog: input.onLog }),
					...(input.credentials && { credentials: input.credentials }),
				});
			} catch (err) {
				// A requirements.txt Sigil cannot satisfy is a fault of the bundle, said at deploy.
				if (err instanceof RuntimeError)
					throw new SigilError("BUNDLE_INVALID", err.message);
				throw err;
			}
		}
		case "provided": {
			// The relay in front of the bootstrap is Node: the sandbox gets Node's bounds, the
			// bootstrap its own RLIMIT_DATA (provided-instance.ts).
			const sandbox = await processSandbox(input, "node");
			try {
				return await createProvidedRuntime({
					name: input.name,
					codeDir: input.codeDir,
					env: config.environment,
					...(input.secretsDir && { secretsDir: input.secretsDir }),
					timeoutMs: config.timeoutMs,
					memoryMb: config.memoryMb,
					handler: config.entry,
					...(input.credentials && { credentials: input.credentials }),
					minInstances: config.concurrency.min,
					maxInstances: config.concurrency.max,
					maxQueue: config.concurrency.queue,
					invokedFunctionArn: input.arn,
					accountId: accountOf(input.arn),
					...(sandbox && { sandbox }),
					...(input.onLog && { onLog: input.onLog }),
				});
			} catch (err) {
				// No executable bootstrap: a fault of the bundle, said at deploy.
				if (err instanceof RuntimeError)
					throw new SigilError("BUNDLE_INVALID", err.message);
				throw err;
			}
		}
		case "http": {
			const sandbox =
				config.fprocess !== undefined
					? await processSandbox(input, "node")
					: undefined;
			const upstream =
				config.upstream ?? `http://127.0.0.1:${await freePort()}`;
			return createHttpRuntime({
				name: input.name,
				upstream,
				timeoutMs: config.timeoutMs,
				maxConcurrency: config.concurrency.max * config.concurrency.perInstance,
				maxQueue: config.concurrency.queue,
				...(config.fprocess !== undefined && {
					server: {
						fprocess: config.fprocess,
						cwd: input.codeDir,
						env,
						...(input.secretsDir !== undefined && {
							secretsDir: input.secretsDir,
						}),
						// The relay in front of the server is Node: the sandbox gets Node's bounds.
						...(sandbox && { sandbox }),
					},
				}),
			});
		}
	}
}

/** The account of a function ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`). */
function accountOf(arn: string): string {
	return arn.split(":")[4] ?? "";
}

/** Runtimes whose code receives the execution role's credentials. */
const ROLE_RUNTIMES = new Set<string>([
	"node",
	"process",
	"provided",
	"python3",
]);

/** A port nothing listens on right now, for a server Sigil starts (of-watchdog's upstream). */
function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = createServer();
		probe.once("error", reject);
		probe.listen(0, "127.0.0.1", () => {
			const address = probe.address();
			const port = typeof address === "object" && address ? address.port : 0;
			probe.close(() => resolve(port));
		});
	});
}

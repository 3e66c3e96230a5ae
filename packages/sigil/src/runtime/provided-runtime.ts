/**
 * The `provided` runtime (Lambda's `provided.al2023` / `provided.al2`): the function's bundle
 * holds an executable `bootstrap` that speaks the Lambda Runtime API; Sigil runs it warm — one
 * long-lived bootstrap per instance, one invocation at a time, each instance with a Runtime API
 * of its own (`provided-instance.ts`) — so AWS's runtime interface clients and binaries built
 * for `provided.al2023` run unchanged. The pool gives admission, the wait queue, timeouts (the
 * instance is replaced) and crash replacement; `lambda-contract.ts` maps HTTP requests to
 * function URL events and the answers back.
 */
import { constants } from "node:fs";
import { access, lstat } from "node:fs/promises";
import { join } from "node:path";
import {
	LAMBDA_MAX_RESPONSE_BYTES,
	lambdaContractRuntime,
	type PoolRuntime,
} from "./lambda-contract.ts";
import type { FunctionLogRecord } from "./node-runtime.ts";
import type { ProcessSandbox } from "./process-runtime.ts";
import { providedInstances } from "./provided-instance.ts";
import {
	freshPerInstance,
	type InstanceCredentials,
	instanceMaxAgeMs,
} from "./role-credentials.ts";
import { RuntimeError } from "./types.ts";
import { warmEnvironment } from "./warm-process.ts";
import { WorkerPool } from "./worker-pool.ts";

export interface ProvidedRuntimeSpec {
	readonly name: string;
	/** The bundle: `bootstrap` at its top. */
	readonly codeDir: string;
	readonly env: Readonly<Record<string, string>>;
	readonly secretsDir?: string;
	readonly timeoutMs: number;
	/** Lambda's memory size (default 256): the bootstrap's RLIMIT_DATA in the sandbox, plus 64 MiB. */
	readonly memoryMb?: number;
	/** Given to the bootstrap as `_HANDLER` (default `function.handler`). */
	readonly handler?: string;
	readonly minInstances?: number;
	/** Default 4; each serves one invocation at a time. */
	readonly maxInstances?: number;
	readonly maxQueue?: number;
	readonly idleTimeoutMs?: number;
	/** Bound of one answer (default Lambda's 6,291,556 bytes): over it, 413 to the bootstrap and the invocation fails. */
	readonly maxResponseBytes?: number;
	readonly invokedFunctionArn: string;
	readonly accountId?: string;
	/**
	 * The sandbox; its policy's network must be `loopback` (the Runtime API is offered inside the
	 * instance's own network namespace).
	 */
	readonly sandbox?: ProcessSandbox;
	/**
	 * The execution role's credentials: each bootstrap starts with a set of its own in its
	 * environment and takes no invocation once too old for them (role-credentials.ts).
	 */
	readonly credentials?: InstanceCredentials;
	readonly onLog?: (record: FunctionLogRecord) => void;
}

/** The bundle must hold an executable regular file `bootstrap`, as Lambda requires. */
async function checkBootstrap(spec: ProvidedRuntimeSpec): Promise<void> {
	const path = join(spec.codeDir, "bootstrap");
	const info = await lstat(path).catch(() => undefined);
	const problem =
		info === undefined
			? "has no file named bootstrap at the top of its bundle"
			: !info.isFile()
				? "has a bootstrap that is not a regular file (a symlink or a folder)"
				: (info.mode & 0o111) === 0 ||
						!(await access(path, constants.X_OK).then(
							() => true,
							() => false,
						))
					? "has a bootstrap that is not executable (chmod +x bootstrap, and zip with its mode)"
					: undefined;
	if (problem !== undefined)
		throw new RuntimeError(
			"FUNCTION_START_FAILED",
			`function ${spec.name} (runtime provided) ${problem}: Sigil runs ./bootstrap, which polls the Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API`,
		);
}

export async function createProvidedRuntime(
	spec: ProvidedRuntimeSpec,
): Promise<PoolRuntime> {
	await checkBootstrap(spec);
	if (spec.sandbox !== undefined && spec.sandbox.policy.network !== "loopback")
		throw new RuntimeError(
			"FUNCTION_START_FAILED",
			`function ${spec.name} (runtime provided): network ${spec.sandbox.policy.network} is not supported; its Runtime API lives in the instance's own network namespace (network: loopback)`,
		);
	const memoryMb = spec.memoryMb ?? 256;
	const handler = spec.handler ?? "function.handler";
	const env = {
		...warmEnvironment({
			name: spec.name,
			codeDir: spec.codeDir,
			env: spec.env,
			...(spec.secretsDir !== undefined && { secretsDir: spec.secretsDir }),
			memoryMb,
			...(spec.sandbox && { sandbox: spec.sandbox }),
		}),
		_HANDLER: handler,
		LAMBDA_RUNTIME_DIR: "/var/runtime",
	};
	const onLog = spec.onLog;
	const boot = {
		codeDir: spec.codeDir,
		handler,
		functionName: spec.name,
		memoryMb,
		invokedFunctionArn: spec.invokedFunctionArn,
	};
	const pool = new WorkerPool({
		name: spec.name,
		boot,
		env: {},
		memoryMb,
		timeoutMs: spec.timeoutMs,
		minInstances: spec.minInstances ?? 0,
		maxInstances: spec.maxInstances ?? 4,
		// One invocation at a time per bootstrap, as Lambda: it asks for the next when done.
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
			providedInstances({
				codeDir: spec.codeDir,
				// The role's set after the function's own variables; Sigil's own after both.
				env: { ...env, ...issued, _HANDLER: handler },
				...(spec.secretsDir !== undefined && { secretsDir: spec.secretsDir }),
				...(spec.sandbox && { sandbox: spec.sandbox }),
				bootstrapMemoryMb: memoryMb + 64,
				invokedFunctionArn: spec.invokedFunctionArn,
				maxResponseBytes: spec.maxResponseBytes ?? LAMBDA_MAX_RESPONSE_BYTES,
				captureOutput: onLog !== undefined,
			}),
		),
		...(onLog !== undefined && {
			onBackgroundLog: (text: string) =>
				onLog({ functionName: spec.name, requestId: undefined, text }),
		}),
	});
	return lambdaContractRuntime({
		name: spec.name,
		pool,
		timeoutMs: spec.timeoutMs,
		...(spec.accountId !== undefined && { accountId: spec.accountId }),
		...(onLog !== undefined && { onLog }),
	});
}

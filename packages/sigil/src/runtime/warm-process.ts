/**
 * How a warm instance that is not Node starts (the Python host, a `provided` bootstrap): its
 * command line, inside the function's bubblewrap sandbox when there is one, with the clean
 * environment a sandboxed function gets (or, without a sandbox, the gateway's few base
 * variables plus the Lambda-standard ones), speaking frames on fd 3 (`process-instance.ts`).
 */
import { resolve } from "node:path";
import { baseEnvironment } from "./base-env.ts";
import { processInstances } from "./process-instance.ts";
import type { ProcessSandbox } from "./process-runtime.ts";
import {
	cgroupPlacement,
	SECRETS_ROOT,
	sandboxArgv,
	sandboxEnvironment,
	TASK_ROOT,
} from "./sandbox.ts";
import type { InstanceFactory } from "./worker-pool.ts";
import type { WorkerBoot } from "./worker-protocol.ts";

export interface WarmProcessSpec {
	readonly name: string;
	/** The function's code folder on the host (/var/task inside a sandbox). */
	readonly codeDir: string;
	/** The function's own variables. */
	readonly env: Readonly<Record<string, string>>;
	readonly secretsDir?: string;
	readonly memoryMb: number;
	readonly sandbox?: ProcessSandbox;
	/** The instance's command as it runs: inside the sandbox, paths are the sandbox's. */
	readonly command: readonly string[];
	/** Host paths the command needs inside the sandbox, bound read-only (host → inside). */
	readonly readOnly?: ReadonlyArray<readonly [string, string]>;
	/** Variables of the runtime itself (after the function's own, so they cannot be forged). */
	readonly runtimeEnv?: Readonly<Record<string, string>>;
	readonly boot: WorkerBoot;
	readonly captureStdout: boolean;
}

/** The environment an instance gets: nothing of the gateway's but PATH, HOME, LANG, TZ. */
export function warmEnvironment(
	spec: Pick<
		WarmProcessSpec,
		"name" | "codeDir" | "env" | "secretsDir" | "memoryMb" | "sandbox"
	>,
): Record<string, string> {
	const own: Record<string, string> = { ...spec.env };
	if (spec.sandbox !== undefined) {
		if (spec.secretsDir !== undefined) own.SIGIL_SECRETS_DIR = SECRETS_ROOT;
		return sandboxEnvironment(spec.sandbox.identity, own);
	}
	if (spec.secretsDir !== undefined) own.SIGIL_SECRETS_DIR = spec.secretsDir;
	return {
		...baseEnvironment(),
		...own,
		AWS_LAMBDA_FUNCTION_NAME: spec.name,
		AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
		AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
		LAMBDA_TASK_ROOT: resolve(spec.codeDir),
	};
}

export function warmProcessInstances(spec: WarmProcessSpec): InstanceFactory {
	const env = { ...warmEnvironment(spec), ...spec.runtimeEnv };
	const sandbox = spec.sandbox;
	if (sandbox === undefined)
		return processInstances({
			argv: spec.command,
			env,
			cwd: spec.codeDir,
			boot: spec.boot,
			memoryMb: spec.memoryMb,
			captureStdout: spec.captureStdout,
		});
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
					...(spec.readOnly ?? []),
				],
			},
			spec.command,
		),
		env,
		cwd: spec.codeDir,
		boot: { ...spec.boot, codeDir: TASK_ROOT },
		memoryMb: spec.memoryMb,
		captureStdout: spec.captureStdout,
		...(cgroup !== undefined && { cgroup }),
	});
}

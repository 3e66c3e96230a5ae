/**
 * Turns a validated function config into a running runtime of the right kind. The runtime
 * package knows nothing of configs or stores; this is the one place that translates.
 */
import type { FunctionConfig } from "../config/function-config.ts";
import { SigilError } from "../errors.ts";
import { createNodeRuntime } from "../runtime/node-runtime.ts";
import { createProcessRuntime } from "../runtime/process-runtime.ts";
import type { FunctionRuntime } from "../runtime/types.ts";

export interface RuntimeInput {
	readonly name: string;
	readonly arn: string;
	readonly config: FunctionConfig;
	readonly codeDir: string;
	readonly secretsDir: string | undefined;
}

export async function createRuntime(
	input: RuntimeInput,
): Promise<FunctionRuntime> {
	const { config } = input;
	const env = {
		...config.environment,
		...(input.secretsDir && { SIGIL_SECRETS_DIR: input.secretsDir }),
	};
	switch (config.runtime) {
		case "node":
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
			});
		case "process":
			return createProcessRuntime({
				name: input.name,
				fprocess: config.fprocess as string,
				cwd: input.codeDir,
				env,
				...(input.secretsDir && { secretsDir: input.secretsDir }),
				timeoutMs: config.timeoutMs,
				maxConcurrency: config.concurrency.max * config.concurrency.perInstance,
				maxQueue: config.concurrency.queue,
			});
		default:
			throw new SigilError(
				"INVALID_CONFIG",
				`runtime '${config.runtime}' is not available in this version of Sigil (available: node, process)`,
			);
	}
}

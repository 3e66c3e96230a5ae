/**
 * Turns a validated function config into a running runtime of the right kind. The runtime
 * package knows nothing of configs or stores; this is the one place that translates.
 */
import { createServer } from "node:net";
import type { FunctionConfig } from "../config/function-config.ts";
import { SigilError } from "../errors.ts";
import { createHttpRuntime } from "../runtime/http-runtime.ts";
import { createNodeRuntime } from "../runtime/node-runtime.ts";
import { createProcessRuntime } from "../runtime/process-runtime.ts";
import { createPython3Runtime } from "../runtime/python3-runtime.ts";
import type { RuntimeIsolation } from "../runtime/sandbox.ts";
import { type FunctionRuntime, RuntimeError } from "../runtime/types.ts";

export interface RuntimeInput {
	readonly name: string;
	readonly arn: string;
	readonly config: FunctionConfig;
	readonly codeDir: string;
	readonly secretsDir: string | undefined;
	/** AWS_REGION inside a sandbox (default us-east-1). */
	readonly region?: string;
	/** How the runtime keeps the function from the gateway (chosen once, at start; default none). */
	readonly isolation?: RuntimeIsolation;
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
		case "python3":
			try {
				return await createPython3Runtime({
					name: input.name,
					cwd: input.codeDir,
					env,
					...(input.secretsDir && { secretsDir: input.secretsDir }),
					timeoutMs: config.timeoutMs,
					maxConcurrency:
						config.concurrency.max * config.concurrency.perInstance,
					maxQueue: config.concurrency.queue,
				});
			} catch (err) {
				// A requirements.txt Sigil cannot satisfy is a fault of the bundle, said at deploy.
				if (err instanceof RuntimeError)
					throw new SigilError("BUNDLE_INVALID", err.message);
				throw err;
			}
		case "http": {
			const upstream =
				config.upstream ?? `http://127.0.0.1:${await freePort()}`;
			return createHttpRuntime({
				name: input.name,
				upstream,
				timeoutMs: config.timeoutMs,
				maxConcurrency: config.concurrency.max * config.concurrency.perInstance,
				maxQueue: config.concurrency.queue,
				...(config.fprocess !== undefined && {
					server: { fprocess: config.fprocess, cwd: input.codeDir, env },
				}),
			});
		}
	}
}

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

/** The runtime part's public surface: what the gateway composes. */
export type { FunctionUrlEvent } from "./function-url-event.ts";
export { buildFunctionUrlEvent } from "./function-url-event.ts";
export { mapFunctionUrlResponse } from "./function-url-response.ts";
export type {
	FunctionLogRecord,
	NodeRuntime,
	NodeRuntimeSpec,
} from "./node-runtime.ts";
export { createNodeRuntime } from "./node-runtime.ts";
export type { ProcessRuntimeSpec } from "./process-runtime.ts";
export { createProcessRuntime } from "./process-runtime.ts";
export { splitCommand } from "./split-command.ts";
export * from "./types.ts";
export { buildWatchdogEnv, canonicalHeaderName } from "./watchdog-env.ts";

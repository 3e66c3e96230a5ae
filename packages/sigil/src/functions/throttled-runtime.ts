/**
 * Reserved concurrency 0 (Lambda's PutFunctionConcurrency with 0, "throttle"): the function
 * stays deployed and manageable, and every invocation — function URL, Lambda Invoke, OpenFaaS
 * async — is refused at once with 429 TooManyRequestsException "Rate Exceeded.", as Lambda
 * refuses it; no instance runs. Deleting the reserved concurrency (or setting 1 or more) lets
 * invocations in again.
 */
import { type FunctionRuntime, RuntimeError } from "../runtime/types.ts";

/** Lambda's words for a throttled invocation. */
export const THROTTLED = "Rate Exceeded.";

export function throttled(runtime: FunctionRuntime): FunctionRuntime {
	const refuse = async (): Promise<never> => {
		throw new RuntimeError("FUNCTION_QUEUE_FULL", THROTTLED);
	};
	return {
		invokeHttp: refuse,
		invokeEvent: refuse,
		invokeStream: refuse,
		close: (graceMs) => runtime.close(graceMs),
	};
}

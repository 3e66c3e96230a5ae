/**
 * A runtime seen through a gate that every invocation passes (reserved-concurrency slots, rate
 * windows): `around` runs each invokeHttp, invokeEvent and invokeStream call, and everything
 * else — close, the deploy's probe, the pool's stats — is the runtime's own. One place, so a
 * runtime member added later is not lost by one wrapper and kept by another.
 */
import type { CallerIdentity, FunctionRuntime } from "../runtime/types.ts";

/** Runs `run` (the invocation) inside the gate; `caller` is who the invocation is for. */
export type Around = <T>(
	caller: CallerIdentity | undefined,
	run: () => Promise<T>,
) => Promise<T>;

export function aroundInvocations(
	runtime: FunctionRuntime,
	around: Around,
): FunctionRuntime {
	const gated: FunctionRuntime = {
		invokeHttp: (inv) => around(inv.caller, () => runtime.invokeHttp(inv)),
		invokeEvent: (inv) => around(inv.caller, () => runtime.invokeEvent(inv)),
		close: (graceMs) => runtime.close(graceMs),
	};
	const mutable = gated as {
		-readonly [K in keyof FunctionRuntime]: FunctionRuntime[K];
	};
	if (runtime.invokeStream) {
		const stream = runtime.invokeStream.bind(runtime);
		mutable.invokeStream = (inv) => around(inv.caller, () => stream(inv));
	}
	if (runtime.probe) mutable.probe = runtime.probe.bind(runtime);
	if (runtime.stats) mutable.stats = runtime.stats.bind(runtime);
	return gated;
}

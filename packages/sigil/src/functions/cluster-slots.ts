/**
 * Reserved concurrency held across every gateway: a function with `reservedConcurrency: N` runs
 * at most N invocations at once in the whole installation, not N per gateway. Each invocation
 * takes one of N slots in the shared cache (Redis, leased: a gateway that dies mid-invocation
 * gives its slots back when the lease runs out — the function's timeout plus a margin) and gives
 * it back when it ends. No slot free: 429 (`FUNCTION_QUEUE_FULL`, Lambda's TooManyRequests) at
 * once, as Lambda throttles; the cache unreachable: 503 (`ENGINE_UNAVAILABLE`), never admitted
 * unchecked. Each gateway's own runtime keeps its local bound too.
 */
import { SigilError } from "../errors.ts";
import { isCacheError, type SharedCache } from "../ports/shared-cache.ts";
import { type FunctionRuntime, RuntimeError } from "../runtime/types.ts";
import { aroundInvocations } from "./around-invocations.ts";

/** Past the function's timeout, how long a slot stays leased (the answer's way back). */
const LEASE_MARGIN_MS = 5_000;

export function withClusterSlots(
	runtime: FunctionRuntime,
	cache: SharedCache,
	o: {
		readonly accountId: string;
		readonly name: string;
		readonly limit: number;
		readonly timeoutMs: number;
	},
): FunctionRuntime {
	const key = `concurrency:${o.accountId}:${o.name}`;
	const leaseMs = o.timeoutMs + LEASE_MARGIN_MS;
	const held = async <T>(run: () => Promise<T>): Promise<T> => {
		let lease: Awaited<ReturnType<SharedCache["acquireSlot"]>>;
		try {
			lease = await cache.acquireSlot(key, o.limit, leaseMs);
		} catch (err) {
			if (isCacheError(err))
				throw new SigilError(
					"ENGINE_UNAVAILABLE",
					`function ${o.name}'s reserved concurrency could not be checked (the shared cache did not answer); the invocation did not run: retry`,
				);
			throw err;
		}
		if (!lease)
			throw new RuntimeError(
				"FUNCTION_QUEUE_FULL",
				`Rate Exceeded. Function ${o.name} is running its ${o.limit} reserved concurrent executions across the gateways (ReservedFunctionConcurrentInvocationLimitExceeded)`,
			);
		try {
			return await run();
		} finally {
			await cache.releaseSlot(lease).catch(() => {});
		}
	};
	// A streamed answer holds its slot until its head is back: the body's tail is not counted.
	return aroundInvocations(runtime, (_caller, run) => held(run));
}

/**
 * A function's `rateLimit` in front of its runtime: each invocation is counted in the shared
 * cache's sliding window (memory for one gateway, Redis for many — the same count on every
 * gateway), first for its caller's access key when `perKey` is set, then for the function. Over
 * either: FUNCTION_RATE_LIMITED (429, Lambda's TooManyRequestsException) with the seconds until
 * one more call fits, which the gateway sends as Retry-After. The cache unreachable: 503
 * ENGINE_UNAVAILABLE, never run unchecked.
 */
import { SigilError } from "../errors.ts";
import { isCacheError, type SharedCache } from "../ports/shared-cache.ts";
import {
	type CallerIdentity,
	type FunctionRuntime,
	RuntimeError,
} from "../runtime/types.ts";
import { aroundInvocations } from "./around-invocations.ts";

/** A refusal by rate, with when to try again (whole seconds, at least 1: Retry-After's unit). */
export class RateLimitedError extends RuntimeError {
	readonly retryAfterSeconds: number;
	constructor(message: string, retryAfterMs: number) {
		super("FUNCTION_RATE_LIMITED", message);
		this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
	}
}

export interface RateLimitSpec {
	readonly accountId: string;
	readonly name: string;
	readonly requests: number;
	readonly windowMs: number;
	readonly perKey?: number;
}

/** `60000` → "1 minute", for the refusal's text. */
function windowText(ms: number): string {
	if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour(s)`;
	if (ms % 60_000 === 0) return `${ms / 60_000} minute(s)`;
	return `${ms / 1000} s`;
}

export function withRateLimit(
	runtime: FunctionRuntime,
	cache: SharedCache,
	spec: RateLimitSpec,
): FunctionRuntime {
	const fnKey = `rate:${spec.accountId}:${spec.name}`;
	const per = windowText(spec.windowMs);
	const count = async (
		key: string,
		limit: number,
		what: string,
	): Promise<void> => {
		let decision: Awaited<ReturnType<SharedCache["rateLimit"]>>;
		try {
			decision = await cache.rateLimit(key, limit, spec.windowMs);
		} catch (err) {
			if (isCacheError(err))
				throw new SigilError(
					"ENGINE_UNAVAILABLE",
					`function ${spec.name}'s rate limit could not be checked (the shared cache did not answer); the invocation did not run: retry`,
				);
			throw err;
		}
		if (!decision.allowed)
			throw new RateLimitedError(
				`Rate Exceeded. ${what} of function ${spec.name} is over ${limit} requests per ${per}`,
				decision.retryAfterMs,
			);
	};
	const admit = async (caller: CallerIdentity | undefined): Promise<void> => {
		// The caller's own budget first: one noisy key is refused before it spends the function's.
		if (spec.perKey !== undefined && caller?.accessKey)
			await count(
				`${fnKey}:key:${caller.accessKey}`,
				spec.perKey,
				`The calling access key's rate`,
			);
		await count(fnKey, spec.requests, "The request rate");
	};
	return aroundInvocations(runtime, async (caller, run) => {
		await admit(caller);
		return run();
	});
}

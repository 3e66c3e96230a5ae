/**
 * The compile cache: compiled matchers and statements shared across policies, owned by the
 * caller (the pure package keeps no module state).
 */
import type { PolicyError } from "./types.ts";

/**
 * A compile cache the caller owns (one per process or per store): identical Action, Resource,
 * Principal and Condition elements across policies share one compiled matcher, so 100,000
 * users with similar policies cost little memory. Entries are immutable; only valid elements
 * are cached, so validation errors are always reported with their path.
 */
export interface CompileCache {
	readonly entries: Map<string, unknown>;
}

/** Creates an empty {@link CompileCache}. */
export function createCompileCache(): CompileCache {
	return { entries: new Map() };
}

/** Returns the cached value for `key`, or builds it and caches it if it added no error. */
export function memo<T>(
	cache: CompileCache | undefined,
	key: string,
	errors: PolicyError[],
	build: () => T,
): T {
	if (cache === undefined) return build();
	const hit = cache.entries.get(key);
	if (hit !== undefined) return hit as T;
	const before = errors.length;
	const value = build();
	if (errors.length === before) cache.entries.set(key, value);
	return value;
}

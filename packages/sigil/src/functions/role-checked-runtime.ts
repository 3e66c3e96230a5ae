/**
 * A function runtime that asks, before every invocation, whether Lambda may still assume the
 * function's execution role (iam/execution-role.ts `verify`): a role deleted or no longer
 * trusting lambda.amazonaws.com since the deploy refuses the invocation before any code runs.
 *
 * Every method whose name starts with `invoke` is guarded — those the runtime contract has
 * today and any added later (a streaming invoke) — so a new way in cannot skip the check.
 */
import type { FunctionRuntime } from "../runtime/types.ts";

export interface RoleCheck {
	verify(): Promise<void>;
}

export function roleCheckedRuntime<R extends FunctionRuntime>(
	runtime: R,
	check: RoleCheck,
): R {
	return new Proxy(runtime, {
		get(target, prop) {
			const value = Reflect.get(target, prop, target);
			if (typeof value !== "function") return value;
			const bound = (value as (...args: unknown[]) => unknown).bind(target);
			if (typeof prop !== "string" || !prop.startsWith("invoke")) return bound;
			return async (...args: unknown[]) => {
				await check.verify();
				return bound(...args);
			};
		},
	});
}

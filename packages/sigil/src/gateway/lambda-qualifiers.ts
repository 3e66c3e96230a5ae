/**
 * What a Lambda qualifier names (Lambda Developer Guide, "Versions" and "Aliases"): nothing or
 * `$LATEST` is the function as it is now; a number is a published version, immutable; any other
 * name is an alias, which points at a version (and may send a weighted share of invocations to
 * a second one). The route's target carries the qualifier exactly as it was authorized (the
 * qualified ARN, with that version's or alias's own resource policy); this resolves that same
 * qualifier against the store, once per request, for the handler to act on.
 */
import { randomInt } from "node:crypto";
import type { TriggerConfig } from "../config/function-config.ts";
import { SigilError } from "../errors.ts";
import type { DeployedFunction } from "../functions/registry.ts";
import { THROTTLED } from "../functions/throttled-runtime.ts";
import { RuntimeError } from "../runtime/types.ts";
import { ALIAS_NAME, versionNumber } from "../store/function-version-rows.ts";
import type {
	FunctionAliasRecord,
	FunctionVersionRecord,
} from "../store/types.ts";
import type { GatewayContext } from "./context.ts";
import type { FunctionTarget } from "./targets.ts";

export type Qualified =
	| { readonly kind: "latest"; readonly fn: DeployedFunction }
	| {
			readonly kind: "version";
			readonly fn: DeployedFunction;
			readonly version: FunctionVersionRecord;
	  }
	| {
			readonly kind: "alias";
			readonly fn: DeployedFunction;
			readonly alias: FunctionAliasRecord;
	  };

function notFound(t: FunctionTarget): SigilError {
	return new SigilError(
		"FUNCTION_NOT_FOUND",
		`Function not found: ${t.resource}`,
	);
}

/** The function, version or alias the target's qualifier names; ResourceNotFound otherwise. */
export async function resolveQualifier(
	ctx: GatewayContext,
	t: FunctionTarget,
): Promise<Qualified> {
	if (!t.fn || t.foreignRegion) throw notFound(t);
	const fn = t.fn;
	const q = t.qualifier;
	if (q === undefined || q === "$LATEST") return { kind: "latest", fn };
	const n = versionNumber(q);
	if (n !== undefined) {
		const version = await ctx.store.versions.get(fn.accountId, fn.name, n);
		if (!version) throw notFound(t);
		return { kind: "version", fn, version };
	}
	// All digits but no version number (a leading zero, too many digits): nothing is called that.
	if (/^\d+$/.test(q)) throw notFound(t);
	const alias = await ctx.store.versions.getAlias(fn.accountId, fn.name, q);
	if (!alias) throw notFound(t);
	return { kind: "alias", fn, alias };
}

/**
 * The version an invocation of `q` runs: the alias's version, or its routing's second version
 * for that share of invocations (picked independently per invocation, as Lambda does).
 */
export function versionToRun(alias: FunctionAliasRecord): string {
	const r = alias.routing;
	if (r && r.weight > 0 && randomInt(1_000_000) < r.weight * 1_000_000)
		return r.version;
	return alias.functionVersion;
}

/**
 * What `/function/NAME:ALIAS/` serves: the alias's function URL, when it has one — its own auth
 * type and CORS over the runtime of the version the alias picks for this request (its weights
 * included). `undefined` for anything else, answered as an unknown URL is. Looked up before
 * authentication, as every trigger is: a name or alias that does not exist costs one probe.
 */
export async function aliasUrlFunction(
	ctx: GatewayContext,
	name: string,
	alias: string,
): Promise<DeployedFunction | undefined> {
	if (!ALIAS_NAME.test(alias)) return undefined;
	const fn = await ctx.functions.lookup(name);
	if (!fn) return undefined;
	const a = await ctx.store.versions.getAlias(fn.accountId, name, alias);
	if (!a?.url) return undefined;
	let base = fn;
	const chosen = versionToRun(a);
	// Reserved concurrency 0 throttles the function whichever version would run.
	if (chosen !== "$LATEST" && fn.config.reservedConcurrency !== 0) {
		const version = await ctx.store.versions.get(
			fn.accountId,
			name,
			Number(chosen),
		);
		if (!version) return undefined;
		base = await ctx.functions.versionOf(fn, version);
	}
	const auth = a.url.authType === "NONE" ? "none" : "aws_iam";
	const { cors: _, ...trigger } = base.config.trigger;
	return {
		...base,
		config: {
			...base.config,
			trigger: {
				...trigger,
				auth,
				services: ["lambda"],
				secrets: [],
				...(a.url.cors && {
					cors: a.url.cors as TriggerConfig["cors"],
				}),
			},
		},
		qualifier: alias,
	};
}

/** The runtime to invoke for a qualified target, and the version it is (`X-Amz-Executed-Version`). */
export async function runnable(
	ctx: GatewayContext,
	t: FunctionTarget,
): Promise<{ fn: DeployedFunction; executedVersion: string }> {
	const q = await resolveQualifier(ctx, t);
	if (q.kind === "latest") return { fn: q.fn, executedVersion: "$LATEST" };
	// Reserved concurrency is the function's, whichever version runs (a version's runtime is
	// built without it): 0 throttles its versions and aliases too.
	if (q.fn.config.reservedConcurrency === 0)
		throw new RuntimeError("FUNCTION_QUEUE_FULL", THROTTLED);
	let version: FunctionVersionRecord | undefined;
	if (q.kind === "version") version = q.version;
	else {
		const chosen = versionToRun(q.alias);
		if (chosen === "$LATEST") return { fn: q.fn, executedVersion: "$LATEST" };
		version = await ctx.store.versions.get(
			q.fn.accountId,
			q.fn.name,
			Number(chosen),
		);
		// The store keeps an alias's versions while it points at them; a gap means a race with a
		// delete of the alias and version together.
		if (!version) throw notFound(t);
	}
	return {
		fn: await ctx.functions.versionOf(q.fn, version),
		executedVersion: String(version.version),
	};
}

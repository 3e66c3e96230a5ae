/**
 * What the gateway would verify a pasted request against, found the way the pipeline finds
 * it: the route table matches the request's path, and the route (or the addressed function's
 * trigger) says which SigV4 services and region it accepts. So the debugger's "valid" means
 * what the gateway would say if the request arrived.
 */
import type { WireRequest } from "@sigil/signature";
import { NAME_PATTERN } from "../config/function-config.ts";
import type { DeployedFunction } from "../functions/registry.ts";
import type { GatewayContext } from "../gateway/context.ts";
import type { GatewayRoute } from "../gateway/route.ts";
import { routePath } from "../gateway/route-path.ts";
import { Router } from "../gateway/router.ts";
import type { SigV4Expectation } from "./check-sigv4.ts";

export interface SignedFor extends SigV4Expectation {
	/** The route the request would take, `null` when none matches (the gateway answers 404). */
	readonly route: string | null;
	/**
	 * Which proof the route asks for: `sigv4`, `acs3`, `hmac`, `webhook` (a trigger's auth type),
	 * `basic`, or `none` (nothing is checked); `null` when no route matches.
	 */
	readonly takes: string | null;
}

const TRIGGER_TAKES: Readonly<Record<string, string>> = {
	aws_iam: "sigv4",
	acs3: "acs3",
	hmac: "hmac",
	webhook: "webhook",
	none: "none",
};

/** The route table, read on first use (routes.ts imports this module's handlers). */
let router: Router<GatewayRoute> | undefined;
async function routes(): Promise<Router<GatewayRoute>> {
	router ??= new Router((await import("../gateway/routes.ts")).ROUTES);
	return router;
}

/** A function path's function, when it is the caller's: another account's is no function here. */
export async function ownTriggerFunction(
	ctx: GatewayContext,
	accountId: string,
	target: string,
): Promise<DeployedFunction | undefined> {
	const m = /^\/(?:async-)?function\/([^/?]+)/.exec(target);
	if (!m) return undefined;
	let name: string;
	try {
		name = decodeURIComponent(m[1] as string).replace(/\.openfaas-fn$/, "");
	} catch {
		return undefined;
	}
	if (!NAME_PATTERN.test(name)) return undefined;
	const fn = await ctx.functions.lookup(name);
	return fn?.accountId === accountId ? fn : undefined;
}

export async function signedFor(
	ctx: GatewayContext,
	accountId: string,
	wire: WireRequest,
	signedRegion: string | undefined,
): Promise<SignedFor> {
	const q = wire.target.indexOf("?");
	const rawPath = q === -1 ? wire.target : wire.target.slice(0, q);
	const rawQuery = q === -1 ? "" : wire.target.slice(q + 1);
	const match = (await routes()).match(
		wire.method,
		routePath(rawPath),
		rawQuery,
	);
	const route = match && "route" in match ? match.route : undefined;
	if (!route)
		return {
			route: null,
			takes: null,
			region: ctx.region,
			services: ["sigil"],
		};
	if (route.auth === "trigger") {
		const fn = await ownTriggerFunction(ctx, accountId, wire.target);
		const trigger = fn?.config.trigger;
		return {
			route: route.name,
			region: ctx.region,
			// An unknown name is verified as an AWS_IAM function URL, as the pipeline does.
			services: trigger?.auth === "aws_iam" ? trigger.services : ["lambda"],
			takes: trigger ? (TRIGGER_TAKES[trigger.auth] ?? trigger.auth) : "sigv4",
		};
	}
	// IAM and STS are global services the CLI signs for us-east-1 (pipeline.ts does the same).
	const global = route.protocol === "aws-query" && signedRegion === "us-east-1";
	return {
		route: route.name,
		takes: route.auth,
		region: global ? "us-east-1" : ctx.region,
		services: route.services ?? ["sigil"],
	};
}

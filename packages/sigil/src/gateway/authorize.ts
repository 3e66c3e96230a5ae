/**
 * Phase 3 of the pipeline for one route: which action on which resource, whose resource policy
 * takes part, and with what context — then the decision (iam/authorizer.ts).
 *
 *   route                      action                      resource                      resource policy
 *   /function/NAME, async      lambda:InvokeFunctionUrl    the function's ARN            the function's
 *   Lambda API (service lambda) the route's action         ARN of FunctionName           the function's (if it exists)
 *   control plane /sigil/v1    the route's action          ARN in the caller's account   none
 *   /  (IAM, STS query)        per Action, in the handler  (query-api.ts)
 *
 * Shared-secret triggers (payload HMAC, webhooks) have no IAM identity: the trigger's secret is
 * the whole grant, so they are not evaluated. `sts:GetCallerIdentity` needs no permission (as in
 * AWS).
 */
import type { DeployedFunction } from "../functions/registry.ts";
import type { Authorization, PolicyTarget } from "../iam/authorizer.ts";
import { hasIamIdentity, type IamPrincipal } from "../iam/principal.ts";
import { requestContext } from "../iam/request-context.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange } from "./exchange.ts";
import { parseFunctionRef } from "./lambda-api.ts";
import type { Route, RouteParams } from "./router.ts";

/** Routes whose handler authorizes itself (per operation) or that need no permission. */
const SELF_AUTHORIZED = new Set(["whoami", "aws-query", "info"]);

export interface RouteAuthorization extends Authorization {
	/** The account that owns the resource (whose audit log shows the decision). */
	readonly accountId: string;
	/** The addressed function's name, when there is one. */
	readonly functionName: string | null;
}

/** Decides a route's request; `undefined` when the route or scheme is not subject to policies. */
export async function authorizeRoute(
	ex: Exchange,
	route: Route<GatewayContext, DeployedFunction>,
	params: RouteParams,
	ctx: GatewayContext,
	fn: DeployedFunction | undefined,
): Promise<RouteAuthorization | undefined> {
	const principal = ex.principal as IamPrincipal | undefined;
	if (!principal || route.auth === "none" || SELF_AUTHORIZED.has(route.name))
		return undefined;
	if (!hasIamIdentity(principal)) return undefined;
	const now = ctx.now();
	if (route.auth === "trigger" && fn) {
		// Both the synchronous and the OpenFaaS async path are calls to the function's URL.
		const authType = fn.config.trigger.auth === "none" ? "NONE" : "AWS_IAM";
		const result = await ctx.authorizer.authorize({
			principal,
			action: "lambda:InvokeFunctionUrl",
			resource: fn.arn,
			resourceAccountId: fn.accountId,
			fn: policyTarget(fn),
			context: requestContext(ex, now, ctx.region, authType),
		});
		return { ...result, accountId: fn.accountId, functionName: fn.name };
	}
	const context = requestContext(ex, now, ctx.region);
	if (route.services?.includes("lambda") && params.name !== undefined) {
		const target = await lambdaTarget(params.name, principal, ctx);
		const result = await ctx.authorizer.authorize({
			principal,
			action: route.action,
			resource: target.arn,
			resourceAccountId: target.accountId,
			...(target.fn && { fn: target.fn }),
			context,
		});
		return {
			...result,
			accountId: target.accountId,
			functionName: target.fn?.name ?? null,
		};
	}
	const result = await ctx.authorizer.authorize({
		principal,
		action: route.action,
		resource: controlPlaneResource(route, params, principal, ctx.region),
		resourceAccountId: principal.accountId,
		context,
	});
	return {
		...result,
		accountId: principal.accountId,
		functionName: null,
	};
}

/** What the authorizer needs of a deployed function. */
export function policyTarget(fn: DeployedFunction): PolicyTarget {
	return {
		accountId: fn.accountId,
		name: fn.name,
		arn: fn.arn,
		triggerAuth: fn.config.trigger.auth,
	};
}

/** The function a Lambda API path names (`NAME`, `ACCOUNT:function:NAME`, full ARN). */
async function lambdaTarget(
	rawName: string,
	principal: IamPrincipal,
	ctx: GatewayContext,
): Promise<{ arn: string; accountId: string; fn?: PolicyTarget }> {
	let decoded = rawName;
	try {
		decoded = decodeURIComponent(rawName);
	} catch {
		// The handler answers the bad encoding; authorize against the caller's own account.
	}
	const ref = parseFunctionRef(decoded);
	const name = ref?.name ?? decoded;
	const accountId = ref?.accountId ?? principal.accountId;
	const arn = `arn:aws:lambda:${ref?.region ?? ctx.region}:${accountId}:function:${name}`;
	const fn = ref ? await ctx.functions.lookup(name) : undefined;
	if (!fn || fn.accountId !== accountId) return { arn, accountId };
	return { arn, accountId, fn: policyTarget(fn) };
}

/** Control-plane resources live in the caller's account, in AWS's ARN shapes where one exists. */
export function controlPlaneResource(
	route: Route<GatewayContext, DeployedFunction>,
	params: RouteParams,
	principal: IamPrincipal,
	region: string,
): string {
	const acct = principal.accountId;
	const name = params.name;
	if (route.pattern.startsWith("/sigil/v1/functions"))
		return `arn:aws:lambda:${region}:${acct}:function:${name ?? "*"}`;
	if (route.pattern.startsWith("/sigil/v1/secrets"))
		return `arn:aws:sigil:${region}:${acct}:secret/${name ?? "*"}`;
	if (route.pattern.startsWith("/sigil/v1/keys"))
		return principal.userName !== undefined
			? `arn:aws:iam::${acct}:user/${principal.userName}`
			: `arn:aws:iam::${acct}:root`;
	if (route.pattern.startsWith("/sigil/v1/users"))
		return `arn:aws:iam::${acct}:user/${name ?? "*"}`;
	if (route.pattern.startsWith("/sigil/v1/roles"))
		return `arn:aws:iam::${acct}:role/${name ?? "*"}`;
	if (route.pattern.startsWith("/sigil/v1/logs"))
		return `arn:aws:logs:${region}:${acct}:log-group:/aws/lambda/*`;
	if (route.pattern.startsWith("/sigil/v1/jobs"))
		return `arn:aws:lambda:${region}:${acct}:function:*`;
	return `arn:aws:sigil:${region}:${acct}:${route.name}`;
}

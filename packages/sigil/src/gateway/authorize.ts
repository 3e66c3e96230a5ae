/**
 * Phase 3 of the pipeline: may this principal perform the route's action on the route's
 * target? The target was resolved once (targets.ts) and is the object the handler acts on;
 * here it is only judged (iam/authorizer.ts decides with @sigil/policy).
 *
 *   route authorization        decision
 *   policy                     route.action on target.resource; the target's account is the
 *                              resource account, so another account's function is decided by
 *                              its resource policy AND the caller's identity policies — or,
 *                              for actions AWS refuses across accounts, with no resource policy
 *                              at all (an implicit cross-account deny)
 *   trigger routes             lambda:InvokeFunctionUrl on the function, its resource policy
 *                              (and lambda:InvokeFunction too under the url-and-invoke model)
 *   gateway-root               the root identity of the gateway's root account, nobody else
 *   handler / nothing          undefined here (the IAM query endpoint decides per Action)
 *
 * Shared-secret triggers (payload HMAC, webhooks) have no IAM identity: the trigger's secret is
 * the whole grant, so they are not evaluated.
 */

import { SigilError } from "../errors.ts";
import type { DeployedFunction } from "../functions/registry.ts";
import type { Authorization, PolicyTarget } from "../iam/authorizer.ts";
import { functionUrlActions } from "../iam/function-url-auth.ts";
import { hasIamIdentity, type IamPrincipal, isRoot } from "../iam/principal.ts";
import { requestContext } from "../iam/request-context.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange } from "./exchange.ts";
import type { GatewayRoute, TriggerTarget } from "./route.ts";
import type { Target } from "./targets.ts";

export interface RouteAuthorization extends Authorization {
	/** The account that owns the resource (whose audit log shows the decision). */
	readonly accountId: string;
	/** The addressed function's name, when there is one. */
	readonly functionName: string | null;
}

/**
 * What the authorizer needs of a deployed function; with a version or alias `qualifier`, that
 * one's own resource policy is the one that applies (`$LATEST` is the function's).
 */
export function policyTarget(
	fn: DeployedFunction,
	qualifier?: string,
): PolicyTarget {
	return {
		accountId: fn.accountId,
		name: fn.name,
		arn: fn.arn,
		triggerAuth: fn.config.trigger.auth,
		...(qualifier !== undefined && qualifier !== "$LATEST" && { qualifier }),
	};
}

/** Decides a bound request; `undefined` when the route needs no policy decision here. */
export async function authorizeTarget(
	ex: Exchange,
	route: GatewayRoute,
	target: Target,
	principal: IamPrincipal,
	ctx: GatewayContext,
): Promise<RouteAuthorization | undefined> {
	const how = route.authorization;
	if (how.by === "gateway-root") {
		const root = await ctx.store.accounts.root();
		if (!isRoot(principal) || principal.accountId !== root?.accountId)
			throw new SigilError(
				"ACCESS_DENIED",
				`User: ${principal.arn} is not authorized to perform: ${route.action}: only the root account's root identity may create or list accounts`,
			);
		return undefined;
	}
	if (how.by !== "policy" || !hasIamIdentity(principal)) return undefined;
	if (principal.scheme === "none" && route.auth !== "trigger") return undefined;
	const now = ctx.now();
	const fn = target.fn;
	if (route.auth === "trigger") {
		// Both the synchronous and the OpenFaaS async path are calls to the function's URL.
		const t = target as TriggerTarget;
		const authType = t.fn.config.trigger.auth === "none" ? "NONE" : "AWS_IAM";
		// The gateway's function URL model (iam/function-url-auth.ts): InvokeFunctionUrl, and
		// with url-and-invoke InvokeFunction too; the first action denied is the answer.
		let result: Authorization | undefined;
		for (const action of functionUrlActions(ctx.authorizer.functionUrlAuth)) {
			result = await ctx.authorizer.authorize({
				principal,
				action,
				resource: t.resource,
				resourceAccountId: t.fn.accountId,
				// An alias's URL is decided by the alias's own policy, on its qualified ARN.
				fn: policyTarget(t.fn, t.fn.qualifier),
				context: requestContext(ex, now, ctx.region, authType),
			});
			if (!result.decision.allowed) break;
		}
		return {
			...(result as Authorization),
			accountId: t.fn.accountId,
			functionName: t.fn.name,
		};
	}
	const crossAccount = target.accountId !== principal.accountId;
	// Where AWS refuses an action across accounts, no resource policy may grant it.
	const withResourcePolicy =
		fn !== undefined && !(crossAccount && how.crossAccount === "refused");
	const result = await ctx.authorizer.authorize({
		principal,
		action: route.action,
		resource: target.resource,
		resourceAccountId: target.accountId,
		...(withResourcePolicy && { fn: policyTarget(fn, target.qualifier) }),
		context: requestContext(ex, now, ctx.region),
	});
	return {
		...result,
		accountId: target.accountId,
		functionName: fn?.name ?? null,
	};
}

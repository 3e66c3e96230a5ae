/**
 * What a route of the gateway is: its pattern, how its callers authenticate, the action it
 * performs, how that action is authorized, and a target resolver. The pipeline binds a request
 * to its target (targets.ts), authorizes that target, and runs the handler on the SAME object:
 * a handler never sees raw parameters, so what was authorized is what is acted upon.
 *
 * `api()` and `trigger()` build routes; the route table (routes.ts) is a list of them.
 */
import type { DeployedFunction } from "../functions/registry.ts";
import type { IamPrincipal } from "../iam/principal.ts";
import type { GatewayContext } from "./context.ts";
import type { Dialect, Exchange } from "./exchange.ts";
import type { RouteAuth, RouteParams, RoutePattern } from "./router.ts";
import type { Resolver, Target } from "./targets.ts";

/**
 * How the pipeline decides a route's request. Every route states one; none is implied.
 *   policy        the route's action on the target's ARN, with AWS's rules (identity policies;
 *                 the target's resource policy; across accounts both, or refused outright
 *                 where AWS refuses the action across accounts)
 *   handler       the handler decides per operation (the IAM/STS query endpoint: the action is
 *                 in the body) — `why` says so in the table
 *   gateway-root  only the root identity of the gateway's root account (accounts)
 *   nothing       no permission is needed — `why` says why (public facts, GetCallerIdentity)
 */
export type RouteAuthorization =
	| {
			readonly by: "policy";
			readonly crossAccount: "resource-policy" | "refused";
	  }
	| { readonly by: "handler"; readonly why: string }
	| { readonly by: "gateway-root" }
	| { readonly by: "nothing"; readonly why: string };

/** What a handler gets: the exchange, the gateway, the verified caller, the authorized target. */
export interface Call<T> {
	readonly ex: Exchange;
	readonly ctx: GatewayContext;
	readonly principal: IamPrincipal;
	readonly target: T;
}

/** A request bound to its target: the pipeline authorizes `target`, then calls `handle`. */
export interface Bound {
	readonly target: Target;
	handle(): Promise<void>;
}

interface RouteMeta extends RoutePattern {
	readonly auth: RouteAuth;
	/** The IAM action this route performs (authorization, audit). */
	readonly action: string;
	readonly authorization: RouteAuthorization;
	/** `sigv4` routes: the services accepted in the credential scope (default `["sigil"]`). */
	readonly services?: readonly string[];
	/** How errors are worded on this route (default: Sigil's own; triggers follow their auth type). */
	readonly dialect?: Dialect;
	/** Largest body the route accepts before authentication (triggers use their own limit). */
	readonly maxBodyBytes?: number;
	/**
	 * `aws-query`: AWS's query protocol (IAM/STS), whose errors are XML and whose global services
	 * the CLI signs for us-east-1 whatever the gateway's region.
	 */
	readonly protocol?: "aws-query";
	/** `false` where a successful request is not worth an audit record of its own (reading the log). */
	readonly auditSuccess?: false;
	/** Headers set on every answer of the route, errors included (the console's security headers). */
	readonly responseHeaders?: Readonly<Record<string, string>>;
}

/** An API route (SigV4, basic auth or public): resolved after authentication, from the caller's view. */
export interface ApiRoute extends RouteMeta {
	readonly auth: "sigv4" | "none" | "basic";
	bind(
		ex: Exchange,
		params: RouteParams,
		ctx: GatewayContext,
		principal: IamPrincipal,
	): Promise<Bound>;
}

/** The function a trigger route addresses, found before authentication (it says how to authenticate). */
export interface TriggerTarget extends Target {
	readonly kind: "trigger";
	readonly fn: DeployedFunction;
	/** The rest of the path after the function's name, as sent (`/` when none). */
	readonly path: string;
}

export interface TriggerRoute extends RouteMeta {
	readonly auth: "trigger";
	handle(call: Call<TriggerTarget>): Promise<void>;
}

export type GatewayRoute = ApiRoute | TriggerRoute;

interface ApiRouteDef<T extends Target> extends Omit<RouteMeta, "auth"> {
	readonly auth?: "sigv4" | "none" | "basic";
	readonly target: Resolver<T>;
	readonly handle: (call: Call<T>) => Promise<void>;
}

/** An API route whose handler receives exactly the target its resolver produced. */
export function api<T extends Target>(def: ApiRouteDef<T>): ApiRoute {
	const { target: resolve, handle, ...meta } = def;
	return {
		...meta,
		auth: def.auth ?? "sigv4",
		async bind(ex, params, ctx, principal) {
			const target = await resolve({
				params,
				principal,
				ctx,
				rawQuery: ex.rawQuery,
				body: ex.body,
			});
			return { target, handle: () => handle({ ex, ctx, principal, target }) };
		},
	};
}

export function trigger(def: Omit<TriggerRoute, "auth">): TriggerRoute {
	return { ...def, auth: "trigger" };
}

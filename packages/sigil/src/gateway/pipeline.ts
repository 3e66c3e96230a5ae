/**
 * The path of one request (DESIGN.md): route → authenticate → authorize → invoke. The route
 * table decides how a caller must authenticate, so no handler can forget to; a handler runs
 * only with a verified principal (or on a route declared `auth: "none"`).
 *
 *   phase          answers on failure
 *   route          404 ROUTE_NOT_FOUND / FUNCTION_NOT_FOUND, 405 METHOD_NOT_ALLOWED; under a Lambda
 *                  API version (`/2015-03-31/…`) either is Lambda's 404 UnknownOperationException
 *   CORS preflight 204 from the trigger's config (before authentication: browsers never sign it)
 *   body           413 BODY_TOO_LARGE (Content-Length checked before reading)
 *   authenticate   401/403 in the caller's dialect (SigV4 → AWS JSON, ACS3 → FC JSON, …)
 *   authorize      403 in the caller's dialect: function URLs `{"Message":"Forbidden"}`, ACS3 FC's
 *                  AccessDenied, the Lambda API AccessDeniedException with AWS's text, the control
 *                  plane Sigil's JSON (gateway/authorize.ts says which action on which resource)
 *   handle         the handler's answer, or 5xx from the runtime
 */
import { accessDeniedMessage, explain } from "@sigil/policy";
import { NAME_PATTERN } from "../config/function-config.ts";
import { ERRORS, SigilError } from "../errors.ts";
import { RateLimitedError } from "../functions/rate-limited.ts";
import type { DeployedFunction } from "../functions/registry.ts";
import type { IamPrincipal } from "../iam/principal.ts";
import type { RequestMeter } from "../metrics/gateway-metrics.ts";
import { RuntimeError } from "../runtime/types.ts";
import { StoreError } from "../store/errors.ts";
import {
	type AuthOutcome,
	authenticateAcs3,
	authenticateBasic,
	authenticateHmac,
	authenticateSigV4,
	authenticateWebhook,
	BASIC_CHALLENGE,
	wireRequestOf,
} from "./authenticate.ts";
import { authorizeTarget, type RouteAuthorization } from "./authorize.ts";
import { readBody } from "./body.ts";
import type { GatewayContext } from "./context.ts";
import { isPreflight, preflightHeaders } from "./cors.ts";
import type { Dialect, Exchange } from "./exchange.ts";
import { isLambdaApiPath, unknownOperation } from "./lambda-api.ts";
import { aliasUrlFunction } from "./lambda-qualifiers.ts";
import {
	namespaceOf,
	sendQueryError,
	signedServiceOf,
} from "./query-protocol.ts";
import {
	fromCode,
	send,
	sendError,
	sendJson,
	type WireError,
} from "./respond.ts";
import type { GatewayRoute, TriggerTarget } from "./route.ts";
import { routePath } from "./route-path.ts";
import type { Router } from "./router.ts";

const TRIGGER_DIALECT: Record<string, Dialect> = {
	aws_iam: "aws",
	acs3: "fc",
	hmac: "sigil",
	webhook: "sigil",
	none: "sigil",
};

/** faas-cli addresses functions as NAME.NAMESPACE; Sigil has one namespace, openfaas-fn's. */
function functionName(param: string): string {
	return param.endsWith(".openfaas-fn")
		? param.slice(0, -".openfaas-fn".length)
		: param;
}

/**
 * An unknown name on a trigger route is answered exactly as a function URL with `AWS_IAM`
 * that the caller may not invoke: an anonymous caller learns nothing about which names exist
 * (AWS answers unknown function URLs the same way).
 */
const UNKNOWN_TRIGGER = { auth: "aws_iam", services: ["lambda"] } as const;

export async function handleRequest(
	ex: Exchange,
	router: Router<GatewayRoute>,
	ctx: GatewayContext,
	meter?: RequestMeter,
): Promise<void> {
	const started = performance.now();
	let outcome = "OK";
	let fn: DeployedFunction | undefined;
	let authz: RouteAuthorization | undefined;
	let matched: GatewayRoute | undefined;
	// The function a handler was given and when it started: the meter times invocations.
	let invoked: DeployedFunction | undefined;
	let invokeStarted = 0;
	try {
		if (!ex.target.startsWith("/"))
			throw new SigilError(
				"BAD_REQUEST",
				"the request-target must be an absolute path",
			);
		const match = router.match(ex.method, routePath(ex.rawPath), ex.rawQuery);
		if (!match || "methodNotAllowed" in match) {
			// A path under one of Lambda's API versions is a Lambda call this gateway does not
			// implement (or not with this method): Lambda's UnknownOperationException, so every
			// SDK raises a named error instead of a bare 404.
			if (isLambdaApiPath(ex.rawPath)) {
				ex.dialect = "aws-lambda";
				throw unknownOperation(ex.method, ex.rawPath);
			}
			if (!match)
				throw new SigilError("ROUTE_NOT_FOUND", `no route for ${ex.rawPath}`);
			throw new SigilError(
				"METHOD_NOT_ALLOWED",
				`${ex.method} is not allowed on ${ex.rawPath}`,
			);
		}
		const { route, params } = match;
		matched = route;
		// Headers every answer of this route carries, errors included (the console's CSP).
		for (const [name, value] of Object.entries(route.responseHeaders ?? {}))
			ex.res.setHeader(name, value);

		if (route.auth === "trigger") {
			fn = await lookupTrigger(ctx, params.name, route.name === "trigger");
			ex.dialect =
				route.dialect ??
				TRIGGER_DIALECT[fn?.config.trigger.auth ?? UNKNOWN_TRIGGER.auth] ??
				"sigil";
			const cors = fn?.config.trigger.cors;
			if (cors && isPreflight(ex.method, ex.req.headers)) {
				const h = preflightHeaders(
					cors,
					ex.header("origin") ?? "",
					ex.header("access-control-request-method") ?? "",
					ex.header("access-control-request-headers"),
				);
				send(ex, 204, Buffer.alloc(0), h);
				outcome = "PREFLIGHT";
				return;
			}
		} else if (route.dialect) ex.dialect = route.dialect;

		ex.body = await readBody(
			ex,
			fn?.config.trigger.maxBodyBytes ?? route.maxBodyBytes ?? ctx.maxBodyBytes,
		);

		const auth = await authenticate(ex, route, ctx, fn);
		meter?.authenticated(route, fn, auth);
		if (!auth.ok) {
			outcome = auth.error.code;
			audit(ctx, ex, fn, outcome, auth.error.status, started, auth);
			sendFailure(ex, route, auth.error);
			return;
		}
		ex.principal = auth.principal;
		const principal = auth.principal as IamPrincipal;

		if (route.auth === "trigger") {
			if (!fn) {
				// A verified caller, a name that does not exist: the same answer as a denial.
				outcome = "ACCESS_DENIED";
				sendForbidden(ex);
				return;
			}
			const target: TriggerTarget = {
				kind: "trigger",
				fn,
				// An alias's URL is its own resource: `function:NAME:ALIAS`.
				resource:
					fn.qualifier === undefined ? fn.arn : `${fn.arn}:${fn.qualifier}`,
				accountId: fn.accountId,
				path: params.rest || "/",
			};
			authz = await authorizeTarget(ex, route, target, principal, ctx);
			if (authz && !authz.decision.allowed) {
				outcome = "ACCESS_DENIED";
				deny(ex, route, authz);
				audit(
					ctx,
					ex,
					fn,
					outcome,
					ex.res.statusCode,
					started,
					undefined,
					authz,
				);
				return;
			}
			invoked = fn;
			invokeStarted = performance.now();
			await route.handle({ ex, ctx, principal, target });
			audit(ctx, ex, fn, outcome, ex.res.statusCode, started, undefined, authz);
			return;
		}

		// Decode and canonicalize the parameters once; what is authorized is what is acted on.
		const bound = await route.bind(ex, params, ctx, principal);
		authz = await authorizeTarget(ex, route, bound.target, principal, ctx);
		if (authz && !authz.decision.allowed) {
			outcome = "ACCESS_DENIED";
			deny(ex, route, authz);
			audit(ctx, ex, fn, outcome, ex.res.statusCode, started, undefined, authz);
			return;
		}
		invoked = bound.target.fn;
		invokeStarted = performance.now();
		await bound.handle();
		if (authz && route.auditSuccess !== false)
			audit(ctx, ex, fn, outcome, ex.res.statusCode, started, undefined, authz);
	} catch (err) {
		const wire = toWireError(err, ex, ctx);
		outcome = wire.code;
		// A start failure's module error, a crash's last output: the owner's, in the logs.
		// A deploy whose server dies before listening: its output goes with the deploy's record.
		const failedArn = (fn ?? invoked)?.arn ?? functionArnOf(authz);
		if (failedArn) ctx.functions.logs.addFailure(ex.id, failedArn, err);
		if (fn || authz)
			audit(ctx, ex, fn, outcome, wire.status, started, undefined, authz);
		sendFailure(ex, matched, wire);
	} finally {
		meter?.finished(
			ex,
			matched,
			fn,
			outcome,
			started,
			authz,
			invoked,
			invokeStarted,
		);
		ctx.log({
			at: "request",
			id: ex.id,
			method: ex.method,
			path: ex.rawPath,
			status: ex.res.statusCode,
			outcome,
			principal: ex.principal?.arn,
			ms: Math.round((performance.now() - started) * 10) / 10,
		});
	}
}

/** The function a trigger route names; `undefined` for a name that does not exist (or is malformed). */
async function lookupTrigger(
	ctx: GatewayContext,
	raw: string | undefined,
	aliases: boolean,
): Promise<DeployedFunction | undefined> {
	let name: string;
	try {
		name = functionName(decodeURIComponent(raw ?? ""));
	} catch {
		return undefined;
	}
	// `NAME:ALIAS` is the alias's own function URL (the synchronous trigger route only).
	const colon = name.indexOf(":");
	if (colon !== -1) {
		if (!aliases) return undefined;
		const fnName = name.slice(0, colon);
		if (!NAME_PATTERN.test(fnName)) return undefined;
		return aliasUrlFunction(ctx, fnName, name.slice(colon + 1));
	}
	if (!NAME_PATTERN.test(name)) return undefined;
	return ctx.functions.lookup(name);
}

async function authenticate(
	ex: Exchange,
	route: GatewayRoute,
	ctx: GatewayContext,
	fn: DeployedFunction | undefined,
): Promise<AuthOutcome> {
	if (route.auth === "none") return { ok: true, principal: anonymous(ex) };
	if (route.auth === "basic") {
		// OpenFaaS's API (faas-cli): every 401 carries the challenge, as RFC 7617 asks.
		const outcome = await authenticateBasic(ctx, ex.header("authorization"));
		if (!outcome.ok) ex.res.setHeader("www-authenticate", BASIC_CHALLENGE);
		return outcome;
	}
	const wire = wireRequestOf(ex);
	if (route.auth === "sigv4") {
		// IAM is a global service the CLI signs for us-east-1 whatever the gateway's region.
		const global =
			route.protocol === "aws-query" &&
			ctx.region !== "us-east-1" &&
			/\/us-east-1\/(iam|sts)\//.test(
				ex.header("authorization") ?? ex.rawQuery.replace(/%2F/gi, "/"),
			);
		return authenticateSigV4(
			global ? { ...ctx, region: "us-east-1" } : ctx,
			wire,
			route.services ?? ["sigil"],
		);
	}
	if (!fn) return authenticateSigV4(ctx, wire, UNKNOWN_TRIGGER.services);
	const trigger = fn.config.trigger;
	switch (trigger.auth) {
		case "none":
			return { ok: true, principal: anonymous(ex) };
		case "aws_iam":
			return authenticateSigV4(ctx, wire, trigger.services);
		case "acs3":
			return authenticateAcs3(ctx, wire);
		case "hmac":
			return authenticateHmac(ctx, wire, fn.accountId, fn.name, trigger);
		case "webhook":
			return authenticateWebhook(ctx, wire, fn.accountId, fn.name, trigger);
	}
}

function anonymous(_ex: Exchange) {
	return {
		accountId: "",
		arn: "anonymous",
		userId: "anonymous",
		accessKeyId: "",
		scheme: "none" as const,
	};
}

function toWireError(err: unknown, ex: Exchange, ctx: GatewayContext) {
	if (err instanceof SigilError) return fromCode(err.code, err.message);
	if (err instanceof RateLimitedError) {
		// The standard header, whatever the dialect of the body (Lambda sends it as well).
		if (!ex.res.headersSent)
			ex.res.setHeader("Retry-After", String(err.retryAfterSeconds));
		return fromCode(err.code, err.message);
	}
	if (err instanceof RuntimeError)
		return fromCode(err.code, runtimeMessage(err));
	// The client went away mid-invocation: nothing to answer, nothing broken.
	if (err instanceof Error && err.name === "AbortError")
		return fromCode(
			"REQUEST_TIMEOUT",
			"the client closed the connection before the answer",
		);
	if (err instanceof StoreError) {
		// The store out (PostgreSQL restarting): a 503 the caller may retry, naming no address —
		// the operator's log and /readyz say which engine and why.
		if (err.code === "STORE_BUSY" || err.code === "STORE_CLOSED")
			return fromCode(
				"ENGINE_UNAVAILABLE",
				"the gateway's store did not answer; nothing was done: retry",
			);
		if (err.code === "STORE_NOT_FOUND")
			return fromCode("FUNCTION_NOT_FOUND", err.message);
		if (err.code === "STORE_CONFLICT") return fromCode("CONFLICT", err.message);
	}
	ctx.log({
		at: "error",
		id: ex.id,
		error: err instanceof Error ? (err.stack ?? err.message) : String(err),
	});
	return fromCode(
		"INTERNAL",
		`internal error; quote request id ${ex.id} when reporting it`,
	);
}

function runtimeMessage(err: RuntimeError): string {
	// The function's own error text may hold anything; callers get the kind, owners get the detail in logs.
	const spec = ERRORS[err.code];
	return spec ? err.message : "the function failed";
}

/** Errors in the route's protocol: XML for the IAM/STS query endpoint, else the dialect's. */
function sendFailure(
	ex: Exchange,
	route: GatewayRoute | undefined,
	error: WireError,
): void {
	if (route?.protocol !== "aws-query") {
		sendError(ex, error);
		return;
	}
	const spec = (ERRORS as Record<string, { aws: string } | undefined>)[
		error.code
	];
	sendQueryError(
		ex,
		namespaceOf(signedServiceOf(ex)),
		error,
		error.wireCode ?? spec?.aws ?? "ServiceException",
	);
}

/**
 * Answers a denied request in the caller's dialect. Function-URL callers get AWS's bare
 * `{"Message":"Forbidden"}` (Lambda function URLs say no more); every API caller gets AWS's
 * access-denied text, which names the principal, action, resource and the kind of policy missing.
 */
function deny(
	ex: Exchange,
	route: GatewayRoute,
	authz: RouteAuthorization,
): void {
	if (route.auth === "trigger" && ex.dialect !== "fc") {
		sendForbidden(ex);
		return;
	}
	sendError(
		ex,
		fromCode(
			"ACCESS_DENIED",
			accessDeniedMessage(authz.decision, authz.request),
		),
	);
}

/** Lambda function URLs' whole answer to a caller that may not invoke. */
function sendForbidden(ex: Exchange): void {
	sendJson(
		ex,
		403,
		{ Message: "Forbidden" },
		{ "x-amzn-ErrorType": "AccessDeniedException" },
	);
}

/** The decision as the audit log keeps it; the full explanation only for denials. */
function decisionDetail(authz: RouteAuthorization) {
	const { decision, request } = authz;
	return {
		action: request.action,
		resource: request.resource,
		decision: decision.decision,
		reason: decision.reason,
		...(decision.decidedBy && { decidedBy: decision.decidedBy }),
		...(!decision.allowed && { explanation: explain(decision, request) }),
	};
}

/** The function ARN a control-plane request was authorized on, if it names one. */
function functionArnOf(
	authz: RouteAuthorization | undefined,
): string | undefined {
	const resource = authz?.request.resource;
	return typeof resource === "string" &&
		/^arn:aws:lambda:[^:]*:\d+:function:[A-Za-z0-9_-]+$/.test(resource)
		? resource
		: undefined;
}

function audit(
	ctx: GatewayContext,
	ex: Exchange,
	fn: DeployedFunction | undefined,
	outcome: string,
	status: number,
	started: number,
	auth?: AuthOutcome,
	authz?: RouteAuthorization,
): void {
	const failure = auth && !auth.ok ? auth : undefined;
	const accountId =
		failure?.ownerAccountId ??
		fn?.accountId ??
		authz?.accountId ??
		ex.principal?.accountId;
	if (!accountId) return;
	// The diagnosis (canonical request, likely cause) is for the key's owner: record it only in
	// the account that owns the key that signed.
	const detail =
		failure?.diagnosis && failure.ownerAccountId
			? { diagnosis: failure.diagnosis, message: failure.error.message }
			: failure
				? { message: failure.error.message }
				: authz
					? { authorization: decisionDetail(authz) }
					: null;
	const logs = ctx.functions.logs.take(ex.id, fn?.arn);
	// A failed deploy's output (a server that died before listening) names its function.
	const functionName =
		fn?.name ??
		authz?.functionName ??
		(logs !== "" ? (functionArnOf(authz)?.split(":").at(-1) ?? null) : null);
	void ctx.store.audit.append({
		requestId: ex.id,
		time: ex.receivedAt,
		accountId,
		functionName,
		principalArn: ex.principal?.arn ?? null,
		accessKeyId: failure?.accessKeyId ?? (ex.principal?.accessKeyId || null),
		scheme: ex.principal?.scheme ?? (fn ? fn.config.trigger.auth : "sigv4"),
		outcome,
		httpStatus: status,
		durationMs: Math.round(performance.now() - started),
		detail,
		logs,
	});
}

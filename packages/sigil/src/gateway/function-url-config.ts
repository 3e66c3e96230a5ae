/**
 * Lambda's function-URL config API (Lambda API Reference, CreateFunctionUrlConfig,
 * GetFunctionUrlConfig, UpdateFunctionUrlConfig, DeleteFunctionUrlConfig; path
 * `/2021-10-31/functions/{name}/url`) mapped onto Sigil's trigger: `AuthType` AWS_IAM | NONE is
 * `trigger.auth` aws_iam | none, `Cors` is `trigger.cors`, and the URL is Sigil's
 * `http://HOST/function/NAME/`.
 *
 * Departure, on purpose: a Sigil function always has its URL (the trigger cannot be removed), so
 * Create answers 201 whatever was there, and Delete closes the URL to `AWS_IAM` with no CORS —
 * the most closed state a trigger has. Setting `NONE` adds the public-invoke statement when the
 * policy lacks it, as AWS's console does.
 */
import type { FunctionConfigInput } from "../config/function-config.ts";
import { SigilError } from "../errors.ts";
import type { DeployedFunction } from "../functions/registry.ts";
import {
	policyDocument,
	publicStatements,
	statementsOf,
} from "../iam/public-invoke.ts";
import * as aliasUrls from "./alias-url-config.ts";
import { policyTarget } from "./authorize.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange } from "./exchange.ts";
import { send, sendJson } from "./respond.ts";
import type { Call } from "./route.ts";
import { deployedFunction, type FunctionTarget } from "./targets.ts";

/** A Qualifier that is an alias name (not `$LATEST`, not a number): the alias's own URL. */
const isAliasQualifier = (t: FunctionTarget) =>
	t.qualifier !== undefined &&
	t.qualifier !== "$LATEST" &&
	!/^\d+$/.test(t.qualifier);

type Cors = NonNullable<NonNullable<FunctionConfigInput["trigger"]>["cors"]>;

const CORS_FIELDS: readonly [string, keyof Cors][] = [
	["AllowOrigins", "allowOrigins"],
	["AllowMethods", "allowMethods"],
	["AllowHeaders", "allowHeaders"],
	["ExposeHeaders", "exposeHeaders"],
	["MaxAge", "maxAge"],
	["AllowCredentials", "allowCredentials"],
];

export function toCors(raw: unknown): Cors | undefined {
	if (raw === undefined || raw === null) return undefined;
	if (typeof raw !== "object" || Array.isArray(raw))
		throw new SigilError("INVALID_PARAMETER", "Cors must be an object");
	const known = new Set(CORS_FIELDS.map(([aws]) => aws));
	for (const key of Object.keys(raw))
		if (!known.has(key))
			throw new SigilError(
				"INVALID_PARAMETER",
				`Cors.${key.slice(0, 64)} is not a CORS setting; use ${[...known].join(", ")}`,
			);
	const out: Record<string, unknown> = {};
	for (const [aws, ours] of CORS_FIELDS) {
		const v = (raw as Record<string, unknown>)[aws];
		if (v !== undefined) out[ours] = v;
	}
	return out as Cors;
}

export function fromCors(
	cors: Cors | undefined,
): Record<string, unknown> | undefined {
	if (!cors) return undefined;
	const out: Record<string, unknown> = {};
	for (const [aws, ours] of CORS_FIELDS)
		if (cors[ours] !== undefined) out[aws] = cors[ours];
	return out;
}

function view(ex: Exchange, fn: DeployedFunction) {
	const host = ex.header("host") ?? "127.0.0.1";
	const iso = (ms: number) => new Date(ms).toISOString();
	const cors = fromCors(fn.config.trigger.cors);
	return {
		FunctionUrl: `http://${host}/function/${fn.name}/`,
		FunctionArn: fn.arn,
		AuthType: fn.config.trigger.auth === "none" ? "NONE" : "AWS_IAM",
		...(cors && { Cors: cors }),
		CreationTime: iso(fn.record.createdAt),
		LastModifiedTime: iso(fn.record.updatedAt),
		InvokeMode: fn.config.trigger.invokeMode,
	};
}

/**
 * The request body, holding only fields this gateway acts on. `InvokeMode` is `BUFFERED` or
 * `RESPONSE_STREAM` (a streaming Node handler's answer then reaches the caller as it is
 * written; other handlers are buffered, as on Lambda); anything else is refused.
 */
export function body(ex: Exchange): Record<string, unknown> {
	let v: unknown;
	try {
		v = JSON.parse(ex.body.toString("utf8") || "{}");
	} catch {
		v = undefined;
	}
	if (!v || typeof v !== "object" || Array.isArray(v))
		throw new SigilError(
			"BAD_REQUEST",
			"the request body must be a JSON object",
		);
	const b = v as Record<string, unknown>;
	for (const key of Object.keys(b))
		if (key !== "AuthType" && key !== "Cors" && key !== "InvokeMode")
			throw new SigilError(
				"INVALID_PARAMETER",
				`${key.slice(0, 64)} is not supported by function URL configs on this gateway`,
			);
	if (
		b.InvokeMode !== undefined &&
		b.InvokeMode !== "BUFFERED" &&
		b.InvokeMode !== "RESPONSE_STREAM"
	)
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${String(b.InvokeMode).slice(0, 20)}' at 'invokeMode' failed to satisfy constraint: Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]`,
		);
	return b;
}

function invokeModeOf(
	b: Record<string, unknown>,
): "BUFFERED" | "RESPONSE_STREAM" | undefined {
	return b.InvokeMode === "BUFFERED" || b.InvokeMode === "RESPONSE_STREAM"
		? b.InvokeMode
		: undefined;
}

/** Redeploys the function's config (code kept) with a new trigger auth, CORS and invoke mode. */
async function setUrl(
	ctx: GatewayContext,
	fn: DeployedFunction,
	authType: string | undefined,
	cors: Cors | undefined | null,
	invokeMode?: "BUFFERED" | "RESPONSE_STREAM" | null,
): Promise<DeployedFunction> {
	if (authType !== undefined && authType !== "AWS_IAM" && authType !== "NONE")
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${authType.slice(0, 20)}' at 'authType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]`,
		);
	const config = fn.record.config as FunctionConfigInput;
	const trigger = { ...(config.trigger ?? { auth: "none" as const }) };
	if (authType === "NONE") {
		trigger.auth = "none";
		delete trigger.services;
	} else if (authType === "AWS_IAM" && trigger.auth !== "aws_iam") {
		trigger.auth = "aws_iam";
		trigger.services = ["lambda"];
	}
	if (trigger.auth !== "aws_iam") delete trigger.services;
	if (trigger.auth !== "hmac" && trigger.auth !== "webhook") {
		delete trigger.secrets;
		delete trigger.header;
		delete trigger.algorithms;
		delete trigger.tolerance;
	}
	if (cors === null) delete trigger.cors;
	else if (cors !== undefined) trigger.cors = cors;
	if (invokeMode === null) delete trigger.invokeMode;
	else if (invokeMode !== undefined) trigger.invokeMode = invokeMode;
	const { fn: updated } = await ctx.functions.deploy(
		fn.accountId,
		fn.name,
		{ ...config, trigger },
		undefined,
	);
	if (authType === "NONE") await ensurePublic(ctx, updated);
	ctx.authorizer.invalidateFunction(fn.accountId, fn.name);
	return updated;
}

async function ensurePublic(ctx: GatewayContext, fn: DeployedFunction) {
	const document = await ctx.authorizer.functionPolicyDocument(
		policyTarget(fn),
	);
	const statements = statementsOf(document);
	const sids = new Set(statements.map((s) => (s as { Sid?: unknown }).Sid));
	// The statements the gateway's function URL model grants the public, those not there yet.
	const missing = publicStatements(
		fn.arn,
		ctx.authorizer.functionUrlAuth,
	).filter((s) => !sids.has(s.Sid));
	if (missing.length === 0) return;
	const stored = await ctx.store.functions.getPolicy(fn.accountId, fn.name);
	await ctx.store.functions.putPolicy(
		fn.accountId,
		fn.name,
		policyDocument([...statements, ...missing]),
		stored?.policyRevision ?? 0,
	);
}

/**
 * The function whose own URL a request configures: no Qualifier or `$LATEST`. A version number
 * is refused by Lambda's pattern; an alias's URL is its own (alias-url-config.ts), never the
 * function's configured in its place.
 */
function urlFunction(target: FunctionTarget): DeployedFunction {
	const q = target.qualifier;
	if (q !== undefined && q !== "$LATEST")
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${q.slice(0, 40)}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (^\\$LATEST$)|((?!^[0-9]+$)([a-zA-Z0-9-_]+))`,
		);
	return deployedFunction(target);
}

export async function createUrlConfig({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	if (isAliasQualifier(target))
		return aliasUrls.createAliasUrl(ex, ctx, target);
	const fn = urlFunction(target);
	const b = body(ex);
	if (typeof b.AuthType !== "string")
		throw new SigilError(
			"INVALID_PARAMETER",
			"1 validation error detected: Value null at 'authType' failed to satisfy constraint: Member must not be null",
		);
	const updated = await setUrl(
		ctx,
		fn,
		b.AuthType,
		toCors(b.Cors) ?? null,
		invokeModeOf(b) ?? null,
	);
	const { LastModifiedTime: _, ...created } = view(ex, updated);
	sendJson(ex, 201, created);
}

export async function getUrlConfig({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	if (isAliasQualifier(target)) return aliasUrls.getAliasUrl(ex, ctx, target);
	sendJson(ex, 200, view(ex, urlFunction(target)));
}

export async function updateUrlConfig({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	if (isAliasQualifier(target))
		return aliasUrls.updateAliasUrl(ex, ctx, target);
	const fn = urlFunction(target);
	const b = body(ex);
	const authType = typeof b.AuthType === "string" ? b.AuthType : undefined;
	const updated = await setUrl(
		ctx,
		fn,
		authType,
		toCors(b.Cors),
		invokeModeOf(b),
	);
	sendJson(ex, 200, view(ex, updated));
}

export async function deleteUrlConfig({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	if (isAliasQualifier(target))
		return aliasUrls.deleteAliasUrl(ex, ctx, target);
	const fn = urlFunction(target);
	await setUrl(ctx, fn, "AWS_IAM", null, null);
	send(ex, 204, Buffer.alloc(0));
}

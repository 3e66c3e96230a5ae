/**
 * An alias's own function URL (Lambda's Create/Get/Update/DeleteFunctionUrlConfig with
 * `Qualifier=ALIAS`): `http://HOST/function/NAME:ALIAS/`, with its own `AuthType` and `Cors`,
 * serving the version the alias points at (its routing weights included, per request), decided
 * by the alias's own resource policy on `function:NAME:ALIAS`. The function's URL
 * (`/function/NAME/`, `$LATEST`) is untouched by any of these.
 *
 * As Lambda: Create on an alias that has a URL is ResourceConflictException; Get, Update and
 * Delete of one without a URL are ResourceNotFoundException. `AuthType: NONE` adds the
 * public-invoke statements (Resource: the alias's ARN) to the alias's policy, as AWS's console
 * does. `InvokeMode` is `BUFFERED` only for now.
 */
import { SigilError } from "../errors.ts";
import type { DeployedFunction } from "../functions/registry.ts";
import {
	policyDocument,
	publicStatements,
	statementsOf,
} from "../iam/public-invoke.ts";
import { isStoreError } from "../store/errors.ts";
import type { AliasUrlConfig, FunctionAliasRecord } from "../store/types.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange } from "./exchange.ts";
import { body, fromCors, toCors } from "./function-url-config.ts";
import { resolveQualifier } from "./lambda-qualifiers.ts";
import { send, sendJson } from "./respond.ts";
import type { FunctionTarget } from "./targets.ts";

const NO_URL = "The resource you requested does not exist.";

async function aliasOf(
	ctx: GatewayContext,
	target: FunctionTarget,
): Promise<{ fn: DeployedFunction; alias: FunctionAliasRecord }> {
	const q = await resolveQualifier(ctx, target);
	if (q.kind !== "alias")
		throw new SigilError("INTERNAL", "an alias URL route without an alias");
	return { fn: q.fn, alias: q.alias };
}

function authTypeOf(
	raw: unknown,
	required: boolean,
): "NONE" | "AWS_IAM" | undefined {
	if (raw === undefined || raw === null) {
		if (required)
			throw new SigilError(
				"INVALID_PARAMETER",
				"1 validation error detected: Value null at 'authType' failed to satisfy constraint: Member must not be null",
			);
		return undefined;
	}
	if (raw !== "NONE" && raw !== "AWS_IAM")
		throw new SigilError(
			"INVALID_PARAMETER",
			`1 validation error detected: Value '${String(raw).slice(0, 20)}' at 'authType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]`,
		);
	return raw;
}

function checkInvokeMode(b: Record<string, unknown>): void {
	if (b.InvokeMode === "RESPONSE_STREAM")
		throw new SigilError(
			"INVALID_PARAMETER",
			"InvokeMode RESPONSE_STREAM is not supported yet for an alias's function URL on this gateway (its answers are buffered); leave InvokeMode out or BUFFERED",
		);
}

/** An alias's URL as GetFunctionUrlConfig answers it. */
export function aliasUrlView(
	ex: Exchange,
	fn: DeployedFunction,
	alias: string,
	url: AliasUrlConfig,
) {
	const host = ex.header("host") ?? "127.0.0.1";
	const cors = fromCors(url.cors as Parameters<typeof fromCors>[0]);
	return {
		FunctionUrl: `http://${host}/function/${fn.name}:${alias}/`,
		FunctionArn: `${fn.arn}:${alias}`,
		AuthType: url.authType,
		...(cors && { Cors: cors }),
		CreationTime: new Date(url.createdAt).toISOString(),
		LastModifiedTime: new Date(url.updatedAt).toISOString(),
		InvokeMode: "BUFFERED",
	};
}

/** `AuthType: NONE`: the public statements of the gateway's URL model, on the alias's policy. */
async function ensurePublic(
	ctx: GatewayContext,
	fn: DeployedFunction,
	alias: string,
): Promise<void> {
	const stored = await ctx.store.versions.getPolicy(
		fn.accountId,
		fn.name,
		alias,
	);
	const statements = statementsOf(stored?.document);
	const sids = new Set(statements.map((s) => (s as { Sid?: unknown }).Sid));
	const missing = publicStatements(
		`${fn.arn}:${alias}`,
		ctx.authorizer.functionUrlAuth,
	).filter((s) => !sids.has(s.Sid));
	if (missing.length === 0) return;
	await ctx.store.versions.putPolicy(
		fn.accountId,
		fn.name,
		alias,
		policyDocument([...statements, ...missing]),
		stored?.policyRevision ?? 0,
	);
}

async function write(
	ctx: GatewayContext,
	fn: DeployedFunction,
	alias: string,
	url: AliasUrlConfig | null,
): Promise<void> {
	try {
		await ctx.store.versions.putAliasUrl(fn.accountId, fn.name, alias, url);
		if (url?.authType === "NONE") await ensurePublic(ctx, fn, alias);
	} catch (err) {
		if (isStoreError(err, "STORE_NOT_FOUND"))
			throw new SigilError(
				"FUNCTION_NOT_FOUND",
				`Function not found: ${fn.arn}:${alias}`,
			);
		throw err;
	} finally {
		ctx.authorizer.invalidateFunction(fn.accountId, fn.name);
	}
}

export async function createAliasUrl(
	ex: Exchange,
	ctx: GatewayContext,
	target: FunctionTarget,
): Promise<void> {
	const { fn, alias } = await aliasOf(ctx, target);
	const b = body(ex);
	checkInvokeMode(b);
	const authType = authTypeOf(b.AuthType, true) as "NONE" | "AWS_IAM";
	const cors = toCors(b.Cors);
	if (alias.url)
		throw new SigilError(
			"CONFLICT",
			`Failed to create function url config for [functionArn = ${fn.arn}:${alias.alias}]. Error message:  FunctionUrlConfig exists for this Lambda function`,
		);
	const now = ctx.now();
	const url: AliasUrlConfig = {
		authType,
		...(cors && { cors }),
		createdAt: now,
		updatedAt: now,
	};
	await write(ctx, fn, alias.alias, url);
	const { LastModifiedTime: _, ...created } = aliasUrlView(
		ex,
		fn,
		alias.alias,
		url,
	);
	sendJson(ex, 201, created);
}

export async function getAliasUrl(
	ex: Exchange,
	ctx: GatewayContext,
	target: FunctionTarget,
): Promise<void> {
	const { fn, alias } = await aliasOf(ctx, target);
	if (!alias.url) throw new SigilError("FUNCTION_NOT_FOUND", NO_URL);
	sendJson(ex, 200, aliasUrlView(ex, fn, alias.alias, alias.url));
}

export async function updateAliasUrl(
	ex: Exchange,
	ctx: GatewayContext,
	target: FunctionTarget,
): Promise<void> {
	const { fn, alias } = await aliasOf(ctx, target);
	const b = body(ex);
	checkInvokeMode(b);
	const authType = authTypeOf(b.AuthType, false);
	const cors = toCors(b.Cors);
	if (!alias.url) throw new SigilError("FUNCTION_NOT_FOUND", NO_URL);
	const url: AliasUrlConfig = {
		...alias.url,
		...(authType && { authType }),
		...(cors && { cors }),
		updatedAt: ctx.now(),
	};
	await write(ctx, fn, alias.alias, url);
	sendJson(ex, 200, aliasUrlView(ex, fn, alias.alias, url));
}

export async function deleteAliasUrl(
	ex: Exchange,
	ctx: GatewayContext,
	target: FunctionTarget,
): Promise<void> {
	const { fn, alias } = await aliasOf(ctx, target);
	if (!alias.url) throw new SigilError("FUNCTION_NOT_FOUND", NO_URL);
	await write(ctx, fn, alias.alias, null);
	send(ex, 204, Buffer.alloc(0));
}

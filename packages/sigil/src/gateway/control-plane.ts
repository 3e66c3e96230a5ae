/**
 * The control-plane API (docs/control-plane.md): functions, access keys, secrets and logs of
 * the caller's own account. Every handler here runs after SigV4 verification (service `sigil`);
 * the route table says so.
 */
import type { FunctionConfigInput } from "../config/function-config.ts";
import { matchesLogFilters, readLogFilters } from "../console/index.ts";
import { SigilError } from "../errors.ts";
import { IamAdmin } from "../iam/admin.ts";
import { isStoreError } from "../store/errors.ts";
import type { AccessKey, FunctionRecord } from "../store/types.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange } from "./exchange.ts";
import { send, sendJson } from "./respond.ts";
import type { Call } from "./route.ts";
import type {
	AccountTarget,
	FunctionTarget,
	KeyOwnerTarget,
	KeyTarget,
	LogTarget,
	SecretTarget,
} from "./targets.ts";

function jsonBody(ex: Exchange): Record<string, unknown> {
	if (ex.body.length === 0) return {};
	let value: unknown;
	try {
		value = JSON.parse(ex.body.toString("utf8"));
	} catch {
		throw new SigilError("BAD_REQUEST", "the request body must be JSON");
	}
	if (!value || typeof value !== "object" || Array.isArray(value))
		throw new SigilError(
			"BAD_REQUEST",
			"the request body must be a JSON object",
		);
	return value as Record<string, unknown>;
}

function iso(ms: number | null): string | undefined {
	return ms === null ? undefined : new Date(ms).toISOString();
}

function functionView(ex: Exchange, record: FunctionRecord, arn: string) {
	const config = record.config as FunctionConfigInput;
	const host = ex.header("host") ?? "127.0.0.1";
	return {
		name: record.name,
		arn,
		runtime: config.runtime,
		auth: config.trigger?.auth ?? "none",
		url: `http://${host}/function/${record.name}`,
		revision: record.revision,
		codeSha256: record.codeSha256,
		codeSize: record.codeSize,
		config,
		createdAt: iso(record.createdAt),
		updatedAt: iso(record.updatedAt),
	};
}

export async function info({ ex, ctx }: Call<AccountTarget>): Promise<void> {
	sendJson(ex, 200, {
		name: "sigil",
		version: ctx.version,
		region: ctx.region,
		isolation: ctx.functions.isolation,
	});
}

export async function whoami({
	ex,
	principal: p,
}: Call<AccountTarget>): Promise<void> {
	sendJson(ex, 200, {
		Account: p.accountId,
		Arn: p.arn,
		UserId: p.userId,
		AccessKeyId: p.accessKeyId,
	});
}

export async function listFunctions({
	ex,
	ctx,
	target,
}: Call<AccountTarget>): Promise<void> {
	const records = await ctx.store.functions.list(target.accountId);
	sendJson(ex, 200, {
		functions: records.map((r) =>
			functionView(ex, r, ctx.functions.arnOf(r.accountId, r.name)),
		),
	});
}

export async function getFunction({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const record = await ctx.store.functions.get(target.accountId, target.name);
	if (!record)
		throw new SigilError(
			"FUNCTION_NOT_FOUND",
			`function '${target.name}' does not exist in account ${target.accountId}`,
		);
	// Live instances, for runtimes that keep warm ones (fork-per-request and http have none).
	const instances = target.fn?.runtime.stats?.() ?? null;
	sendJson(ex, 200, {
		function: { ...functionView(ex, record, target.resource), instances },
	});
}

export async function putFunction({
	ex,
	ctx,
	target,
	principal,
}: Call<FunctionTarget>): Promise<void> {
	const body = jsonBody(ex);
	const unknown = Object.keys(body).filter(
		(k) => k !== "config" && k !== "code",
	);
	if (unknown.length)
		throw new SigilError(
			"BAD_REQUEST",
			`the body holds ${unknown.map((k) => JSON.stringify(k)).join(", ")}, which this API does not take: only "config" and "code"`,
		);
	if (body.config === undefined)
		throw new SigilError(
			"BAD_REQUEST",
			'the body must hold "config" (and "code" for a new function)',
		);
	const existing = await ctx.store.functions.get(target.accountId, target.name);
	if (!existing && body.code === undefined)
		throw new SigilError(
			"BAD_REQUEST",
			`function '${target.name}' is new: the body must hold its "code"`,
		);
	const { fn, created } = await ctx.functions.deploy(
		target.accountId,
		target.name,
		body.config as FunctionConfigInput,
		body.code,
		principal,
	);
	sendJson(ex, created ? 201 : 200, {
		function: functionView(ex, fn.record, fn.arn),
	});
}

export async function deleteFunction({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	await ctx.functions.remove(target.accountId, target.name);
	send(ex, 204, Buffer.alloc(0));
}

function keyView(k: AccessKey) {
	return {
		AccessKeyId: k.accessKeyId,
		Status: k.status,
		CreateDate: iso(k.createdAt),
		...(k.userName !== null && { UserName: k.userName }),
		...(k.lastUsedAt !== null && {
			LastUsedDate: iso(k.lastUsedAt),
			LastUsedScheme: k.lastUsedScheme,
			LastUsedService: k.lastUsedService,
		}),
	};
}

/** The keys of `?user=NAME` or of the caller's own identity (IAM's ListAccessKeys). */
export async function listKeys({
	ex,
	ctx,
	target,
}: Call<KeyOwnerTarget>): Promise<void> {
	const keys = await new IamAdmin(ctx).listAccessKeys(
		target.accountId,
		target.userName,
	);
	sendJson(ex, 200, { AccessKeyMetadata: keys.map(keyView) });
}

/** A key for `?user=NAME` or the caller's own identity, within IAM's two-keys quota. */
export async function createKey({
	ex,
	ctx,
	target,
}: Call<KeyOwnerTarget>): Promise<void> {
	const key = await new IamAdmin(ctx).createAccessKey(
		target.accountId,
		target.userName,
	);
	sendJson(ex, 201, {
		AccessKey: { ...keyView(key), SecretAccessKey: key.secretAccessKey },
	});
}

function setKeyStatus(status: "Active" | "Inactive") {
	return async ({ ex, ctx, principal, target }: Call<KeyTarget>) => {
		await new IamAdmin(ctx).updateAccessKey(
			target.accountId,
			target.userName,
			target.accessKeyId,
			status,
			principal.accessKeyId,
		);
		sendJson(ex, 200, { AccessKeyId: target.accessKeyId, Status: status });
	};
}
export const disableKey = setKeyStatus("Inactive");
export const enableKey = setKeyStatus("Active");

export async function deleteKey({
	ex,
	ctx,
	principal,
	target,
}: Call<KeyTarget>): Promise<void> {
	await new IamAdmin(ctx).deleteAccessKey(
		target.accountId,
		target.userName,
		target.accessKeyId,
		principal.accessKeyId,
	);
	send(ex, 204, Buffer.alloc(0));
}

export async function listSecrets({
	ex,
	ctx,
	target,
}: Call<AccountTarget>): Promise<void> {
	const secrets = await ctx.store.secrets.list(target.accountId);
	sendJson(ex, 200, {
		secrets: secrets.map((s) => ({
			name: s.name,
			createdAt: iso(s.createdAt),
			updatedAt: iso(s.updatedAt),
		})),
	});
}

async function functionsUsing(
	ctx: GatewayContext,
	accountId: string,
	secret: string,
): Promise<FunctionRecord[]> {
	const all = await ctx.store.functions.list(accountId);
	return all.filter((r) => {
		const c = r.config as FunctionConfigInput;
		return c.secrets?.includes(secret) || c.trigger?.secrets?.includes(secret);
	});
}

export async function putSecret({
	ex,
	ctx,
	target,
}: Call<SecretTarget>): Promise<void> {
	const body = jsonBody(ex);
	const unknown = Object.keys(body).filter((k) => k !== "value");
	if (
		unknown.length ||
		typeof body.value !== "string" ||
		!/^[A-Za-z0-9+/]*={0,2}$/.test(body.value)
	)
		throw new SigilError(
			"BAD_REQUEST",
			'the body must be {"value": "<base64 of the secret bytes>"} and nothing else',
		);
	const info = await ctx.store.secrets.put(
		target.accountId,
		target.name,
		Buffer.from(body.value, "base64"),
	);
	// Functions holding the old value as a file get the new one.
	for (const r of await functionsUsing(ctx, target.accountId, target.name))
		await ctx.functions.refresh(r.name);
	sendJson(ex, 200, {
		name: info.name,
		createdAt: iso(info.createdAt),
		updatedAt: iso(info.updatedAt),
	});
}

export async function getSecret({
	ex,
	ctx,
	target,
}: Call<SecretTarget>): Promise<void> {
	// `?version=…` or the like would be taken for a choice it is not: refused, not ignored.
	if (ex.rawQuery !== "")
		throw new SigilError(
			"BAD_REQUEST",
			"GET /sigil/v1/secrets/NAME takes no query parameters",
		);
	const value = await ctx.store.secrets.get(target.accountId, target.name);
	if (!value)
		throw new SigilError(
			"SECRET_NOT_FOUND",
			`secret '${target.name}' does not exist in account ${target.accountId}`,
		);
	// A value in an answer must not linger in a proxy's or browser's cache.
	ex.res.setHeader("Cache-Control", "no-store");
	sendJson(ex, 200, {
		name: target.name,
		value: value.toString("base64"),
	});
}

export async function deleteSecret({
	ex,
	ctx,
	target,
}: Call<SecretTarget>): Promise<void> {
	const { accountId, name } = target;
	const users = await functionsUsing(ctx, accountId, name);
	if (users.length)
		throw new SigilError(
			"CONFLICT",
			`secret '${name}' is used by ${users.map((u) => u.name).join(", ")}; remove it from them first`,
		);
	try {
		await ctx.store.secrets.delete(accountId, name);
	} catch (err) {
		if (isStoreError(err, "STORE_NOT_FOUND"))
			throw new SigilError(
				"SECRET_NOT_FOUND",
				`secret '${name}' does not exist in account ${accountId}`,
			);
		throw err;
	}
	send(ex, 204, Buffer.alloc(0));
}

/** `since`: an ISO 8601 time or milliseconds since the epoch. */
function parseSince(text: string): number {
	const ms = /^\d{1,15}$/.test(text) ? Number(text) : Date.parse(text);
	if (!Number.isFinite(ms) || !/^[\dT:.+\-Z ]+$/i.test(text))
		throw new SigilError(
			"BAD_REQUEST",
			"since must be a time: ISO 8601 (2026-01-01T00:00:00Z) or milliseconds since the epoch",
		);
	return ms;
}

export async function queryLogs({
	ex,
	ctx,
	target,
}: Call<LogTarget>): Promise<void> {
	const q = new URLSearchParams(ex.rawQuery);
	const after = q.get("after");
	const limit = q.get("limit");
	if (after !== null && !/^\d+$/.test(after))
		throw new SigilError(
			"BAD_REQUEST",
			"after must be a record id (a whole number)",
		);
	if (limit !== null && !/^\d+$/.test(limit))
		throw new SigilError(
			"BAD_REQUEST",
			"limit must be a whole number from 1 to 1000",
		);
	const sinceText = q.get("since");
	const since = sinceText === null ? undefined : parseSince(sinceText);
	const filters = readLogFilters(q);
	const requestId = q.get("requestId");
	if (requestId !== null && !/^[A-Za-z0-9._:-]{1,128}$/.test(requestId))
		throw new SigilError(
			"BAD_REQUEST",
			"requestId must be a request id (letters, digits, . _ : -, at most 128)",
		);
	await ctx.store.audit.flush();
	const result = await ctx.store.audit.query({
		...(since !== undefined && { since }),
		...(requestId !== null && { requestId }),
		accountId: target.accountId,
		...(target.functionName !== undefined && {
			functionName: target.functionName,
		}),
		...filters,
		...(after !== null && { after: Number(after) }),
		...(limit !== null && {
			limit: Math.min(1000, Math.max(1, Number(limit))),
		}),
	});
	sendJson(ex, 200, {
		// An adapter that does not filter by time or request id itself is filtered here.
		records: result.records
			.filter(
				(r) =>
					(since === undefined || r.time >= since) &&
					(requestId === null || r.requestId === requestId) &&
					matchesLogFilters(r, filters),
			)
			.map((r) => ({
				id: r.id,
				requestId: r.requestId,
				time: iso(r.time),
				function: r.functionName,
				principal: r.principalArn,
				accessKeyId: r.accessKeyId,
				scheme: r.scheme,
				outcome: r.outcome,
				status: r.httpStatus,
				durationMs: r.durationMs,
				detail: r.detail,
				logs: r.logs,
			})),
		next: result.next,
	});
}

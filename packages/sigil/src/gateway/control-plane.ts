/**
 * The control-plane API (docs/control-plane.md): functions, access keys, secrets and logs of
 * the caller's own account. Every handler here runs after SigV4 verification (service `sigil`);
 * the route table says so.
 */
import type { FunctionConfigInput } from "../config/function-config.ts";
import { NAME_PATTERN } from "../config/function-config.ts";
import { SigilError } from "../errors.ts";
import { isStoreError } from "../store/errors.ts";
import type { AccessKey, FunctionRecord } from "../store/types.ts";
import type { GatewayContext } from "./context.ts";
import type { Exchange, Principal } from "./exchange.ts";
import { send, sendJson } from "./respond.ts";
import type { RouteParams } from "./router.ts";

function principal(ex: Exchange): Principal {
	if (!ex.principal || ex.principal.scheme === "none")
		throw new SigilError(
			"INTERNAL",
			"control-plane handler reached without a verified principal",
		);
	return ex.principal;
}

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

function checkName(name: string | undefined, what: string): string {
	if (!name || !NAME_PATTERN.test(name))
		throw new SigilError(
			"BAD_REQUEST",
			`${what} name ${JSON.stringify(name)} is invalid: use lower-case letters, digits and '-' (1–64)`,
		);
	return name;
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

export async function info(
	ex: Exchange,
	_p: RouteParams,
	ctx: GatewayContext,
): Promise<void> {
	sendJson(ex, 200, {
		name: "sigil",
		version: ctx.version,
		region: ctx.region,
	});
}

export async function whoami(ex: Exchange): Promise<void> {
	const p = principal(ex);
	sendJson(ex, 200, {
		Account: p.accountId,
		Arn: p.arn,
		UserId: p.userId,
		AccessKeyId: p.accessKeyId,
	});
}

export async function listFunctions(
	ex: Exchange,
	_p: RouteParams,
	ctx: GatewayContext,
): Promise<void> {
	const records = await ctx.store.functions.list(principal(ex).accountId);
	sendJson(ex, 200, {
		functions: records.map((r) =>
			functionView(ex, r, ctx.functions.arnOf(r.accountId, r.name)),
		),
	});
}

export async function getFunction(
	ex: Exchange,
	params: RouteParams,
	ctx: GatewayContext,
): Promise<void> {
	const { accountId } = principal(ex);
	const name = checkName(params.name, "function");
	const record = await ctx.store.functions.get(accountId, name);
	if (!record)
		throw new SigilError(
			"FUNCTION_NOT_FOUND",
			`function '${name}' does not exist in account ${accountId}`,
		);
	sendJson(ex, 200, {
		function: functionView(ex, record, ctx.functions.arnOf(accountId, name)),
	});
}

export async function putFunction(
	ex: Exchange,
	params: RouteParams,
	ctx: GatewayContext,
): Promise<void> {
	const { accountId } = principal(ex);
	const name = checkName(params.name, "function");
	const body = jsonBody(ex);
	if (body.config === undefined)
		throw new SigilError(
			"BAD_REQUEST",
			'the body must hold "config" (and "code" for a new function)',
		);
	const existing = await ctx.store.functions.get(accountId, name);
	if (!existing && body.code === undefined)
		throw new SigilError(
			"BAD_REQUEST",
			`function '${name}' is new: the body must hold its "code"`,
		);
	const { fn, created } = await ctx.functions.deploy(
		accountId,
		name,
		body.config as FunctionConfigInput,
		body.code,
	);
	sendJson(ex, created ? 201 : 200, {
		function: functionView(ex, fn.record, fn.arn),
	});
}

export async function deleteFunction(
	ex: Exchange,
	params: RouteParams,
	ctx: GatewayContext,
): Promise<void> {
	await ctx.functions.remove(
		principal(ex).accountId,
		checkName(params.name, "function"),
	);
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

export async function listKeys(
	ex: Exchange,
	_p: RouteParams,
	ctx: GatewayContext,
): Promise<void> {
	const keys = await ctx.store.accessKeys.list(principal(ex).accountId);
	sendJson(ex, 200, { AccessKeyMetadata: keys.map(keyView) });
}

export async function createKey(
	ex: Exchange,
	_p: RouteParams,
	ctx: GatewayContext,
): Promise<void> {
	const p = principal(ex);
	const key = await ctx.store.accessKeys.create({
		accountId: p.accountId,
		userName: p.userName ?? null,
	});
	sendJson(ex, 201, {
		AccessKey: { ...keyView(key), SecretAccessKey: key.secretAccessKey },
	});
}

async function ownKey(
	ex: Exchange,
	ctx: GatewayContext,
	id: string | undefined,
): Promise<string> {
	const p = principal(ex);
	const key = id ? await ctx.store.accessKeys.get(id) : undefined;
	if (!key || key.accountId !== p.accountId)
		throw new SigilError(
			"KEY_NOT_FOUND",
			`access key ${JSON.stringify(id)} does not exist in account ${p.accountId}`,
		);
	return key.accessKeyId;
}

function setKeyStatus(status: "Active" | "Inactive") {
	return async (
		ex: Exchange,
		params: RouteParams,
		ctx: GatewayContext,
	): Promise<void> => {
		const id = await ownKey(ex, ctx, params.id);
		if (status === "Inactive" && id === principal(ex).accessKeyId)
			throw new SigilError(
				"KEY_IN_USE_BY_CALLER",
				`access key ${id} signed this request; disable it with another key`,
			);
		await ctx.store.accessKeys.setStatus(id, status);
		ctx.credentials.invalidate(id);
		sendJson(ex, 200, { AccessKeyId: id, Status: status });
	};
}
export const disableKey = setKeyStatus("Inactive");
export const enableKey = setKeyStatus("Active");

export async function deleteKey(
	ex: Exchange,
	params: RouteParams,
	ctx: GatewayContext,
): Promise<void> {
	const id = await ownKey(ex, ctx, params.id);
	if (id === principal(ex).accessKeyId)
		throw new SigilError(
			"KEY_IN_USE_BY_CALLER",
			`access key ${id} signed this request; delete it with another key`,
		);
	await ctx.store.accessKeys.delete(id);
	ctx.credentials.invalidate(id);
	send(ex, 204, Buffer.alloc(0));
}

export async function listSecrets(
	ex: Exchange,
	_p: RouteParams,
	ctx: GatewayContext,
): Promise<void> {
	const secrets = await ctx.store.secrets.list(principal(ex).accountId);
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

export async function putSecret(
	ex: Exchange,
	params: RouteParams,
	ctx: GatewayContext,
): Promise<void> {
	const { accountId } = principal(ex);
	const name = checkName(params.name, "secret");
	const body = jsonBody(ex);
	if (
		typeof body.value !== "string" ||
		!/^[A-Za-z0-9+/]*={0,2}$/.test(body.value)
	)
		throw new SigilError(
			"BAD_REQUEST",
			'the body must be {"value": "<base64 of the secret bytes>"}',
		);
	const info = await ctx.store.secrets.put(
		accountId,
		name,
		Buffer.from(body.value, "base64"),
	);
	// Functions holding the old value as a file get the new one.
	for (const r of await functionsUsing(ctx, accountId, name))
		await ctx.functions.refresh(r.name);
	sendJson(ex, 200, {
		name: info.name,
		createdAt: iso(info.createdAt),
		updatedAt: iso(info.updatedAt),
	});
}

export async function deleteSecret(
	ex: Exchange,
	params: RouteParams,
	ctx: GatewayContext,
): Promise<void> {
	const { accountId } = principal(ex);
	const name = checkName(params.name, "secret");
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

export async function queryLogs(
	ex: Exchange,
	_p: RouteParams,
	ctx: GatewayContext,
): Promise<void> {
	const { accountId } = principal(ex);
	const q = new URLSearchParams(ex.rawQuery);
	const fn = q.get("function") ?? undefined;
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
	await ctx.store.audit.flush();
	const result = await ctx.store.audit.query({
		accountId,
		...(fn && { functionName: fn }),
		...(after !== null && { after: Number(after) }),
		...(limit !== null && {
			limit: Math.min(1000, Math.max(1, Number(limit))),
		}),
	});
	sendJson(ex, 200, {
		records: result.records.map((r) => ({
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

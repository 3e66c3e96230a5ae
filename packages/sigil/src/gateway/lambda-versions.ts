/**
 * Lambda's versions and aliases (AWS Lambda API Reference: PublishVersion,
 * ListVersionsByFunction, CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases; the
 * qualified forms of GetFunction, GetFunctionConfiguration and DeleteFunction), on the store's
 * `versions` (one model with `sigil deploy`: a version snapshots whatever `$LATEST` is).
 *
 *   PublishVersion        201 the version's FunctionConfiguration; unchanged code and config
 *                         since the newest version → that version, as Lambda does
 *   CodeSha256 / RevisionId  preconditions on `$LATEST` (InvalidParameterValue / PreconditionFailed)
 *   RoutingConfig         one weighted additional version, applied per invocation (Invoke)
 *
 * The pipeline has authorized the caller on the target's ARN (the alias's, for alias routes);
 * handlers act on that target only.
 */
import { createHash } from "node:crypto";
import {
	NAME_PATTERN,
	parseFunctionConfig,
} from "../config/function-config.ts";
import { SigilError } from "../errors.ts";
import type { DeployedFunction } from "../functions/registry.ts";
import { isStoreError } from "../store/errors.ts";
import { ALIAS_NAME, versionNumber } from "../store/function-version-rows.ts";
import type {
	AliasRouting,
	FunctionAliasRecord,
	FunctionRecord,
	FunctionVersionRecord,
} from "../store/types.ts";
import type { GatewayContext } from "./context.ts";
import {
	type Body,
	functionConfiguration,
	invalid,
	jsonBody,
	lambdaTime,
	notNull,
	revisionId,
	str,
} from "./lambda-functions.ts";
import { resolveQualifier } from "./lambda-qualifiers.ts";
import { send, sendJson } from "./respond.ts";
import type { Call } from "./route.ts";
import {
	decodeParam,
	deployedFunction,
	type FunctionTarget,
	type Resolver,
} from "./targets.ts";

const ALIAS_PATTERN = "(?!^[0-9]+$)([a-zA-Z0-9-_]+)";
const VERSION_PATTERN = "(\\$LATEST|[0-9]+)";

function patternError(value: string, field: string, pattern: string) {
	return invalid(
		`1 validation error detected: Value '${value.slice(0, 140)}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern}`,
	);
}

function notFound(resource: string, what = "Function"): SigilError {
	return new SigilError("FUNCTION_NOT_FOUND", `${what} not found: ${resource}`);
}

/** A version's RevisionId: fixed for the version's life, different for every version. */
function versionRevisionId(v: FunctionVersionRecord): string {
	return uuidOf(`${v.accountId}:${v.name}:${v.version}:${v.createdAt}`);
}

function aliasRevisionId(a: FunctionAliasRecord): string {
	return uuidOf(
		`${a.accountId}:${a.name}:${a.alias}:${a.createdAt}:${a.revision}`,
	);
}

function uuidOf(text: string): string {
	const h = createHash("sha256").update(text).digest("hex");
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A published version as Lambda's FunctionConfiguration shows it. */
export async function versionConfiguration(
	fn: { readonly arn: string; readonly record: FunctionRecord },
	v: FunctionVersionRecord,
) {
	const parsed = parseFunctionConfig(v.config);
	if (!parsed.ok)
		throw new SigilError(
			"INTERNAL",
			`stored config of ${v.name} version ${v.version} no longer validates`,
		);
	const view = await functionConfiguration(
		`${fn.arn}:${v.version}`,
		{
			...fn.record,
			config: v.config,
			codeSha256: v.codeSha256,
			codeSize: v.codeSize,
			updatedAt: v.createdAt,
		},
		parsed.config,
	);
	return {
		...view,
		Description: v.description,
		Version: String(v.version),
		RevisionId: versionRevisionId(v),
		LastModified: lambdaTime(v.createdAt),
	};
}

/** `$LATEST`, unqualified or named. */
async function latestConfiguration(fn: DeployedFunction) {
	return functionConfiguration(fn.arn, fn.record, fn.config);
}

/** The configuration a qualified GetFunction / GetFunctionConfiguration shows. */
export async function qualifiedConfiguration(
	ctx: GatewayContext,
	target: FunctionTarget,
) {
	const q = await resolveQualifier(ctx, target);
	if (q.kind === "latest")
		return { fn: q.fn, view: await latestConfiguration(q.fn) };
	if (q.kind === "version")
		return { fn: q.fn, view: await versionConfiguration(q.fn, q.version) };
	// An alias shows the version it points at, as Lambda does.
	const n = versionNumber(q.alias.functionVersion);
	if (n === undefined)
		return { fn: q.fn, view: await latestConfiguration(q.fn) };
	const version = await ctx.store.versions.get(q.fn.accountId, q.fn.name, n);
	if (!version) throw notFound(target.resource);
	return { fn: q.fn, view: await versionConfiguration(q.fn, version) };
}

// ---------------------------------------------------------------------------------------------
// PublishVersion, ListVersionsByFunction, DeleteFunction of a version.

/** `POST /2015-03-31/functions/{FunctionName}/versions` → 201 FunctionConfiguration. */
export async function publishVersion({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const fn = deployedFunction(target);
	const b = jsonBody(
		ex.body,
		["CodeSha256", "Description", "RevisionId"],
		"PublishVersion",
	);
	const sha = str(b, "CodeSha256", "codeSha256");
	const revision = str(b, "RevisionId", "revisionId");
	const description = b.Description ?? fn.config.description;
	if (typeof description !== "string" || description.length > 256)
		throw invalid(
			"1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256",
		);
	// The live record may trail another gateway's deploy: the preconditions are checked against
	// the store's current revision, and the publish is pinned to it.
	const record = await ctx.store.functions.get(fn.accountId, fn.name);
	if (!record) throw notFound(target.resource);
	if (revision !== undefined && revision !== revisionId(record))
		throw new SigilError(
			"PRECONDITION_FAILED",
			"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
		);
	const latestSha = Buffer.from(record.codeSha256, "hex").toString("base64");
	if (sha !== undefined && sha !== latestSha)
		throw invalid(
			`CodeSHA256 (${sha.slice(0, 64)}) is different from current CodeSHA256 in $LATEST (${latestSha}). Please try again with the CodeSHA256 in $LATEST.`,
		);
	let published: FunctionVersionRecord;
	try {
		({ version: published } = await ctx.store.versions.publish({
			accountId: fn.accountId,
			name: fn.name,
			description,
			...((revision !== undefined || sha !== undefined) && {
				expectedRevision: record.revision,
			}),
		}));
	} catch (err) {
		if (isStoreError(err, "STORE_CONFLICT"))
			throw new SigilError(
				"PRECONDITION_FAILED",
				"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
			);
		if (isStoreError(err, "STORE_TOO_LARGE"))
			throw new SigilError("LIMIT_EXCEEDED", err.message);
		throw err;
	}
	sendJson(ex, 201, await versionConfiguration(fn, published));
}

/** Lambda's Marker is opaque: here the last version number listed, base64url. */
function versionMarker(raw: string | null): number | undefined {
	if (raw === null || raw === "") return undefined;
	const text = Buffer.from(raw, "base64url").toString("utf8");
	const n = /^(0|[1-9]\d{0,14})$/.test(text) ? Number(text) : undefined;
	if (n === undefined || Buffer.from(text).toString("base64url") !== raw)
		throw invalid(
			"Marker is not one this gateway gave out (pass NextMarker as it was returned)",
		);
	return n;
}

function maxItemsOf(raw: string | null): number {
	if (raw === null) return 50;
	if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 10_000)
		throw invalid(
			`1 validation error detected: Value '${raw.slice(0, 20)}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000`,
		);
	return Number(raw);
}

function onlyQuery(
	rawQuery: string,
	allowed: readonly string[],
): URLSearchParams {
	const q = new URLSearchParams(rawQuery);
	for (const key of q.keys())
		if (!allowed.includes(key))
			throw invalid(
				`${key.slice(0, 64)} is not supported here; this operation takes ${allowed.join(", ")}`,
			);
	return q;
}

/** `GET /2015-03-31/functions/{FunctionName}/versions` → {Versions, NextMarker}, `$LATEST` first. */
export async function listVersionsByFunction({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const fn = deployedFunction(target);
	const q = onlyQuery(ex.rawQuery, ["Marker", "MaxItems"]);
	const marker = versionMarker(q.get("Marker"));
	const maxItems = maxItemsOf(q.get("MaxItems"));
	const Versions: unknown[] = [];
	if (marker === undefined) Versions.push(await latestConfiguration(fn));
	// One more than the page holds tells whether another page follows.
	const rows = await ctx.store.versions.list(fn.accountId, fn.name, {
		after: marker ?? 0,
		limit: maxItems - Versions.length + 1,
	});
	const page = rows.slice(0, maxItems - Versions.length);
	for (const v of page) Versions.push(await versionConfiguration(fn, v));
	const more = rows.length > page.length;
	const last = page.at(-1)?.version ?? 0;
	sendJson(ex, 200, {
		Versions,
		...(more && {
			NextMarker: Buffer.from(String(last)).toString("base64url"),
		}),
	});
}

/**
 * `DELETE /2015-03-31/functions/{FunctionName}?Qualifier=N`: one published version. `$LATEST`
 * goes only with the whole function; a version an alias points at stays (ResourceConflict
 * naming the aliases); a version that does not exist is 204, as Lambda answers.
 */
export async function deleteVersion(
	ctx: GatewayContext,
	target: FunctionTarget,
): Promise<void> {
	const fn = deployedFunction({ ...target, qualifier: "$LATEST" });
	const q = target.qualifier ?? "$LATEST";
	if (q === "$LATEST")
		throw invalid(
			"$LATEST version cannot be deleted without deleting the function.",
		);
	const n = versionNumber(q);
	if (n === undefined)
		throw invalid(
			`Deletion of aliases is not supported by DeleteFunction: ${q.slice(0, 128)} is an alias name, not a version. Use DeleteAlias`,
		);
	try {
		if (await ctx.store.versions.delete(fn.accountId, fn.name, n)) {
			ctx.functions.retireVersions(fn.accountId, fn.name, n);
			ctx.authorizer.invalidateFunction(fn.accountId, fn.name);
		}
	} catch (err) {
		if (isStoreError(err, "STORE_CONFLICT"))
			throw new SigilError("CONFLICT", err.message);
		throw err;
	}
}

/**
 * `ListFunctions?FunctionVersion=ALL`: each function's `$LATEST` followed by its published
 * versions, functions by name. The opaque Marker is the last item listed (`NAME` for its
 * `$LATEST`, `NAME:N` for its version N), base64url.
 */
export async function listAllVersions(
	ctx: GatewayContext,
	accountId: string,
	q: URLSearchParams,
): Promise<{ Functions: unknown[]; NextMarker?: string }> {
	const maxItems = maxItemsOf(q.get("MaxItems"));
	const raw = q.get("Marker");
	let after: { name: string; version: number } | undefined;
	if (raw !== null && raw !== "") {
		const text = Buffer.from(raw, "base64url").toString("utf8");
		const m = /^([^:]+)(?::([1-9]\d{0,14}))?$/.exec(text);
		if (
			!m?.[1] ||
			!NAME_PATTERN.test(m[1]) ||
			Buffer.from(text).toString("base64url") !== raw
		)
			throw invalid(
				"Marker is not one this gateway gave out (pass NextMarker as it was returned)",
			);
		after = { name: m[1], version: m[2] ? Number(m[2]) : 0 };
	}
	const records = (await ctx.store.functions.list(accountId))
		.filter((r) => after === undefined || r.name >= after.name)
		.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	const Functions: unknown[] = [];
	let last: string | undefined;
	let more = false;
	for (const r of records) {
		if (more) break;
		const parsed = parseFunctionConfig(r.config);
		if (!parsed.ok) continue;
		const arn = ctx.functions.arnOf(r.accountId, r.name);
		const resume = after?.name === r.name ? after.version : undefined;
		if (resume === undefined) {
			if (Functions.length === maxItems) {
				more = true;
				break;
			}
			Functions.push(await functionConfiguration(arn, r, parsed.config));
			last = r.name;
		}
		// One more than the page still holds tells whether another page follows.
		const room = maxItems - Functions.length;
		const versions = await ctx.store.versions.list(r.accountId, r.name, {
			after: resume ?? 0,
			limit: room + 1,
		});
		for (const v of versions.slice(0, room)) {
			Functions.push(await versionConfiguration({ arn, record: r }, v));
			last = `${r.name}:${v.version}`;
		}
		if (versions.length > room) more = true;
	}
	return {
		Functions,
		...(more &&
			last !== undefined && {
				NextMarker: Buffer.from(last).toString("base64url"),
			}),
	};
}

// ---------------------------------------------------------------------------------------------
// Aliases.

/** A function target plus one alias name from the path (`…/aliases/{Name}`). */
export interface AliasTarget extends FunctionTarget {
	readonly alias: string;
}

/** The alias is its own resource in IAM: `function:NAME:ALIAS`. */
export function withAliasName(
	inner: Resolver<FunctionTarget>,
): Resolver<AliasTarget> {
	return async (input) => {
		const target = await inner(input);
		const alias = decodeParam(input.params.alias, "alias name");
		if (!ALIAS_NAME.test(alias))
			throw patternError(alias, "name", ALIAS_PATTERN);
		if (target.qualifier !== undefined)
			throw invalid(
				"FunctionName of an alias operation cannot carry a qualifier (version or alias)",
			);
		return { ...target, alias, resource: `${target.resource}:${alias}` };
	};
}

function aliasConfiguration(fn: DeployedFunction, a: FunctionAliasRecord) {
	return {
		AliasArn: `${fn.arn}:${a.alias}`,
		Name: a.alias,
		FunctionVersion: a.functionVersion,
		Description: a.description,
		...(a.routing && {
			RoutingConfig: {
				AdditionalVersionWeights: { [a.routing.version]: a.routing.weight },
			},
		}),
		RevisionId: aliasRevisionId(a),
	};
}

function functionVersionOf(b: Body, required: boolean): string | undefined {
	const v = b.FunctionVersion;
	if (v === undefined || v === null) {
		if (required) throw notNull("functionVersion");
		return undefined;
	}
	if (
		typeof v !== "string" ||
		!(v === "$LATEST" || versionNumber(v) !== undefined)
	)
		throw patternError(String(v), "functionVersion", VERSION_PATTERN);
	return v;
}

function descriptionOf(b: Body): string | undefined {
	const d = b.Description;
	if (d === undefined || d === null) return undefined;
	if (typeof d !== "string" || d.length > 256)
		throw invalid(
			"1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256",
		);
	return d;
}

/**
 * RoutingConfig: `{AdditionalVersionWeights: {"N": weight}}` with at most one version, a
 * published one other than the alias's, weight 0.0–1.0; `{}` or no weights removes it.
 * `null` means "remove", `undefined` "not given".
 */
function routingOf(b: Body): AliasRouting | null | undefined {
	const r = b.RoutingConfig;
	if (r === undefined) return undefined;
	if (r === null) return null;
	if (typeof r !== "object" || Array.isArray(r))
		throw invalid(
			"RoutingConfig must be an object holding AdditionalVersionWeights",
		);
	for (const key of Object.keys(r))
		if (key !== "AdditionalVersionWeights")
			throw invalid(
				`RoutingConfig.${key.slice(0, 64)} is not supported: RoutingConfig takes AdditionalVersionWeights`,
			);
	const weights = (r as { AdditionalVersionWeights?: unknown })
		.AdditionalVersionWeights;
	if (weights === undefined || weights === null) return null;
	if (typeof weights !== "object" || Array.isArray(weights))
		throw invalid(
			"RoutingConfig.AdditionalVersionWeights must map one version number to a weight",
		);
	const entries = Object.entries(weights);
	if (entries.length === 0) return null;
	if (entries.length > 1)
		throw invalid(
			"Number of items in AdditionalVersionWeights cannot be greater than 1",
		);
	const [version, weight] = entries[0] as [string, unknown];
	if (versionNumber(version) === undefined)
		throw patternError(
			version,
			"routingConfig.additionalVersionWeights",
			"[0-9]+",
		);
	if (
		typeof weight !== "number" ||
		!Number.isFinite(weight) ||
		weight < 0 ||
		weight > 1
	)
		throw invalid(
			"1 validation error detected: Value at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]",
		);
	return { version, weight };
}

/** What the routing may name, checked before the store (which checks again in its transaction). */
function checkRoutingAgainst(
	functionVersion: string,
	routing: AliasRouting | null | undefined,
): void {
	if (!routing) return;
	if (functionVersion === "$LATEST")
		throw invalid(
			"Invalid function version $LATEST. Function version $LATEST is not supported for routing configuration: point the alias at a published version",
		);
	if (routing.version === functionVersion)
		throw invalid(
			`Invalid RoutingConfig: the additional version ${routing.version} is the alias's own FunctionVersion; name another published version`,
		);
}

/** Store refusals of alias writes in Lambda's words. */
function aliasStoreError(
	err: unknown,
	fn: DeployedFunction,
	alias: string,
	versions: readonly (string | undefined)[],
): unknown {
	if (isStoreError(err, "STORE_INVALID")) {
		const missing = versions.find(
			(v) => v !== undefined && err.message.includes(`version ${v} `),
		);
		return notFound(`${fn.arn}:${missing ?? versions[0] ?? ""}`);
	}
	if (isStoreError(err, "STORE_TOO_LARGE"))
		return new SigilError("LIMIT_EXCEEDED", err.message);
	if (isStoreError(err, "STORE_NOT_FOUND"))
		return notFound(`${fn.arn}:${alias}`, "Alias");
	return err;
}

/** `POST /2015-03-31/functions/{FunctionName}/aliases` → 201 AliasConfiguration. */
export async function createAlias({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const fn = deployedFunction(target);
	const b = jsonBody(
		ex.body,
		["Name", "FunctionVersion", "Description", "RoutingConfig"],
		"CreateAlias",
	);
	const alias = b.Name;
	if (alias === undefined || alias === null) throw notNull("name");
	if (typeof alias !== "string" || !ALIAS_NAME.test(alias))
		throw patternError(String(alias), "name", ALIAS_PATTERN);
	const functionVersion = functionVersionOf(b, true) as string;
	const routing = routingOf(b);
	checkRoutingAgainst(functionVersion, routing);
	let created: FunctionAliasRecord;
	try {
		created = await ctx.store.versions.createAlias({
			accountId: fn.accountId,
			name: fn.name,
			alias,
			functionVersion,
			description: descriptionOf(b) ?? "",
			...(routing && { routing }),
		});
	} catch (err) {
		if (isStoreError(err, "STORE_CONFLICT"))
			throw new SigilError(
				"CONFLICT",
				`Alias already exists: ${fn.arn}:${alias}`,
			);
		throw aliasStoreError(err, fn, alias, [functionVersion, routing?.version]);
	}
	// A policy cached for an alias of this name before (deleted, then created again) is stale.
	ctx.authorizer.invalidateFunction(fn.accountId, fn.name);
	sendJson(ex, 201, aliasConfiguration(fn, created));
}

/** `GET /2015-03-31/functions/{FunctionName}/aliases/{Name}` → AliasConfiguration. */
export async function getAlias({
	ex,
	ctx,
	target,
}: Call<AliasTarget>): Promise<void> {
	const fn = deployedFunction(target);
	const a = await ctx.store.versions.getAlias(
		fn.accountId,
		fn.name,
		target.alias,
	);
	if (!a) throw notFound(target.resource, "Alias");
	sendJson(ex, 200, aliasConfiguration(fn, a));
}

/** `PUT /2015-03-31/functions/{FunctionName}/aliases/{Name}` → AliasConfiguration. */
export async function updateAlias({
	ex,
	ctx,
	target,
}: Call<AliasTarget>): Promise<void> {
	const fn = deployedFunction(target);
	const b = jsonBody(
		ex.body,
		["FunctionVersion", "Description", "RoutingConfig", "RevisionId"],
		"UpdateAlias",
	);
	const current = await ctx.store.versions.getAlias(
		fn.accountId,
		fn.name,
		target.alias,
	);
	if (!current) throw notFound(target.resource, "Alias");
	const revision = str(b, "RevisionId", "revisionId");
	if (revision !== undefined && revision !== aliasRevisionId(current))
		throw new SigilError(
			"PRECONDITION_FAILED",
			"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
		);
	const functionVersion = functionVersionOf(b, false);
	const routing = routingOf(b);
	checkRoutingAgainst(
		functionVersion ?? current.functionVersion,
		routing === undefined ? current.routing : routing,
	);
	const description = descriptionOf(b);
	let updated: FunctionAliasRecord;
	try {
		updated = await ctx.store.versions.updateAlias({
			accountId: fn.accountId,
			name: fn.name,
			alias: target.alias,
			...(functionVersion !== undefined && { functionVersion }),
			...(description !== undefined && { description }),
			...(routing !== undefined && { routing }),
			// Pinned to what was read, so the RevisionId check holds until the write.
			expectedRevision: current.revision,
		});
	} catch (err) {
		if (isStoreError(err, "STORE_CONFLICT"))
			throw new SigilError(
				"PRECONDITION_FAILED",
				"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
			);
		throw aliasStoreError(err, fn, target.alias, [
			functionVersion,
			routing?.version,
		]);
	}
	sendJson(ex, 200, aliasConfiguration(fn, updated));
}

/** `DELETE /2015-03-31/functions/{FunctionName}/aliases/{Name}` → 204 (also when there was none). */
export async function deleteAlias({
	ex,
	ctx,
	target,
}: Call<AliasTarget>): Promise<void> {
	const fn = deployedFunction(target);
	await ctx.store.versions.deleteAlias(fn.accountId, fn.name, target.alias);
	ctx.authorizer.invalidateFunction(fn.accountId, fn.name);
	send(ex, 204, Buffer.alloc(0));
}

/** `GET /2015-03-31/functions/{FunctionName}/aliases` → {Aliases, NextMarker}. */
export async function listAliases({
	ex,
	ctx,
	target,
}: Call<FunctionTarget>): Promise<void> {
	const fn = deployedFunction(target);
	const q = onlyQuery(ex.rawQuery, ["FunctionVersion", "Marker", "MaxItems"]);
	const version = q.get("FunctionVersion");
	if (
		version !== null &&
		!(version === "$LATEST" || versionNumber(version) !== undefined)
	)
		throw patternError(version, "functionVersion", VERSION_PATTERN);
	const maxItems = maxItemsOf(q.get("MaxItems"));
	const rawMarker = q.get("Marker");
	let after: string | undefined;
	if (rawMarker !== null && rawMarker !== "") {
		after = Buffer.from(rawMarker, "base64url").toString("utf8");
		if (
			!ALIAS_NAME.test(after) ||
			Buffer.from(after).toString("base64url") !== rawMarker
		)
			throw invalid(
				"Marker is not one this gateway gave out (pass NextMarker as it was returned)",
			);
	}
	const all = await ctx.store.versions.listAliases(
		fn.accountId,
		fn.name,
		version ?? undefined,
	);
	const rest = after === undefined ? all : all.filter((a) => a.alias > after);
	const page = rest.slice(0, maxItems);
	const last = page.at(-1);
	sendJson(ex, 200, {
		Aliases: page.map((a) => aliasConfiguration(fn, a)),
		...(rest.length > maxItems &&
			last && { NextMarker: Buffer.from(last.alias).toString("base64url") }),
	});
}

/**
 * What both store adapters (SQLite, PostgreSQL) share about published versions and aliases of
 * functions: the name rules, the row shapes and their mappings, and the errors. One copy, so the
 * two adapters cannot drift apart.
 */
import { StoreError } from "./errors.ts";
import { MAX_ALIASES, MAX_VERSIONS } from "./limits.ts";
import type {
	AliasRouting,
	AliasUrlConfig,
	FunctionAliasRecord,
	FunctionConfig,
	FunctionVersionRecord,
} from "./types.ts";

/** Lambda's alias name rule: 1–128 of letters, digits, `-`, `_`, and not all digits (that is a version). */
export const ALIAS_NAME = /^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/;
/** A published version number as text: no sign, no leading zero, within MAX_SAFE_INTEGER. */
export const VERSION_NUMBER = /^[1-9]\d{0,14}$/;

/** `"3"` → 3; `undefined` for anything that is not a version number (aliases, `$LATEST`). */
export function versionNumber(text: string): number | undefined {
	return VERSION_NUMBER.test(text) ? Number(text) : undefined;
}

/** `$LATEST` or a published version number (what an alias may point at). */
export function checkAliasTarget(functionVersion: string): void {
	if (
		functionVersion !== "$LATEST" &&
		versionNumber(functionVersion) === undefined
	)
		throw new StoreError(
			"STORE_INVALID",
			`an alias points at $LATEST or a version number, not ${JSON.stringify(functionVersion.slice(0, 40))}`,
		);
}

export function checkAliasName(alias: string): void {
	if (!ALIAS_NAME.test(alias))
		throw new StoreError(
			"STORE_INVALID",
			`alias name ${JSON.stringify(alias.slice(0, 140))} must be 1–128 letters, digits, '-' or '_', and not all digits`,
		);
}

/** A routing's second version must be a published number other than the alias's own, weight 0–1. */
export function checkRouting(
	functionVersion: string,
	routing: AliasRouting | undefined | null,
): void {
	if (!routing) return;
	if (versionNumber(routing.version) === undefined)
		throw new StoreError(
			"STORE_INVALID",
			"an alias's routing names a published version number",
		);
	if (routing.version === functionVersion)
		throw new StoreError(
			"STORE_INVALID",
			"an alias's routing names another version than the alias's own",
		);
	if (
		!Number.isFinite(routing.weight) ||
		routing.weight < 0 ||
		routing.weight > 1
	)
		throw new StoreError(
			"STORE_INVALID",
			"an alias's routing weight is between 0.0 and 1.0",
		);
}

export function checkDescription(description: string): void {
	if (description.length > 256)
		throw new StoreError(
			"STORE_INVALID",
			"a description is at most 256 characters",
		);
}

// Type aliases, not interfaces: node-postgres wants rows assignable to an index signature.
export type VersionRow = {
	account_id: string;
	name: string;
	version: number;
	config: string;
	code_sha256: string;
	code_size: number;
	description: string;
	from_revision: number;
	policy_revision: number;
	created_at: number;
};

export type AliasRow = {
	account_id: string;
	name: string;
	alias: string;
	function_version: string;
	description: string;
	routing_version: string | null;
	routing_weight: number | null;
	url_config: string | null;
	revision: number;
	policy_revision: number;
	created_at: number;
	updated_at: number;
};

/** Columns of `function_versions v JOIN functions f` in VersionRow's order. */
export const VERSION_COLUMNS =
	"f.account_id, f.name, v.version, v.config, v.code_sha256, v.code_size, v.description, v.from_revision, v.policy_revision, v.created_at";

/** Columns of `function_aliases a JOIN functions f` in AliasRow's order. */
export const ALIAS_COLUMNS =
	"f.account_id, f.name, a.alias, a.function_version, a.description, a.routing_version, a.routing_weight, a.url_config, a.revision, a.policy_revision, a.created_at, a.updated_at";

export function toVersion(row: VersionRow): FunctionVersionRecord {
	return {
		accountId: row.account_id,
		name: row.name,
		version: Number(row.version),
		config: JSON.parse(row.config) as FunctionConfig,
		codeSha256: row.code_sha256,
		codeSize: Number(row.code_size),
		description: row.description,
		fromRevision: Number(row.from_revision),
		policyRevision: Number(row.policy_revision),
		createdAt: Number(row.created_at),
	};
}

export function toAlias(row: AliasRow): FunctionAliasRecord {
	return {
		accountId: row.account_id,
		name: row.name,
		alias: row.alias,
		functionVersion: row.function_version,
		description: row.description,
		...(row.routing_version !== null &&
			row.routing_weight !== null && {
				routing: {
					version: row.routing_version,
					weight: Number(row.routing_weight),
				},
			}),
		...(row.url_config !== null && {
			url: JSON.parse(row.url_config) as AliasUrlConfig,
		}),
		revision: Number(row.revision),
		policyRevision: Number(row.policy_revision),
		createdAt: Number(row.created_at),
		updatedAt: Number(row.updated_at),
	};
}

export function functionNotFound(accountId: string, name: string): StoreError {
	return new StoreError(
		"STORE_NOT_FOUND",
		`function ${name} does not exist in account ${accountId}`,
	);
}

export function aliasNotFound(name: string, alias: string): StoreError {
	return new StoreError(
		"STORE_NOT_FOUND",
		`alias ${alias} of function ${name} does not exist`,
	);
}

export function versionMissing(name: string, version: string): StoreError {
	return new StoreError(
		"STORE_INVALID",
		`version ${version} of function ${name} is not published`,
	);
}

export function tooManyVersions(name: string): StoreError {
	return new StoreError(
		"STORE_TOO_LARGE",
		`function ${name} has ${MAX_VERSIONS} published versions, the most it may have: delete old ones first`,
	);
}

export function tooManyAliases(name: string): StoreError {
	return new StoreError(
		"STORE_TOO_LARGE",
		`function ${name} has ${MAX_ALIASES} aliases, the most it may have`,
	);
}

/** The message names the aliases, as Lambda's ResourceConflictException does. */
export function versionInUse(aliases: readonly string[]): StoreError {
	return new StoreError(
		"STORE_CONFLICT",
		`Unable to delete version because the following aliases reference it: [${aliases.join(", ")}]`,
	);
}

export function policyConflict(
	what: string,
	current: number,
	expected: number,
): StoreError {
	return new StoreError(
		"STORE_CONFLICT",
		`the policy of ${what} is at revision ${current}, not ${expected}: fetch it again and retry`,
	);
}

export function revisionConflict(
	what: string,
	current: number,
	expected: number,
): StoreError {
	return new StoreError(
		"STORE_CONFLICT",
		`${what} is at revision ${current}, not ${expected}: fetch it again and retry`,
	);
}

export function aliasExists(name: string, alias: string): StoreError {
	return new StoreError(
		"STORE_CONFLICT",
		`alias ${alias} of function ${name} already exists`,
	);
}

export function qualifierNotFound(name: string, qualifier: string): StoreError {
	return new StoreError(
		"STORE_NOT_FOUND",
		`${name}:${qualifier} is neither a published version nor an alias of the function`,
	);
}

/** What a write reads of the function's row (`functions`): its head, to snapshot or to check. */
export type FunctionHead = {
	id: number;
	revision: number;
	config: string;
	code_sha256: string;
	code_size: number;
	last_version: number;
};

/** Lambda: nothing changed since the newest version → that version is the answer, nothing published. */
export function unchangedSince(
	newest: VersionRow | undefined,
	head: FunctionHead,
): newest is VersionRow {
	return (
		!!newest &&
		newest.config === head.config &&
		newest.code_sha256 === head.code_sha256
	);
}

/** A page of versions holds 0 to MAX_VERSIONS. */
export function versionPageLimit(limit: number): number {
	return Math.max(0, Math.min(limit, MAX_VERSIONS));
}

/** An expected revision, when given, is the current one. */
export function checkRevision(
	what: string,
	current: number,
	expected: number | undefined,
): void {
	if (expected !== undefined && expected !== current)
		throw revisionConflict(what, current, expected);
}

/** An expected policy revision, when given, is the current one. */
export function checkPolicyRevision(
	what: string,
	current: number,
	expected: number | undefined,
): void {
	if (expected !== undefined && expected !== current)
		throw policyConflict(what, current, expected);
}

/** A new alias: its name, target, description and routing. */
export function checkNewAlias(
	alias: string,
	functionVersion: string,
	description: string,
	routing: AliasRouting | undefined,
): void {
	checkAliasName(alias);
	checkAliasTarget(functionVersion);
	checkDescription(description);
	checkRouting(functionVersion, routing);
}

/** The routing an alias update leaves: unchanged when not given, removed when null. */
export function nextRouting(
	current: AliasRouting | undefined,
	input: AliasRouting | null | undefined,
): AliasRouting | undefined {
	return input === undefined ? current : (input ?? undefined);
}

/** The table and key of a qualifier's row: a version number or an alias name. */
export function policyRow(qualifier: string): {
	table: "function_versions" | "function_aliases";
	column: string;
	key: string | number;
} {
	const n = versionNumber(qualifier);
	return n !== undefined
		? { table: "function_versions", column: "version", key: n }
		: { table: "function_aliases", column: "alias", key: qualifier };
}

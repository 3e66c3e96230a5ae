/**
 * What both store adapters (SQLite, PostgreSQL) share about functions (`$LATEST`): the row shape,
 * the columns, the row → FunctionRecord mapping, the checks on a deploy and its errors. One copy,
 * so the two adapters cannot drift apart. Published versions and aliases are in
 * `function-version-rows.ts`.
 */
import { createHash } from "node:crypto";
import { StoreError } from "./errors.ts";
import { checkRevision } from "./function-version-rows.ts";
import { check, checkJsonObject, FUNCTION_NAME } from "./ids.ts";
import { MAX_CODE_BYTES } from "./limits.ts";
import type {
	FunctionConfig,
	FunctionPolicy,
	FunctionRecord,
} from "./types.ts";

// Type aliases, not interfaces: node-postgres wants rows assignable to an index signature.
export type FunctionRow = {
	id: number;
	account_id: string;
	name: string;
	config: string;
	revision: number;
	code_sha256: string;
	code_size: number;
	policy_revision: number;
	created_at: number;
	updated_at: number;
};

export type FunctionPolicyRow = {
	policy: string | null;
	policy_revision: number;
};

/** Columns of `functions` in FunctionRow's order. */
export const FUNCTION_COLUMNS =
	"id, account_id, name, config, revision, code_sha256, code_size, policy_revision, created_at, updated_at";

export function toFunction(row: FunctionRow): FunctionRecord {
	return {
		accountId: row.account_id,
		name: row.name,
		config: JSON.parse(row.config) as FunctionConfig,
		revision: row.revision,
		codeSha256: row.code_sha256,
		codeSize: row.code_size,
		policyRevision: row.policy_revision,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}

export function toFunctionPolicy(row: FunctionPolicyRow): FunctionPolicy {
	return { document: row.policy, policyRevision: row.policy_revision };
}

/**
 * A deploy's checks before its transaction: the name, the config (as the text stored) and the
 * bundle's size; and the bundle's sha256, when there is one.
 */
export function prepareDeploy(input: {
	name: string;
	config: FunctionConfig;
	code?: Buffer;
}): { config: string; sha256: string | undefined } {
	const { name, code } = input;
	check(name, FUNCTION_NAME, "function name");
	const config = JSON.stringify(input.config);
	checkJsonObject(config, "a function config");
	if (code !== undefined && code.length > MAX_CODE_BYTES) {
		throw new StoreError(
			"STORE_TOO_LARGE",
			`the code bundle is ${code.length} bytes; the limit is ${MAX_CODE_BYTES} (50 MB)`,
		);
	}
	// Hash outside the transaction: 50 MB takes tens of milliseconds, no lock should wait for it.
	const sha256 =
		code === undefined
			? undefined
			: createHash("sha256").update(code).digest("hex");
	return { config, sha256 };
}

/**
 * A deploy's checks against the function's current row (undefined: not created yet): the expected
 * revision, when given (0 for a new function), and code for a first deploy.
 */
export function checkDeploy(
	name: string,
	current: FunctionRow | undefined,
	expectedRevision: number | undefined,
	sha256: string | undefined,
): void {
	checkRevision(`function ${name}`, current?.revision ?? 0, expectedRevision);
	if (current === undefined && sha256 === undefined) {
		throw new StoreError(
			"STORE_INVALID",
			`function ${name} does not exist yet: its first deploy needs code`,
		);
	}
}

/** Function names are unique per gateway (they are in function URLs); which account holds one stays unsaid. */
export function functionNameTaken(
	name: string,
	options?: { cause?: unknown },
): StoreError {
	return new StoreError(
		"STORE_CONFLICT",
		`the function name '${name}' is taken by another account; function URLs are unique per gateway, pick another name`,
		options,
	);
}

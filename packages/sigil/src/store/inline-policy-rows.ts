/**
 * What both store adapters (SQLite, PostgreSQL) share about inline policies of users and roles:
 * the tables of each principal kind, the row shape, the row → InlinePolicy mapping, the checks on
 * a policy and the not-found error. One copy, so the two adapters cannot drift apart.
 */

import { StoreError } from "./errors.ts";
import { check, checkJsonObject, POLICY_NAME } from "./ids.ts";
import { principalEntry } from "./kind-tables.ts";
import type { InlinePolicy, PrincipalKind } from "./types.ts";

// A type alias, not an interface: node-postgres wants rows assignable to an index signature.
export type InlinePolicyRow = {
	account_id: string;
	principal_name: string;
	policy_name: string;
	document: string;
	updated_at: number;
};

// Table and column names come from this fixed map only, never from input.
export const INLINE_POLICY_TABLES = {
	user: { policies: "user_policies", principals: "users", name: "user_name" },
	role: { policies: "role_policies", principals: "roles", name: "role_name" },
} as const;

/** The tables of a principal kind; anything not in the map (`__proto__` too) is refused. */
export function inlinePolicyTables(
	kind: PrincipalKind,
): (typeof INLINE_POLICY_TABLES)[PrincipalKind] {
	return principalEntry(INLINE_POLICY_TABLES, kind);
}

export function toInlinePolicy(
	kind: PrincipalKind,
	row: InlinePolicyRow,
): InlinePolicy {
	return {
		accountId: row.account_id,
		principalKind: kind,
		principalName: row.principal_name,
		policyName: row.policy_name,
		document: row.document,
		updatedAt: row.updated_at,
	};
}

/** An inline policy to put: its name and a JSON object document. */
export function checkInlinePolicy(policyName: string, document: string): void {
	check(policyName, POLICY_NAME, "policy name");
	checkJsonObject(document, "a policy document");
}

export function inlinePolicyNotFound(
	kind: PrincipalKind,
	principalName: string,
	policyName: string,
): StoreError {
	return new StoreError(
		"STORE_NOT_FOUND",
		`${kind} ${principalName} has no inline policy ${policyName}`,
	);
}

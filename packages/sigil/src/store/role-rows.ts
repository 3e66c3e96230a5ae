/**
 * What both store adapters (SQLite, PostgreSQL) share about IAM roles: the row shape, the
 * columns, the row → Role mapping, the checks on a new role and the errors. One copy, so the two
 * adapters cannot drift apart.
 */
import { StoreError } from "./errors.ts";
import { check, checkJsonObject, IAM_NAME, IAM_PATH, iamArn } from "./ids.ts";
import type { Role } from "./types.ts";

// A type alias, not an interface: node-postgres wants rows assignable to an index signature.
export type RoleRow = {
	account_id: string;
	role_name: string;
	role_id: string;
	path: string;
	trust_policy: string;
	max_session_duration: number;
	created_at: number;
};

/** Columns of `roles` in RoleRow's order. */
export const ROLE_COLUMNS =
	"account_id, role_name, role_id, path, trust_policy, max_session_duration, created_at";

export function toRole(row: RoleRow): Role {
	return {
		accountId: row.account_id,
		roleName: row.role_name,
		roleId: row.role_id,
		arn: iamArn(row.account_id, "role", row.path, row.role_name),
		path: row.path,
		trustPolicy: row.trust_policy,
		maxSessionDuration: row.max_session_duration,
		createdAt: row.created_at,
	};
}

/** A new role's checks; its path and session bound with their defaults filled in. */
export function checkNewRole(input: {
	roleName: string;
	trustPolicy: string;
	path?: string;
	maxSessionDuration?: number;
}): { path: string; maxSessionDuration: number } {
	const path = input.path ?? "/";
	const maxSessionDuration = input.maxSessionDuration ?? 3600;
	check(input.roleName, IAM_NAME, "role name");
	check(path, IAM_PATH, "IAM path");
	checkJsonObject(input.trustPolicy, "a trust policy");
	// IAM CreateRole: MaxSessionDuration is 3600–43200 seconds.
	if (
		!Number.isInteger(maxSessionDuration) ||
		maxSessionDuration < 3600 ||
		maxSessionDuration > 43200
	) {
		throw new StoreError(
			"STORE_INVALID",
			"maxSessionDuration must be a whole number of seconds from 3600 to 43200",
		);
	}
	return { path, maxSessionDuration };
}

export function roleExists(accountId: string, roleName: string): StoreError {
	return new StoreError(
		"STORE_CONFLICT",
		`role ${roleName} already exists in account ${accountId} (names are case-insensitive)`,
	);
}

export function roleNotFound(accountId: string, roleName: string): StoreError {
	return new StoreError(
		"STORE_NOT_FOUND",
		`role ${roleName} does not exist in account ${accountId}`,
	);
}

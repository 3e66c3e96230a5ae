/**
 * What both store adapters (SQLite, PostgreSQL) share about IAM groups: the name rule, the row
 * shapes, the row → Group / GroupPolicy / member mappings, new group ids and the not-found
 * error. One copy, so the two adapters cannot drift apart.
 */
import { StoreError } from "./errors.ts";
import type { Group, GroupPolicy, User } from "./types.ts";

/** IAM group names: 1–128 of letters, digits and `+=,.@_-`. */
export const GROUP_NAME = /^[\w+=,.@-]{1,128}$/;

// Type aliases, not interfaces: node-postgres wants rows assignable to an index signature.
export type GroupRow = {
	account_id: string;
	group_name: string;
	group_id: string;
	path: string;
	created_at: number;
};

export type GroupPolicyRow = {
	account_id: string;
	group_name: string;
	policy_name: string;
	document: string;
	updated_at: number;
};

export type MemberRow = {
	account_id: string;
	user_name: string;
	user_id: string;
	path: string;
	created_at: number;
};

export const GROUP_COLUMNS =
	"g.account_id, g.group_name, g.group_id, g.path, g.created_at";
export function toGroup(row: GroupRow): Group {
	return {
		accountId: row.account_id,
		groupName: row.group_name,
		groupId: row.group_id,
		arn: `arn:aws:iam::${row.account_id}:group${row.path}${row.group_name}`,
		path: row.path,
		createdAt: row.created_at,
	};
}

export function toGroupPolicy(row: GroupPolicyRow): GroupPolicy {
	return {
		accountId: row.account_id,
		groupName: row.group_name,
		policyName: row.policy_name,
		document: row.document,
		updatedAt: row.updated_at,
	};
}

export function toMember(row: MemberRow): User {
	return {
		accountId: row.account_id,
		userName: row.user_name,
		userId: row.user_id,
		arn: `arn:aws:iam::${row.account_id}:user${row.path}${row.user_name}`,
		path: row.path,
		createdAt: row.created_at,
	};
}

export function groupNotFound(
	accountId: string,
	groupName: string,
): StoreError {
	return new StoreError(
		"STORE_NOT_FOUND",
		`group ${groupName} does not exist in account ${accountId}`,
	);
}

/**
 * What both store adapters (SQLite, PostgreSQL) share about managed policies: the fixed maps of
 * attachment and boundary tables (table names come from these maps only, never from input), the
 * row → ManagedPolicy / version mappings, version ids and the not-found errors. The SQL that
 * counts attachments stays with each adapter (the dialects differ).
 */

import { StoreError } from "./errors.ts";
import { ownEntry, principalEntry } from "./kind-tables.ts";
import type {
	AttachmentKind,
	ManagedPolicy,
	ManagedPolicyVersion,
	PrincipalKind,
} from "./types.ts";

// Type aliases, not interfaces: node-postgres wants rows assignable to an index signature.
export type ManagedPolicyRow = {
	account_id: string;
	policy_name: string;
	policy_id: string;
	path: string;
	description: string | null;
	default_version: number;
	attachments: number;
	boundaries: number;
	created_at: number;
	updated_at: number;
};

export type PolicyVersionRow = {
	version: number;
	document: string;
	created_at: number;
	/** SQLite answers 0/1, PostgreSQL a boolean. */
	is_default: number | boolean;
};

export const ATTACHMENTS = {
	user: {
		table: "user_managed_policies",
		principals: "users",
		name: "user_name",
	},
	role: {
		table: "role_managed_policies",
		principals: "roles",
		name: "role_name",
	},
	group: {
		table: "group_managed_policies",
		principals: "groups",
		name: "group_name",
	},
} as const;

// Permissions boundaries: one table per principal kind, one row per principal.
export const BOUNDARIES = {
	user: {
		table: "user_permissions_boundaries",
		principals: "users",
		name: "user_name",
	},
	role: {
		table: "role_permissions_boundaries",
		principals: "roles",
		name: "role_name",
	},
} as const;

/** The attachment table of a kind; anything not in the map (`__proto__` too) is refused. */
export function attachmentTable(kind: AttachmentKind) {
	return ownEntry(
		ATTACHMENTS,
		kind,
		`attachment kind must be one of ${Object.keys(ATTACHMENTS).join(", ")}`,
	);
}

export function boundaryTable(kind: PrincipalKind) {
	return principalEntry(BOUNDARIES, kind);
}

/** `v3` → 3; anything else → undefined (IAM's pattern `v[1-9][0-9]*`). */
export function versionNumber(versionId: string): number | undefined {
	const m = /^v([1-9]\d{0,8})$/.exec(versionId);
	return m ? Number(m[1]) : undefined;
}

export function policyArn(
	accountId: string,
	path: string,
	policyName: string,
): string {
	return `arn:aws:iam::${accountId}:policy${path}${policyName}`;
}

export function toManagedPolicy(row: ManagedPolicyRow): ManagedPolicy {
	return {
		accountId: row.account_id,
		policyName: row.policy_name,
		policyId: row.policy_id,
		arn: policyArn(row.account_id, row.path, row.policy_name),
		path: row.path,
		description: row.description,
		defaultVersionId: `v${row.default_version}`,
		attachmentCount: row.attachments,
		permissionsBoundaryUsageCount: row.boundaries,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}

export function toPolicyVersion(row: PolicyVersionRow): ManagedPolicyVersion {
	return {
		versionId: `v${row.version}`,
		document: row.document,
		isDefault: row.is_default === true || row.is_default === 1,
		createdAt: row.created_at,
	};
}

export function policyNotFound(
	accountId: string,
	policyName: string,
): StoreError {
	return new StoreError(
		"STORE_NOT_FOUND",
		`managed policy ${policyName} does not exist in account ${accountId}`,
	);
}

export function noPolicyVersion(
	policyName: string,
	versionId: string,
): StoreError {
	return new StoreError(
		"STORE_NOT_FOUND",
		`managed policy ${policyName} has no version ${versionId}`,
	);
}

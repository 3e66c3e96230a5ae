/**
 * Customer managed policies in SQLite: the policy row (default version, version counter), its
 * versions, and one attachment table per principal kind, each with real foreign keys to the
 * principal (cascade: deleting a user, role or group drops its attachments) and to the policy (no
 * action: a policy cannot be deleted from under an attachment); likewise the permissions
 * boundaries of users and roles (one per principal).
 */
import { randomBytes } from "node:crypto";
import { StoreError } from "../errors.ts";
import { check, checkJsonObject, IAM_PATH, POLICY_NAME } from "../ids.ts";
import { MANAGED_POLICY_VERSIONS, type ManagedPolicyStore } from "../store.ts";
import type {
	AttachedPolicyDocument,
	AttachmentKind,
	ManagedPolicy,
	ManagedPolicyVersion,
	PrincipalKind,
} from "../types.ts";
import type { Db } from "./db.ts";

interface PolicyRow {
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
}

interface VersionRow {
	version: number;
	document: string;
	created_at: number;
	is_default: number;
}

// Table and column names come from this fixed map only, never from input.
const ATTACHMENTS = {
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

function attachments(kind: AttachmentKind) {
	const t = ATTACHMENTS[kind];
	if (t === undefined)
		throw new StoreError(
			"STORE_INVALID",
			`attachment kind must be one of ${Object.keys(ATTACHMENTS).join(", ")}`,
		);
	return t;
}

// Permissions boundaries: one table per principal kind, one row per principal.
const BOUNDARIES = {
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

function boundaries(kind: PrincipalKind) {
	const t = BOUNDARIES[kind];
	if (t === undefined)
		throw new StoreError(
			"STORE_INVALID",
			`principal kind must be "user" or "role"`,
		);
	return t;
}

const BOUNDARY_COUNT = Object.values(BOUNDARIES)
	.map(
		(t) =>
			`(SELECT count(*) FROM ${t.table} b WHERE b.account_id = p.account_id AND b.policy_name = p.policy_name)`,
	)
	.join(" + ");

/** Every attachment table, for counting a policy's attachments. */
const ATTACHMENT_COUNT = Object.values(ATTACHMENTS)
	.map(
		(t) =>
			`(SELECT count(*) FROM ${t.table} a WHERE a.account_id = p.account_id AND a.policy_name = p.policy_name)`,
	)
	.join(" + ");

const SELECT = `SELECT p.account_id, p.policy_name, p.policy_id, p.path, p.description, p.default_version, p.created_at, p.updated_at, ${ATTACHMENT_COUNT} AS attachments, ${BOUNDARY_COUNT} AS boundaries FROM managed_policies p`;

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** `ANPA` + 17 base32 characters: an IAM managed policy id. */
function newPolicyId(): string {
	let out = "ANPA";
	for (const b of randomBytes(17)) out += BASE32[b & 31];
	return out;
}

/** `v3` → 3; anything else → undefined (IAM's pattern `v[1-9][0-9]*`). */
function versionNumber(versionId: string): number | undefined {
	const m = /^v([1-9]\d{0,8})$/.exec(versionId);
	return m ? Number(m[1]) : undefined;
}

function toPolicy(row: PolicyRow): ManagedPolicy {
	return {
		accountId: row.account_id,
		policyName: row.policy_name,
		policyId: row.policy_id,
		arn: `arn:aws:iam::${row.account_id}:policy${row.path}${row.policy_name}`,
		path: row.path,
		description: row.description,
		defaultVersionId: `v${row.default_version}`,
		attachmentCount: row.attachments,
		permissionsBoundaryUsageCount: row.boundaries,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}

function toVersion(row: VersionRow): ManagedPolicyVersion {
	return {
		versionId: `v${row.version}`,
		document: row.document,
		isDefault: row.is_default === 1,
		createdAt: row.created_at,
	};
}

function notFound(accountId: string, policyName: string): StoreError {
	return new StoreError(
		"STORE_NOT_FOUND",
		`managed policy ${policyName} does not exist in account ${accountId}`,
	);
}

export class SqliteManagedPolicies implements ManagedPolicyStore {
	readonly #db: Db;
	constructor(db: Db) {
		this.#db = db;
	}

	#row(accountId: string, policyName: string): PolicyRow | undefined {
		return this.#db.one<PolicyRow>(
			`${SELECT} WHERE p.account_id = ? AND p.policy_name = ?`,
			accountId,
			policyName,
		);
	}

	async create(input: {
		accountId: string;
		policyName: string;
		document: string;
		path?: string;
		description?: string;
	}): Promise<ManagedPolicy> {
		const path = input.path ?? "/";
		check(input.policyName, POLICY_NAME, "policy name");
		check(path, IAM_PATH, "IAM path");
		checkJsonObject(input.document, "a policy document");
		if (input.description !== undefined && input.description.length > 1000)
			throw new StoreError(
				"STORE_INVALID",
				"a policy description is at most 1000 characters",
			);
		return this.#db.tx(() => {
			this.#db.requireAccount(input.accountId);
			if (this.#row(input.accountId, input.policyName))
				throw new StoreError(
					"STORE_CONFLICT",
					`managed policy ${input.policyName} already exists in account ${input.accountId} (names are case-insensitive)`,
				);
			const now = this.#db.now();
			this.#db.run(
				"INSERT INTO managed_policies (account_id, policy_name, policy_id, path, description, default_version, next_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, 2, ?, ?)",
				input.accountId,
				input.policyName,
				newPolicyId(),
				path,
				input.description ?? null,
				now,
				now,
			);
			this.#db.run(
				"INSERT INTO managed_policy_versions (account_id, policy_name, version, document, created_at) VALUES (?, ?, 1, ?, ?)",
				input.accountId,
				input.policyName,
				input.document,
				now,
			);
			return toPolicy(
				this.#row(input.accountId, input.policyName) as PolicyRow,
			);
		});
	}

	async get(
		accountId: string,
		policyName: string,
	): Promise<ManagedPolicy | undefined> {
		const row = this.#db.do(() => this.#row(accountId, policyName));
		return row && toPolicy(row);
	}

	async list(accountId: string): Promise<ManagedPolicy[]> {
		return this.#db
			.do(() =>
				this.#db.all<PolicyRow>(
					`${SELECT} WHERE p.account_id = ? ORDER BY p.policy_name`,
					accountId,
				),
			)
			.map(toPolicy);
	}

	async delete(accountId: string, policyName: string): Promise<void> {
		this.#db.tx(() => {
			const row = this.#row(accountId, policyName);
			if (!row) throw notFound(accountId, policyName);
			if (row.attachments > 0)
				throw new StoreError(
					"STORE_CONFLICT",
					`managed policy ${policyName} is attached to ${row.attachments} principal(s)`,
				);
			if (row.boundaries > 0)
				throw new StoreError(
					"STORE_CONFLICT",
					`managed policy ${policyName} is the permissions boundary of ${row.boundaries} principal(s)`,
				);
			const versions = this.#db.one<{ n: number }>(
				"SELECT count(*) AS n FROM managed_policy_versions WHERE account_id = ? AND policy_name = ?",
				accountId,
				policyName,
			);
			if ((versions?.n ?? 0) > 1)
				throw new StoreError(
					"STORE_CONFLICT",
					`managed policy ${policyName} has versions besides the default`,
				);
			this.#db.run(
				"DELETE FROM managed_policies WHERE account_id = ? AND policy_name = ?",
				accountId,
				policyName,
			);
		});
	}

	async createVersion(
		accountId: string,
		policyName: string,
		document: string,
		setAsDefault: boolean,
	): Promise<ManagedPolicyVersion> {
		checkJsonObject(document, "a policy document");
		return this.#db.tx(() => {
			const row = this.#db.one<{ next_version: number; policy_name: string }>(
				"SELECT next_version, policy_name FROM managed_policies WHERE account_id = ? AND policy_name = ?",
				accountId,
				policyName,
			);
			if (!row) throw notFound(accountId, policyName);
			const count = this.#db.one<{ n: number }>(
				"SELECT count(*) AS n FROM managed_policy_versions WHERE account_id = ? AND policy_name = ?",
				accountId,
				policyName,
			);
			if ((count?.n ?? 0) >= MANAGED_POLICY_VERSIONS)
				throw new StoreError(
					"STORE_TOO_LARGE",
					`managed policy ${policyName} already has ${MANAGED_POLICY_VERSIONS} versions`,
				);
			const now = this.#db.now();
			const version = row.next_version;
			this.#db.run(
				"INSERT INTO managed_policy_versions (account_id, policy_name, version, document, created_at) VALUES (?, ?, ?, ?, ?)",
				accountId,
				row.policy_name,
				version,
				document,
				now,
			);
			this.#db.run(
				`UPDATE managed_policies SET next_version = next_version + 1${setAsDefault ? ", default_version = ?, updated_at = ?" : ""} WHERE account_id = ? AND policy_name = ?`,
				...(setAsDefault ? [version, now] : []),
				accountId,
				policyName,
			);
			return {
				versionId: `v${version}`,
				document,
				isDefault: setAsDefault,
				createdAt: now,
			};
		});
	}

	#versions(
		accountId: string,
		policyName: string,
		version?: number,
	): VersionRow[] {
		return this.#db.all<VersionRow>(
			`SELECT v.version, v.document, v.created_at, (v.version = p.default_version) AS is_default
			 FROM managed_policy_versions v JOIN managed_policies p ON p.account_id = v.account_id AND p.policy_name = v.policy_name
			 WHERE v.account_id = ? AND v.policy_name = ?${version === undefined ? "" : " AND v.version = ?"} ORDER BY v.version DESC`,
			accountId,
			policyName,
			...(version === undefined ? [] : [version]),
		);
	}

	async getVersion(
		accountId: string,
		policyName: string,
		versionId: string,
	): Promise<ManagedPolicyVersion | undefined> {
		const n = versionNumber(versionId);
		if (n === undefined) return undefined;
		const [row] = this.#db.do(() => this.#versions(accountId, policyName, n));
		return row && toVersion(row);
	}

	async listVersions(
		accountId: string,
		policyName: string,
	): Promise<ManagedPolicyVersion[]> {
		return this.#db
			.do(() => this.#versions(accountId, policyName))
			.map(toVersion);
	}

	async setDefaultVersion(
		accountId: string,
		policyName: string,
		versionId: string,
	): Promise<void> {
		const n = versionNumber(versionId);
		this.#db.tx(() => {
			if (!this.#row(accountId, policyName))
				throw notFound(accountId, policyName);
			if (
				n === undefined ||
				this.#versions(accountId, policyName, n).length === 0
			)
				throw new StoreError(
					"STORE_NOT_FOUND",
					`managed policy ${policyName} has no version ${versionId}`,
				);
			this.#db.run(
				"UPDATE managed_policies SET default_version = ?, updated_at = ? WHERE account_id = ? AND policy_name = ?",
				n,
				this.#db.now(),
				accountId,
				policyName,
			);
		});
	}

	async deleteVersion(
		accountId: string,
		policyName: string,
		versionId: string,
	): Promise<void> {
		const n = versionNumber(versionId);
		this.#db.tx(() => {
			const row = this.#row(accountId, policyName);
			if (!row) throw notFound(accountId, policyName);
			if (n === row.default_version)
				throw new StoreError(
					"STORE_CONFLICT",
					`${versionId} is the default version of managed policy ${policyName}`,
				);
			const changed =
				n === undefined
					? 0
					: this.#db.run(
							"DELETE FROM managed_policy_versions WHERE account_id = ? AND policy_name = ? AND version = ?",
							accountId,
							policyName,
							n,
						);
			if (changed === 0)
				throw new StoreError(
					"STORE_NOT_FOUND",
					`managed policy ${policyName} has no version ${versionId}`,
				);
		});
	}

	async attach(
		accountId: string,
		kind: AttachmentKind,
		principalName: string,
		policyName: string,
	): Promise<void> {
		const t = attachments(kind);
		this.#db.tx(() => {
			// Store both sides' own spellings of their names (lookups are case-insensitive).
			const principal = this.#db.one<{ name: string }>(
				`SELECT ${t.name} AS name FROM ${t.principals} WHERE account_id = ? AND ${t.name} = ?`,
				accountId,
				principalName,
			);
			if (!principal)
				throw new StoreError(
					"STORE_NOT_FOUND",
					`${kind} ${principalName} does not exist in account ${accountId}`,
				);
			const policy = this.#row(accountId, policyName);
			if (!policy) throw notFound(accountId, policyName);
			this.#db.run(
				`INSERT INTO ${t.table} (account_id, principal_name, policy_name, attached_at) VALUES (?, ?, ?, ?)
				 ON CONFLICT (account_id, principal_name, policy_name) DO NOTHING`,
				accountId,
				principal.name,
				policy.policy_name,
				this.#db.now(),
			);
		});
	}

	async detach(
		accountId: string,
		kind: AttachmentKind,
		principalName: string,
		policyName: string,
	): Promise<void> {
		const t = attachments(kind);
		const changed = this.#db.tx(() =>
			this.#db.run(
				`DELETE FROM ${t.table} WHERE account_id = ? AND principal_name = ? AND policy_name = ?`,
				accountId,
				principalName,
				policyName,
			),
		);
		if (changed === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`managed policy ${policyName} is not attached to ${kind} ${principalName}`,
			);
	}

	async listAttached(
		accountId: string,
		kind: AttachmentKind,
		principalName: string,
	): Promise<ManagedPolicy[]> {
		const t = attachments(kind);
		return this.#db
			.do(() =>
				this.#db.all<PolicyRow>(
					`${SELECT} JOIN ${t.table} x ON x.account_id = p.account_id AND x.policy_name = p.policy_name
					 WHERE x.account_id = ? AND x.principal_name = ? ORDER BY p.policy_name`,
					accountId,
					principalName,
				),
			)
			.map(toPolicy);
	}

	async listEntities(
		accountId: string,
		policyName: string,
	): Promise<{ kind: AttachmentKind; name: string }[]> {
		return this.#db.do(() =>
			(Object.keys(ATTACHMENTS) as AttachmentKind[]).flatMap((kind) =>
				this.#db
					.all<{ name: string }>(
						`SELECT principal_name AS name FROM ${ATTACHMENTS[kind].table} WHERE account_id = ? AND policy_name = ? ORDER BY principal_name`,
						accountId,
						policyName,
					)
					.map((r) => ({ kind, name: r.name })),
			),
		);
	}

	async attachedDocuments(
		accountId: string,
		kind: AttachmentKind,
		principalName: string,
	): Promise<AttachedPolicyDocument[]> {
		const t = attachments(kind);
		const rows = this.#db.do(() =>
			this.#db.all<DocumentRow>(
				`SELECT p.policy_name, p.path, v.version, v.document
				 FROM ${t.table} x
				 JOIN managed_policies p ON p.account_id = x.account_id AND p.policy_name = x.policy_name
				 JOIN managed_policy_versions v ON v.account_id = p.account_id AND v.policy_name = p.policy_name AND v.version = p.default_version
				 WHERE x.account_id = ? AND x.principal_name = ? ORDER BY p.policy_name`,
				accountId,
				principalName,
			),
		);
		return rows.map((r) => toDocument(accountId, r));
	}

	async groupDocumentsForUser(
		accountId: string,
		userName: string,
	): Promise<AttachedPolicyDocument[]> {
		const rows = this.#db.do(() =>
			this.#db.all<DocumentRow>(
				`SELECT DISTINCT p.policy_name, p.path, v.version, v.document
				 FROM group_members m
				 JOIN group_managed_policies x ON x.account_id = m.account_id AND x.principal_name = m.group_name
				 JOIN managed_policies p ON p.account_id = x.account_id AND p.policy_name = x.policy_name
				 JOIN managed_policy_versions v ON v.account_id = p.account_id AND v.policy_name = p.policy_name AND v.version = p.default_version
				 WHERE m.account_id = ? AND m.user_name = ? ORDER BY p.policy_name`,
				accountId,
				userName,
			),
		);
		return rows.map((r) => toDocument(accountId, r));
	}

	async putBoundary(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
	): Promise<void> {
		const t = boundaries(kind);
		this.#db.tx(() => {
			const principal = this.#db.one<{ name: string }>(
				`SELECT ${t.name} AS name FROM ${t.principals} WHERE account_id = ? AND ${t.name} = ?`,
				accountId,
				principalName,
			);
			if (!principal)
				throw new StoreError(
					"STORE_NOT_FOUND",
					`${kind} ${principalName} does not exist in account ${accountId}`,
				);
			const policy = this.#row(accountId, policyName);
			if (!policy) throw notFound(accountId, policyName);
			this.#db.run(
				`INSERT INTO ${t.table} (account_id, principal_name, policy_name, set_at) VALUES (?, ?, ?, ?)
				 ON CONFLICT (account_id, principal_name) DO UPDATE SET policy_name = excluded.policy_name, set_at = excluded.set_at`,
				accountId,
				principal.name,
				policy.policy_name,
				this.#db.now(),
			);
		});
	}

	async deleteBoundary(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<void> {
		const t = boundaries(kind);
		const changed = this.#db.tx(() =>
			this.#db.run(
				`DELETE FROM ${t.table} WHERE account_id = ? AND principal_name = ?`,
				accountId,
				principalName,
			),
		);
		if (changed === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`${kind} ${principalName} has no permissions boundary`,
			);
	}

	async getBoundary(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<AttachedPolicyDocument | undefined> {
		const t = boundaries(kind);
		const row = this.#db.do(() =>
			this.#db.one<DocumentRow>(
				`SELECT p.policy_name, p.path, v.version, v.document
				 FROM ${t.table} b
				 JOIN managed_policies p ON p.account_id = b.account_id AND p.policy_name = b.policy_name
				 JOIN managed_policy_versions v ON v.account_id = p.account_id AND v.policy_name = p.policy_name AND v.version = p.default_version
				 WHERE b.account_id = ? AND b.principal_name = ?`,
				accountId,
				principalName,
			),
		);
		return row && toDocument(accountId, row);
	}

	async boundaryEntities(
		accountId: string,
		policyName: string,
	): Promise<{ kind: PrincipalKind; name: string }[]> {
		return this.#db.do(() =>
			(Object.keys(BOUNDARIES) as PrincipalKind[]).flatMap((kind) =>
				this.#db
					.all<{ name: string }>(
						`SELECT principal_name AS name FROM ${BOUNDARIES[kind].table} WHERE account_id = ? AND policy_name = ? ORDER BY principal_name`,
						accountId,
						policyName,
					)
					.map((r) => ({ kind, name: r.name })),
			),
		);
	}
}

interface DocumentRow {
	policy_name: string;
	path: string;
	version: number;
	document: string;
}

function toDocument(accountId: string, r: DocumentRow): AttachedPolicyDocument {
	return {
		policyName: r.policy_name,
		arn: `arn:aws:iam::${accountId}:policy${r.path}${r.policy_name}`,
		versionId: `v${r.version}`,
		document: r.document,
	};
}

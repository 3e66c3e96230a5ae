/**
 * Customer managed policies in SQLite: the policy row (default version, version counter), its
 * versions, and one attachment table per principal kind, each with real foreign keys to the
 * principal (cascade: deleting a user, role or group drops its attachments) and to the policy (no
 * action: a policy cannot be deleted from under an attachment); likewise the permissions
 * boundaries of users and roles (one per principal).
 */
import { StoreError } from "../errors.ts";
import {
	check,
	checkJsonObject,
	IAM_PATH,
	newManagedPolicyId,
	POLICY_NAME,
} from "../ids.ts";
import {
	ATTACHMENTS,
	attachmentTable,
	BOUNDARIES,
	boundaryTable,
	type ManagedPolicyRow,
	type PolicyVersionRow,
	policyNotFound,
	toManagedPolicy,
	toPolicyVersion,
	versionNumber,
} from "../managed-policy-rows.ts";
import { MANAGED_POLICY_VERSIONS, type ManagedPolicyStore } from "../store.ts";
import type {
	AttachedPolicyDocument,
	AttachmentKind,
	ManagedPolicy,
	ManagedPolicyVersion,
	PrincipalKind,
} from "../types.ts";
import type { Db } from "./db.ts";

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

export class SqliteManagedPolicies implements ManagedPolicyStore {
	readonly #db: Db;
	constructor(db: Db) {
		this.#db = db;
	}

	#row(accountId: string, policyName: string): ManagedPolicyRow | undefined {
		return this.#db.one<ManagedPolicyRow>(
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
				newManagedPolicyId(),
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
			return toManagedPolicy(
				this.#row(input.accountId, input.policyName) as ManagedPolicyRow,
			);
		});
	}

	async get(
		accountId: string,
		policyName: string,
	): Promise<ManagedPolicy | undefined> {
		const row = this.#db.do(() => this.#row(accountId, policyName));
		return row && toManagedPolicy(row);
	}

	async list(accountId: string): Promise<ManagedPolicy[]> {
		return this.#db
			.do(() =>
				this.#db.all<ManagedPolicyRow>(
					`${SELECT} WHERE p.account_id = ? ORDER BY p.policy_name`,
					accountId,
				),
			)
			.map(toManagedPolicy);
	}

	async delete(accountId: string, policyName: string): Promise<void> {
		this.#db.tx(() => {
			const row = this.#row(accountId, policyName);
			if (!row) throw policyNotFound(accountId, policyName);
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
			if (!row) throw policyNotFound(accountId, policyName);
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
	): PolicyVersionRow[] {
		return this.#db.all<PolicyVersionRow>(
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
		return row && toPolicyVersion(row);
	}

	async listVersions(
		accountId: string,
		policyName: string,
	): Promise<ManagedPolicyVersion[]> {
		return this.#db
			.do(() => this.#versions(accountId, policyName))
			.map(toPolicyVersion);
	}

	async setDefaultVersion(
		accountId: string,
		policyName: string,
		versionId: string,
	): Promise<void> {
		const n = versionNumber(versionId);
		this.#db.tx(() => {
			if (!this.#row(accountId, policyName))
				throw policyNotFound(accountId, policyName);
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
			if (!row) throw policyNotFound(accountId, policyName);
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
		const t = attachmentTable(kind);
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
			if (!policy) throw policyNotFound(accountId, policyName);
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
		const t = attachmentTable(kind);
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
		const t = attachmentTable(kind);
		return this.#db
			.do(() =>
				this.#db.all<ManagedPolicyRow>(
					`${SELECT} JOIN ${t.table} x ON x.account_id = p.account_id AND x.policy_name = p.policy_name
					 WHERE x.account_id = ? AND x.principal_name = ? ORDER BY p.policy_name`,
					accountId,
					principalName,
				),
			)
			.map(toManagedPolicy);
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
		const t = attachmentTable(kind);
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
		const t = boundaryTable(kind);
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
			if (!policy) throw policyNotFound(accountId, policyName);
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
		const t = boundaryTable(kind);
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
		const t = boundaryTable(kind);
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

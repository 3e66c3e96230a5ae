/**
 * Customer managed policies in PostgreSQL: the policy row (default version, version counter), its
 * versions, and one attachment table per principal kind (user, role, group), each with real
 * foreign keys to the principal (cascade) and to the policy (no action: a policy cannot be deleted from under an
 * attachment). Names are kept in their own spelling beside a lower-case key, as IAM compares them.
 * Likewise the permissions boundaries of users and roles (one per principal).
 * Changes of one policy take its row `FOR UPDATE`; an attach's foreign-key check takes it
 * `FOR KEY SHARE`, so a delete and a concurrent attach never both succeed.
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
	noPolicyVersion,
	type PolicyVersionRow,
	policyArn,
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
import { requireAccount } from "./accounts.ts";
import type { PgDb, Queryable } from "./db.ts";

const ATTACHMENT_COUNT = Object.values(ATTACHMENTS)
	.map(
		(t) =>
			`(SELECT count(*) FROM ${t.table} a WHERE a.account_id = p.account_id AND a.policy_key = p.name_key)`,
	)
	.join(" + ");

const BOUNDARY_COUNT = Object.values(BOUNDARIES)
	.map(
		(t) =>
			`(SELECT count(*) FROM ${t.table} b WHERE b.account_id = p.account_id AND b.policy_key = p.name_key)`,
	)
	.join(" + ");

const SELECT = `SELECT p.account_id, p.policy_name, p.policy_id, p.path, p.description, p.default_version, p.created_at, p.updated_at, (${ATTACHMENT_COUNT})::int AS attachments, (${BOUNDARY_COUNT})::int AS boundaries FROM managed_policies p`;

export class PgManagedPolicies implements ManagedPolicyStore {
	readonly #db: PgDb;
	constructor(db: PgDb) {
		this.#db = db;
	}

	async #row(
		q: Queryable,
		accountId: string,
		policyName: string,
	): Promise<ManagedPolicyRow | undefined> {
		const { rows } = await q.query<ManagedPolicyRow>(
			`${SELECT} WHERE p.account_id = $1 AND p.name_key = lower($2)`,
			[accountId, policyName],
		);
		return rows[0];
	}

	/** The policy's row, locked for this transaction; STORE_NOT_FOUND when missing. */
	async #lock(
		q: Queryable,
		accountId: string,
		policyName: string,
	): Promise<{
		policy_name: string;
		default_version: number;
		next_version: number;
	}> {
		const { rows } = await q.query<{
			policy_name: string;
			default_version: number;
			next_version: number;
		}>(
			"SELECT policy_name, default_version, next_version FROM managed_policies WHERE account_id = $1 AND name_key = lower($2) FOR UPDATE",
			[accountId, policyName],
		);
		const row = rows[0];
		if (!row) throw policyNotFound(accountId, policyName);
		return row;
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
		return this.#db.tx(async (q) => {
			await requireAccount(q, input.accountId);
			const now = this.#db.now();
			const inserted = await q.query(
				`INSERT INTO managed_policies (account_id, name_key, policy_name, policy_id, path, description, default_version, next_version, created_at, updated_at)
				 VALUES ($1, lower($2), $2, $3, $4, $5, 1, 2, $6, $6) ON CONFLICT (account_id, name_key) DO NOTHING`,
				[
					input.accountId,
					input.policyName,
					newManagedPolicyId(),
					path,
					input.description ?? null,
					now,
				],
			);
			if (inserted.rowCount === 0)
				throw new StoreError(
					"STORE_CONFLICT",
					`managed policy ${input.policyName} already exists in account ${input.accountId} (names are case-insensitive)`,
				);
			await q.query(
				"INSERT INTO managed_policy_versions (account_id, policy_key, version, document, created_at) VALUES ($1, lower($2), 1, $3, $4)",
				[input.accountId, input.policyName, input.document, now],
			);
			return toManagedPolicy(
				(await this.#row(
					q,
					input.accountId,
					input.policyName,
				)) as ManagedPolicyRow,
			);
		});
	}

	async get(
		accountId: string,
		policyName: string,
	): Promise<ManagedPolicy | undefined> {
		const row = await this.#row(this.#db, accountId, policyName);
		return row && toManagedPolicy(row);
	}

	async list(accountId: string): Promise<ManagedPolicy[]> {
		const { rows } = await this.#db.query<ManagedPolicyRow>(
			`${SELECT} WHERE p.account_id = $1 ORDER BY p.name_key, p.policy_name`,
			[accountId],
		);
		return rows.map(toManagedPolicy);
	}

	async delete(accountId: string, policyName: string): Promise<void> {
		await this.#db.tx(async (q) => {
			await this.#lock(q, accountId, policyName);
			const row = (await this.#row(
				q,
				accountId,
				policyName,
			)) as ManagedPolicyRow;
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
			const { rows } = await q.query<{ n: number }>(
				"SELECT count(*)::int AS n FROM managed_policy_versions WHERE account_id = $1 AND policy_key = lower($2)",
				[accountId, policyName],
			);
			if ((rows[0]?.n ?? 0) > 1)
				throw new StoreError(
					"STORE_CONFLICT",
					`managed policy ${policyName} has versions besides the default`,
				);
			await q.query(
				"DELETE FROM managed_policies WHERE account_id = $1 AND name_key = lower($2)",
				[accountId, policyName],
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
		return this.#db.tx(async (q) => {
			const row = await this.#lock(q, accountId, policyName);
			const { rows } = await q.query<{ n: number }>(
				"SELECT count(*)::int AS n FROM managed_policy_versions WHERE account_id = $1 AND policy_key = lower($2)",
				[accountId, policyName],
			);
			if ((rows[0]?.n ?? 0) >= MANAGED_POLICY_VERSIONS)
				throw new StoreError(
					"STORE_TOO_LARGE",
					`managed policy ${policyName} already has ${MANAGED_POLICY_VERSIONS} versions`,
				);
			const now = this.#db.now();
			const version = row.next_version;
			await q.query(
				"INSERT INTO managed_policy_versions (account_id, policy_key, version, document, created_at) VALUES ($1, lower($2), $3, $4, $5)",
				[accountId, policyName, version, document, now],
			);
			await q.query(
				`UPDATE managed_policies SET next_version = next_version + 1,
					default_version = CASE WHEN $3 THEN $4 ELSE default_version END,
					updated_at = CASE WHEN $3 THEN $5 ELSE updated_at END
				 WHERE account_id = $1 AND name_key = lower($2)`,
				[accountId, policyName, setAsDefault === true, version, now],
			);
			return {
				versionId: `v${version}`,
				document,
				isDefault: setAsDefault === true,
				createdAt: now,
			};
		});
	}

	async #versions(
		q: Queryable,
		accountId: string,
		policyName: string,
		version?: number,
	): Promise<PolicyVersionRow[]> {
		const { rows } = await q.query<PolicyVersionRow>(
			`SELECT v.version, v.document, v.created_at, (v.version = p.default_version) AS is_default
			 FROM managed_policy_versions v JOIN managed_policies p ON p.account_id = v.account_id AND p.name_key = v.policy_key
			 WHERE v.account_id = $1 AND v.policy_key = lower($2) AND ($3::int IS NULL OR v.version = $3) ORDER BY v.version DESC`,
			[accountId, policyName, version ?? null],
		);
		return rows;
	}

	async getVersion(
		accountId: string,
		policyName: string,
		versionId: string,
	): Promise<ManagedPolicyVersion | undefined> {
		const n = versionNumber(versionId);
		if (n === undefined) return undefined;
		const [row] = await this.#versions(this.#db, accountId, policyName, n);
		return row && toPolicyVersion(row);
	}

	async listVersions(
		accountId: string,
		policyName: string,
	): Promise<ManagedPolicyVersion[]> {
		return (await this.#versions(this.#db, accountId, policyName)).map(
			toPolicyVersion,
		);
	}

	async setDefaultVersion(
		accountId: string,
		policyName: string,
		versionId: string,
	): Promise<void> {
		const n = versionNumber(versionId);
		await this.#db.tx(async (q) => {
			await this.#lock(q, accountId, policyName);
			if (
				n === undefined ||
				(await this.#versions(q, accountId, policyName, n)).length === 0
			)
				throw noPolicyVersion(policyName, versionId);
			await q.query(
				"UPDATE managed_policies SET default_version = $1, updated_at = $2 WHERE account_id = $3 AND name_key = lower($4)",
				[n, this.#db.now(), accountId, policyName],
			);
		});
	}

	async deleteVersion(
		accountId: string,
		policyName: string,
		versionId: string,
	): Promise<void> {
		const n = versionNumber(versionId);
		await this.#db.tx(async (q) => {
			const row = await this.#lock(q, accountId, policyName);
			if (n === row.default_version)
				throw new StoreError(
					"STORE_CONFLICT",
					`${versionId} is the default version of managed policy ${policyName}`,
				);
			const changed =
				n === undefined
					? 0
					: (
							await q.query(
								"DELETE FROM managed_policy_versions WHERE account_id = $1 AND policy_key = lower($2) AND version = $3",
								[accountId, policyName, n],
							)
						).rowCount;
			if (changed === 0) throw noPolicyVersion(policyName, versionId);
		});
	}

	async attach(
		accountId: string,
		kind: AttachmentKind,
		principalName: string,
		policyName: string,
	): Promise<void> {
		const t = attachmentTable(kind);
		await this.#db.tx(async (q) => {
			const principal = await q.query(
				`SELECT 1 FROM ${t.principals} WHERE account_id = $1 AND name_key = lower($2)`,
				[accountId, principalName],
			);
			if (principal.rows.length === 0)
				throw new StoreError(
					"STORE_NOT_FOUND",
					`${kind} ${principalName} does not exist in account ${accountId}`,
				);
			const policy = await q.query(
				"SELECT 1 FROM managed_policies WHERE account_id = $1 AND name_key = lower($2)",
				[accountId, policyName],
			);
			if (policy.rows.length === 0) throw policyNotFound(accountId, policyName);
			// The principal's own spelling is read from its row; the foreign keys catch a principal
			// or policy deleted meanwhile (STORE_NOT_FOUND).
			await q.query(
				`INSERT INTO ${t.table} (account_id, principal_key, principal_name, policy_key, attached_at)
				 SELECT account_id, name_key, ${t.name}, lower($3), $4 FROM ${t.principals} WHERE account_id = $1 AND name_key = lower($2)
				 ON CONFLICT (account_id, principal_key, policy_key) DO NOTHING`,
				[accountId, principalName, policyName, this.#db.now()],
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
		const { rowCount } = await this.#db.query(
			`DELETE FROM ${t.table} WHERE account_id = $1 AND principal_key = lower($2) AND policy_key = lower($3)`,
			[accountId, principalName, policyName],
		);
		if (rowCount === 0)
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
		const { rows } = await this.#db.query<ManagedPolicyRow>(
			`${SELECT} JOIN ${t.table} x ON x.account_id = p.account_id AND x.policy_key = p.name_key
			 WHERE x.account_id = $1 AND x.principal_key = lower($2) ORDER BY p.name_key, p.policy_name`,
			[accountId, principalName],
		);
		return rows.map(toManagedPolicy);
	}

	async listEntities(
		accountId: string,
		policyName: string,
	): Promise<{ kind: AttachmentKind; name: string }[]> {
		const out: { kind: AttachmentKind; name: string }[] = [];
		for (const kind of Object.keys(ATTACHMENTS) as AttachmentKind[]) {
			const { rows } = await this.#db.query<{ name: string }>(
				`SELECT principal_name AS name FROM ${attachmentTable(kind).table} WHERE account_id = $1 AND policy_key = lower($2) ORDER BY principal_key, principal_name`,
				[accountId, policyName],
			);
			for (const r of rows) out.push({ kind, name: r.name });
		}
		return out;
	}

	async attachedDocuments(
		accountId: string,
		kind: AttachmentKind,
		principalName: string,
	): Promise<AttachedPolicyDocument[]> {
		const t = attachmentTable(kind);
		const { rows } = await this.#db.query<DocumentRow>(
			`SELECT p.policy_name, p.path, v.version, v.document
			 FROM ${t.table} x
			 JOIN managed_policies p ON p.account_id = x.account_id AND p.name_key = x.policy_key
			 JOIN managed_policy_versions v ON v.account_id = p.account_id AND v.policy_key = p.name_key AND v.version = p.default_version
			 WHERE x.account_id = $1 AND x.principal_key = lower($2) ORDER BY p.name_key, p.policy_name`,
			[accountId, principalName],
		);
		return rows.map((r) => toDocument(accountId, r));
	}

	async groupDocumentsForUser(
		accountId: string,
		userName: string,
	): Promise<AttachedPolicyDocument[]> {
		const { rows } = await this.#db.query<DocumentRow>(
			`SELECT DISTINCT p.name_key, p.policy_name, p.path, v.version, v.document
			 FROM group_members m
			 JOIN group_managed_policies x ON x.account_id = m.account_id AND x.principal_key = m.group_key
			 JOIN managed_policies p ON p.account_id = x.account_id AND p.name_key = x.policy_key
			 JOIN managed_policy_versions v ON v.account_id = p.account_id AND v.policy_key = p.name_key AND v.version = p.default_version
			 WHERE m.account_id = $1 AND m.user_key = lower($2) ORDER BY p.name_key, p.policy_name`,
			[accountId, userName],
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
		await this.#db.tx(async (q) => {
			const principal = await q.query(
				`SELECT 1 FROM ${t.principals} WHERE account_id = $1 AND name_key = lower($2)`,
				[accountId, principalName],
			);
			if (principal.rows.length === 0)
				throw new StoreError(
					"STORE_NOT_FOUND",
					`${kind} ${principalName} does not exist in account ${accountId}`,
				);
			const policy = await q.query(
				"SELECT 1 FROM managed_policies WHERE account_id = $1 AND name_key = lower($2)",
				[accountId, policyName],
			);
			if (policy.rows.length === 0) throw policyNotFound(accountId, policyName);
			await q.query(
				`INSERT INTO ${t.table} (account_id, principal_key, principal_name, policy_key, set_at)
				 SELECT account_id, name_key, ${t.name}, lower($3), $4 FROM ${t.principals} WHERE account_id = $1 AND name_key = lower($2)
				 ON CONFLICT (account_id, principal_key) DO UPDATE SET policy_key = excluded.policy_key, set_at = excluded.set_at`,
				[accountId, principalName, policyName, this.#db.now()],
			);
		});
	}

	async deleteBoundary(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<void> {
		const t = boundaryTable(kind);
		const { rowCount } = await this.#db.query(
			`DELETE FROM ${t.table} WHERE account_id = $1 AND principal_key = lower($2)`,
			[accountId, principalName],
		);
		if (rowCount === 0)
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
		const row = await this.#db.one<DocumentRow>(
			`SELECT p.policy_name, p.path, v.version, v.document
			 FROM ${t.table} b
			 JOIN managed_policies p ON p.account_id = b.account_id AND p.name_key = b.policy_key
			 JOIN managed_policy_versions v ON v.account_id = p.account_id AND v.policy_key = p.name_key AND v.version = p.default_version
			 WHERE b.account_id = $1 AND b.principal_key = lower($2)`,
			[accountId, principalName],
		);
		return row && toDocument(accountId, row);
	}

	async boundaryEntities(
		accountId: string,
		policyName: string,
	): Promise<{ kind: PrincipalKind; name: string }[]> {
		const out: { kind: PrincipalKind; name: string }[] = [];
		for (const kind of Object.keys(BOUNDARIES) as PrincipalKind[]) {
			const { rows } = await this.#db.query<{ name: string }>(
				`SELECT principal_name AS name FROM ${boundaryTable(kind).table} WHERE account_id = $1 AND policy_key = lower($2) ORDER BY principal_key, principal_name`,
				[accountId, policyName],
			);
			for (const r of rows) out.push({ kind, name: r.name });
		}
		return out;
	}
}

interface DocumentRow {
	[key: string]: unknown;
	policy_name: string;
	path: string;
	version: number;
	document: string;
}

function toDocument(accountId: string, r: DocumentRow): AttachedPolicyDocument {
	return {
		policyName: r.policy_name,
		arn: policyArn(accountId, r.path, r.policy_name),
		versionId: `v${r.version}`,
		document: r.document,
	};
}

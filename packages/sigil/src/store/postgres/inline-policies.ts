/** Inline policies of users and roles in PostgreSQL: one table per principal kind, each with a real foreign key. */
import { StoreError } from "../errors.ts";
import { check, checkJsonObject, POLICY_NAME } from "../ids.ts";
import type { InlinePolicyStore } from "../store.ts";
import type { InlinePolicy, PrincipalKind } from "../types.ts";
import type { PgDb } from "./db.ts";

interface PolicyRow {
	[key: string]: unknown;
	account_id: string;
	principal_name: string;
	policy_name: string;
	document: string;
	updated_at: number;
}

const COLUMNS = "account_id, principal_name, policy_name, document, updated_at";

// Table and column names come from this fixed map only, never from input.
const TABLES = {
	user: { policies: "user_policies", principals: "users", name: "user_name" },
	role: { policies: "role_policies", principals: "roles", name: "role_name" },
} as const;

function tables(kind: PrincipalKind): (typeof TABLES)[PrincipalKind] {
	const t = Object.hasOwn(TABLES, kind) ? TABLES[kind] : undefined;
	if (t === undefined)
		throw new StoreError(
			"STORE_INVALID",
			`principal kind must be "user" or "role"`,
		);
	return t;
}

function toPolicy(kind: PrincipalKind, row: PolicyRow): InlinePolicy {
	return {
		accountId: row.account_id,
		principalKind: kind,
		principalName: row.principal_name,
		policyName: row.policy_name,
		document: row.document,
		updatedAt: row.updated_at,
	};
}

export class PgInlinePolicies implements InlinePolicyStore {
	readonly #db: PgDb;
	constructor(db: PgDb) {
		this.#db = db;
	}

	async put(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
		document: string,
	): Promise<void> {
		const t = tables(kind);
		check(policyName, POLICY_NAME, "policy name");
		checkJsonObject(document, "a policy document");
		// One statement: the principal's own spelling is read from its row, and a principal deleted
		// meanwhile leaves nothing to insert (the foreign key holds the rest).
		const { rowCount } = await this.#db.query(
			`INSERT INTO ${t.policies} (account_id, principal_key, principal_name, policy_name, document, updated_at)
			 SELECT account_id, name_key, ${t.name}, $3, $4, $5 FROM ${t.principals} WHERE account_id = $1 AND name_key = lower($2)
			 ON CONFLICT (account_id, principal_key, policy_name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
			[accountId, principalName, policyName, document, this.#db.now()],
		);
		if (rowCount === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`${kind} ${principalName} does not exist in account ${accountId}`,
			);
	}

	async get(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
	): Promise<InlinePolicy | undefined> {
		const t = tables(kind);
		const row = await this.#db.one<PolicyRow>(
			`SELECT ${COLUMNS} FROM ${t.policies} WHERE account_id = $1 AND principal_key = lower($2) AND policy_name = $3`,
			[accountId, principalName, policyName],
		);
		return row && toPolicy(kind, row);
	}

	async list(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<InlinePolicy[]> {
		const t = tables(kind);
		const { rows } = await this.#db.query<PolicyRow>(
			`SELECT ${COLUMNS} FROM ${t.policies} WHERE account_id = $1 AND principal_key = lower($2) ORDER BY policy_name`,
			[accountId, principalName],
		);
		return rows.map((row) => toPolicy(kind, row));
	}

	async delete(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
	): Promise<void> {
		const t = tables(kind);
		const { rowCount } = await this.#db.query(
			`DELETE FROM ${t.policies} WHERE account_id = $1 AND principal_key = lower($2) AND policy_name = $3`,
			[accountId, principalName, policyName],
		);
		if (rowCount === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`${kind} ${principalName} has no inline policy ${policyName}`,
			);
	}
}

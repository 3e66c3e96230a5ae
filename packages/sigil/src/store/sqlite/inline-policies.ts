/** Inline policies of users and roles in SQLite: one table per principal kind, so each has a real foreign key. */
import { StoreError } from "../errors.ts";
import { check, checkJsonObject, POLICY_NAME } from "../ids.ts";
import type { InlinePolicyStore } from "../store.ts";
import type { InlinePolicy, PrincipalKind } from "../types.ts";
import type { Db } from "./db.ts";

interface PolicyRow {
	account_id: string;
	principal_name: string;
	policy_name: string;
	document: string;
	updated_at: number;
}

// Table and column names come from this fixed map only, never from input.
const TABLES = {
	user: { policies: "user_policies", principals: "users", name: "user_name" },
	role: { policies: "role_policies", principals: "roles", name: "role_name" },
} as const;

function tables(kind: PrincipalKind): (typeof TABLES)[PrincipalKind] {
	const t = TABLES[kind];
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

export class SqliteInlinePolicies implements InlinePolicyStore {
	readonly #db: Db;
	constructor(db: Db) {
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
		this.#db.tx(() => {
			// Store the principal's own spelling of its name (lookups are case-insensitive).
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
			this.#db.run(
				`INSERT INTO ${t.policies} (account_id, principal_name, policy_name, document, updated_at) VALUES (?, ?, ?, ?, ?)
				 ON CONFLICT (account_id, principal_name, policy_name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
				accountId,
				principal.name,
				policyName,
				document,
				this.#db.now(),
			);
		});
	}

	async get(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
	): Promise<InlinePolicy | undefined> {
		const t = tables(kind);
		const row = this.#db.do(() =>
			this.#db.one<PolicyRow>(
				`SELECT * FROM ${t.policies} WHERE account_id = ? AND principal_name = ? AND policy_name = ?`,
				accountId,
				principalName,
				policyName,
			),
		);
		return row && toPolicy(kind, row);
	}

	async list(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<InlinePolicy[]> {
		const t = tables(kind);
		const rows = this.#db.do(() =>
			this.#db.all<PolicyRow>(
				`SELECT * FROM ${t.policies} WHERE account_id = ? AND principal_name = ? ORDER BY policy_name`,
				accountId,
				principalName,
			),
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
		const changed = this.#db.tx(() =>
			this.#db.run(
				`DELETE FROM ${t.policies} WHERE account_id = ? AND principal_name = ? AND policy_name = ?`,
				accountId,
				principalName,
				policyName,
			),
		);
		if (changed === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`${kind} ${principalName} has no inline policy ${policyName}`,
			);
	}
}

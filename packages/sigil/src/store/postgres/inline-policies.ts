/** Inline policies of users and roles in PostgreSQL: one table per principal kind, each with a real foreign key. */
import {
	checkInlinePolicy,
	type InlinePolicyRow,
	inlinePolicyNotFound,
	inlinePolicyTables,
	toInlinePolicy,
} from "../inline-policy-rows.ts";
import type { InlinePolicyStore } from "../store.ts";
import { principalNotFound } from "../tag-rows.ts";
import type { InlinePolicy, PrincipalKind } from "../types.ts";
import type { PgDb } from "./db.ts";

const COLUMNS = "account_id, principal_name, policy_name, document, updated_at";

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
		const t = inlinePolicyTables(kind);
		checkInlinePolicy(policyName, document);
		// One statement: the principal's own spelling is read from its row, and a principal deleted
		// meanwhile leaves nothing to insert (the foreign key holds the rest).
		const { rowCount } = await this.#db.query(
			`INSERT INTO ${t.policies} (account_id, principal_key, principal_name, policy_name, document, updated_at)
			 SELECT account_id, name_key, ${t.name}, $3, $4, $5 FROM ${t.principals} WHERE account_id = $1 AND name_key = lower($2)
			 ON CONFLICT (account_id, principal_key, policy_name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
			[accountId, principalName, policyName, document, this.#db.now()],
		);
		if (rowCount === 0) throw principalNotFound(accountId, kind, principalName);
	}

	async get(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
	): Promise<InlinePolicy | undefined> {
		const t = inlinePolicyTables(kind);
		const row = await this.#db.one<InlinePolicyRow>(
			`SELECT ${COLUMNS} FROM ${t.policies} WHERE account_id = $1 AND principal_key = lower($2) AND policy_name = $3`,
			[accountId, principalName, policyName],
		);
		return row && toInlinePolicy(kind, row);
	}

	async list(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<InlinePolicy[]> {
		const t = inlinePolicyTables(kind);
		const { rows } = await this.#db.query<InlinePolicyRow>(
			`SELECT ${COLUMNS} FROM ${t.policies} WHERE account_id = $1 AND principal_key = lower($2) ORDER BY policy_name`,
			[accountId, principalName],
		);
		return rows.map((row) => toInlinePolicy(kind, row));
	}

	async delete(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		policyName: string,
	): Promise<void> {
		const t = inlinePolicyTables(kind);
		const { rowCount } = await this.#db.query(
			`DELETE FROM ${t.policies} WHERE account_id = $1 AND principal_key = lower($2) AND policy_name = $3`,
			[accountId, principalName, policyName],
		);
		if (rowCount === 0)
			throw inlinePolicyNotFound(kind, principalName, policyName);
	}
}

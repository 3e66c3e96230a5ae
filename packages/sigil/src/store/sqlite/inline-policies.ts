/** Inline policies of users and roles in SQLite: one table per principal kind, so each has a real foreign key. */
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
import type { Db } from "./db.ts";

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
		const t = inlinePolicyTables(kind);
		checkInlinePolicy(policyName, document);
		this.#db.tx(() => {
			// Store the principal's own spelling of its name (lookups are case-insensitive).
			const principal = this.#db.one<{ name: string }>(
				`SELECT ${t.name} AS name FROM ${t.principals} WHERE account_id = ? AND ${t.name} = ?`,
				accountId,
				principalName,
			);
			if (!principal) throw principalNotFound(accountId, kind, principalName);
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
		const t = inlinePolicyTables(kind);
		const row = this.#db.do(() =>
			this.#db.one<InlinePolicyRow>(
				`SELECT * FROM ${t.policies} WHERE account_id = ? AND principal_name = ? AND policy_name = ?`,
				accountId,
				principalName,
				policyName,
			),
		);
		return row && toInlinePolicy(kind, row);
	}

	async list(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<InlinePolicy[]> {
		const t = inlinePolicyTables(kind);
		const rows = this.#db.do(() =>
			this.#db.all<InlinePolicyRow>(
				`SELECT * FROM ${t.policies} WHERE account_id = ? AND principal_name = ? ORDER BY policy_name`,
				accountId,
				principalName,
			),
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
		const changed = this.#db.tx(() =>
			this.#db.run(
				`DELETE FROM ${t.policies} WHERE account_id = ? AND principal_name = ? AND policy_name = ?`,
				accountId,
				principalName,
				policyName,
			),
		);
		if (changed === 0)
			throw inlinePolicyNotFound(kind, principalName, policyName);
	}
}

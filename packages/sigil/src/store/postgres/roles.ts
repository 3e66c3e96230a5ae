/** IAM roles in PostgreSQL: trust policy (JSON text) and session bound. */
import { checkJsonObject, newRoleId } from "../ids.ts";
import {
	checkNewRole,
	ROLE_COLUMNS,
	type RoleRow,
	roleExists,
	roleNotFound,
	toRole,
} from "../role-rows.ts";
import type { RoleStore } from "../store.ts";
import type { Role } from "../types.ts";
import { requireAccount } from "./accounts.ts";
import type { PgDb } from "./db.ts";

export class PgRoles implements RoleStore {
	readonly #db: PgDb;
	constructor(db: PgDb) {
		this.#db = db;
	}

	async create(input: {
		accountId: string;
		roleName: string;
		trustPolicy: string;
		path?: string;
		maxSessionDuration?: number;
	}): Promise<Role> {
		const { path, maxSessionDuration } = checkNewRole(input);
		return this.#db.tx(async (q) => {
			await requireAccount(q, input.accountId);
			const { rows } = await q.query<RoleRow>(
				`INSERT INTO roles (account_id, name_key, role_name, role_id, path, trust_policy, max_session_duration, created_at)
				 VALUES ($1, lower($2), $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, name_key) DO NOTHING
				 RETURNING ${ROLE_COLUMNS}`,
				[
					input.accountId,
					input.roleName,
					newRoleId(),
					path,
					input.trustPolicy,
					maxSessionDuration,
					this.#db.now(),
				],
			);
			if (rows.length === 0) throw roleExists(input.accountId, input.roleName);
			return toRole(rows[0] as RoleRow);
		});
	}

	async get(accountId: string, roleName: string): Promise<Role | undefined> {
		const row = await this.#db.one<RoleRow>(
			`SELECT ${ROLE_COLUMNS} FROM roles WHERE account_id = $1 AND name_key = lower($2)`,
			[accountId, roleName],
		);
		return row && toRole(row);
	}

	async list(accountId: string): Promise<Role[]> {
		const { rows } = await this.#db.query<RoleRow>(
			`SELECT ${ROLE_COLUMNS} FROM roles WHERE account_id = $1 ORDER BY name_key, role_name`,
			[accountId],
		);
		return rows.map(toRole);
	}

	async setTrustPolicy(
		accountId: string,
		roleName: string,
		trustPolicy: string,
	): Promise<void> {
		checkJsonObject(trustPolicy, "a trust policy");
		const { rowCount } = await this.#db.query(
			"UPDATE roles SET trust_policy = $1 WHERE account_id = $2 AND name_key = lower($3)",
			[trustPolicy, accountId, roleName],
		);
		if (rowCount === 0) throw roleNotFound(accountId, roleName);
	}

	async delete(accountId: string, roleName: string): Promise<void> {
		const { rowCount } = await this.#db.query(
			"DELETE FROM roles WHERE account_id = $1 AND name_key = lower($2)",
			[accountId, roleName],
		);
		if (rowCount === 0) throw roleNotFound(accountId, roleName);
	}
}

/** IAM roles in SQLite: trust policy (JSON text) and session bound. */
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
import type { Db } from "./db.ts";

export class SqliteRoles implements RoleStore {
	readonly #db: Db;
	constructor(db: Db) {
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
		return this.#db.tx(() => {
			this.#db.requireAccount(input.accountId);
			if (
				this.#db.one(
					"SELECT 1 FROM roles WHERE account_id = ? AND role_name = ?",
					input.accountId,
					input.roleName,
				)
			) {
				throw roleExists(input.accountId, input.roleName);
			}
			const row: RoleRow = {
				account_id: input.accountId,
				role_name: input.roleName,
				role_id: newRoleId(),
				path,
				trust_policy: input.trustPolicy,
				max_session_duration: maxSessionDuration,
				created_at: this.#db.now(),
			};
			this.#db.run(
				`INSERT INTO roles (${ROLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				row.account_id,
				row.role_name,
				row.role_id,
				row.path,
				row.trust_policy,
				row.max_session_duration,
				row.created_at,
			);
			return toRole(row);
		});
	}

	async get(accountId: string, roleName: string): Promise<Role | undefined> {
		const row = this.#db.do(() =>
			this.#db.one<RoleRow>(
				`SELECT ${ROLE_COLUMNS} FROM roles WHERE account_id = ? AND role_name = ?`,
				accountId,
				roleName,
			),
		);
		return row && toRole(row);
	}

	async list(accountId: string): Promise<Role[]> {
		return this.#db
			.do(() =>
				this.#db.all<RoleRow>(
					`SELECT ${ROLE_COLUMNS} FROM roles WHERE account_id = ? ORDER BY role_name`,
					accountId,
				),
			)
			.map(toRole);
	}

	async setTrustPolicy(
		accountId: string,
		roleName: string,
		trustPolicy: string,
	): Promise<void> {
		checkJsonObject(trustPolicy, "a trust policy");
		const changed = this.#db.tx(() =>
			this.#db.run(
				"UPDATE roles SET trust_policy = ? WHERE account_id = ? AND role_name = ?",
				trustPolicy,
				accountId,
				roleName,
			),
		);
		if (changed === 0) throw roleNotFound(accountId, roleName);
	}

	async delete(accountId: string, roleName: string): Promise<void> {
		const changed = this.#db.tx(() =>
			this.#db.run(
				"DELETE FROM roles WHERE account_id = ? AND role_name = ?",
				accountId,
				roleName,
			),
		);
		if (changed === 0) throw roleNotFound(accountId, roleName);
	}
}

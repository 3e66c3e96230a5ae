/** IAM roles in SQLite: trust policy (JSON text) and session bound. */
import { StoreError } from "../errors.ts";
import {
	check,
	checkJsonObject,
	IAM_NAME,
	IAM_PATH,
	iamArn,
	newRoleId,
} from "../ids.ts";
import type { RoleStore } from "../store.ts";
import type { Role } from "../types.ts";
import type { Db } from "./db.ts";

interface RoleRow {
	account_id: string;
	role_name: string;
	role_id: string;
	path: string;
	trust_policy: string;
	max_session_duration: number;
	created_at: number;
}

const COLUMNS =
	"account_id, role_name, role_id, path, trust_policy, max_session_duration, created_at";

function toRole(row: RoleRow): Role {
	return {
		accountId: row.account_id,
		roleName: row.role_name,
		roleId: row.role_id,
		arn: iamArn(row.account_id, "role", row.path, row.role_name),
		path: row.path,
		trustPolicy: row.trust_policy,
		maxSessionDuration: row.max_session_duration,
		createdAt: row.created_at,
	};
}

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
		const path = input.path ?? "/";
		const maxSessionDuration = input.maxSessionDuration ?? 3600;
		check(input.roleName, IAM_NAME, "role name");
		check(path, IAM_PATH, "IAM path");
		checkJsonObject(input.trustPolicy, "a trust policy");
		// IAM CreateRole: MaxSessionDuration is 3600–43200 seconds.
		if (
			!Number.isInteger(maxSessionDuration) ||
			maxSessionDuration < 3600 ||
			maxSessionDuration > 43200
		) {
			throw new StoreError(
				"STORE_INVALID",
				"maxSessionDuration must be a whole number of seconds from 3600 to 43200",
			);
		}
		return this.#db.tx(() => {
			this.#db.requireAccount(input.accountId);
			if (
				this.#db.one(
					"SELECT 1 FROM roles WHERE account_id = ? AND role_name = ?",
					input.accountId,
					input.roleName,
				)
			) {
				throw new StoreError(
					"STORE_CONFLICT",
					`role ${input.roleName} already exists in account ${input.accountId} (names are case-insensitive)`,
				);
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
				`INSERT INTO roles (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
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
				`SELECT ${COLUMNS} FROM roles WHERE account_id = ? AND role_name = ?`,
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
					`SELECT ${COLUMNS} FROM roles WHERE account_id = ? ORDER BY role_name`,
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
		if (changed === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`role ${roleName} does not exist in account ${accountId}`,
			);
	}

	async delete(accountId: string, roleName: string): Promise<void> {
		const changed = this.#db.tx(() =>
			this.#db.run(
				"DELETE FROM roles WHERE account_id = ? AND role_name = ?",
				accountId,
				roleName,
			),
		);
		if (changed === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`role ${roleName} does not exist in account ${accountId}`,
			);
	}
}

/** IAM roles in PostgreSQL: trust policy (JSON text) and session bound. */
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
import { requireAccount } from "./accounts.ts";
import type { PgDb } from "./db.ts";

interface RoleRow {
	[key: string]: unknown;
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
		return this.#db.tx(async (q) => {
			await requireAccount(q, input.accountId);
			const { rows } = await q.query<RoleRow>(
				`INSERT INTO roles (account_id, name_key, role_name, role_id, path, trust_policy, max_session_duration, created_at)
				 VALUES ($1, lower($2), $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, name_key) DO NOTHING
				 RETURNING ${COLUMNS}`,
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
			if (rows.length === 0)
				throw new StoreError(
					"STORE_CONFLICT",
					`role ${input.roleName} already exists in account ${input.accountId} (names are case-insensitive)`,
				);
			return toRole(rows[0] as RoleRow);
		});
	}

	async get(accountId: string, roleName: string): Promise<Role | undefined> {
		const row = await this.#db.one<RoleRow>(
			`SELECT ${COLUMNS} FROM roles WHERE account_id = $1 AND name_key = lower($2)`,
			[accountId, roleName],
		);
		return row && toRole(row);
	}

	async list(accountId: string): Promise<Role[]> {
		const { rows } = await this.#db.query<RoleRow>(
			`SELECT ${COLUMNS} FROM roles WHERE account_id = $1 ORDER BY name_key, role_name`,
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
		if (rowCount === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`role ${roleName} does not exist in account ${accountId}`,
			);
	}

	async delete(accountId: string, roleName: string): Promise<void> {
		const { rowCount } = await this.#db.query(
			"DELETE FROM roles WHERE account_id = $1 AND name_key = lower($2)",
			[accountId, roleName],
		);
		if (rowCount === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`role ${roleName} does not exist in account ${accountId}`,
			);
	}
}

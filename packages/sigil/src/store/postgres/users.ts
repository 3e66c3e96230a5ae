/** IAM users in PostgreSQL. Deleting a user deletes its inline policies and access keys (cascade). */
import { StoreError } from "../errors.ts";
import { check, IAM_NAME, IAM_PATH, iamArn, newUserId } from "../ids.ts";
import type { UserStore } from "../store.ts";
import type { User } from "../types.ts";
import { requireAccount } from "./accounts.ts";
import type { PgDb } from "./db.ts";

interface UserRow {
	[key: string]: unknown;
	account_id: string;
	user_name: string;
	user_id: string;
	path: string;
	created_at: number;
}

const COLUMNS = "account_id, user_name, user_id, path, created_at";

function toUser(row: UserRow): User {
	return {
		accountId: row.account_id,
		userName: row.user_name,
		userId: row.user_id,
		arn: iamArn(row.account_id, "user", row.path, row.user_name),
		path: row.path,
		createdAt: row.created_at,
	};
}

export class PgUsers implements UserStore {
	readonly #db: PgDb;
	constructor(db: PgDb) {
		this.#db = db;
	}

	async create(input: {
		accountId: string;
		userName: string;
		path?: string;
	}): Promise<User> {
		const path = input.path ?? "/";
		check(input.userName, IAM_NAME, "user name");
		check(path, IAM_PATH, "IAM path");
		return this.#db.tx(async (q) => {
			await requireAccount(q, input.accountId);
			// ON CONFLICT on the lower-case key: of two concurrent creates, one inserts.
			const { rows } = await q.query<UserRow>(
				`INSERT INTO users (account_id, name_key, user_name, user_id, path, created_at)
				 VALUES ($1, lower($2), $2, $3, $4, $5) ON CONFLICT (account_id, name_key) DO NOTHING
				 RETURNING ${COLUMNS}`,
				[input.accountId, input.userName, newUserId(), path, this.#db.now()],
			);
			if (rows.length === 0)
				throw new StoreError(
					"STORE_CONFLICT",
					`user ${input.userName} already exists in account ${input.accountId} (names are case-insensitive)`,
				);
			return toUser(rows[0] as UserRow);
		});
	}

	async get(accountId: string, userName: string): Promise<User | undefined> {
		const row = await this.#db.one<UserRow>(
			`SELECT ${COLUMNS} FROM users WHERE account_id = $1 AND name_key = lower($2)`,
			[accountId, userName],
		);
		return row && toUser(row);
	}

	async list(accountId: string): Promise<User[]> {
		const { rows } = await this.#db.query<UserRow>(
			`SELECT ${COLUMNS} FROM users WHERE account_id = $1 ORDER BY name_key, user_name`,
			[accountId],
		);
		return rows.map(toUser);
	}

	async delete(accountId: string, userName: string): Promise<void> {
		const { rowCount } = await this.#db.query(
			"DELETE FROM users WHERE account_id = $1 AND name_key = lower($2)",
			[accountId, userName],
		);
		if (rowCount === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`user ${userName} does not exist in account ${accountId}`,
			);
	}
}

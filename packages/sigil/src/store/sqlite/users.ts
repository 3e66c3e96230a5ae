/** IAM users in SQLite. Deleting a user deletes its inline policies and access keys (cascade). */
import { StoreError } from "../errors.ts";
import { check, IAM_NAME, IAM_PATH, iamArn, newUserId } from "../ids.ts";
import type { UserStore } from "../store.ts";
import type { User } from "../types.ts";
import type { Db } from "./db.ts";

interface UserRow {
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

export class SqliteUsers implements UserStore {
	readonly #db: Db;
	constructor(db: Db) {
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
		return this.#db.tx(() => {
			this.#db.requireAccount(input.accountId);
			if (
				this.#db.one(
					"SELECT 1 FROM users WHERE account_id = ? AND user_name = ?",
					input.accountId,
					input.userName,
				)
			) {
				throw new StoreError(
					"STORE_CONFLICT",
					`user ${input.userName} already exists in account ${input.accountId} (names are case-insensitive)`,
				);
			}
			const row: UserRow = {
				account_id: input.accountId,
				user_name: input.userName,
				user_id: newUserId(),
				path,
				created_at: this.#db.now(),
			};
			this.#db.run(
				`INSERT INTO users (${COLUMNS}) VALUES (?, ?, ?, ?, ?)`,
				row.account_id,
				row.user_name,
				row.user_id,
				row.path,
				row.created_at,
			);
			return toUser(row);
		});
	}

	async get(accountId: string, userName: string): Promise<User | undefined> {
		const row = this.#db.do(() =>
			this.#db.one<UserRow>(
				`SELECT ${COLUMNS} FROM users WHERE account_id = ? AND user_name = ?`,
				accountId,
				userName,
			),
		);
		return row && toUser(row);
	}

	async list(accountId: string): Promise<User[]> {
		return this.#db
			.do(() =>
				this.#db.all<UserRow>(
					`SELECT ${COLUMNS} FROM users WHERE account_id = ? ORDER BY user_name`,
					accountId,
				),
			)
			.map(toUser);
	}

	async delete(accountId: string, userName: string): Promise<void> {
		const changed = this.#db.tx(() =>
			this.#db.run(
				"DELETE FROM users WHERE account_id = ? AND user_name = ?",
				accountId,
				userName,
			),
		);
		if (changed === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`user ${userName} does not exist in account ${accountId}`,
			);
	}
}

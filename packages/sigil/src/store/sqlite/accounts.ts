/** Accounts in SQLite. The first account created is the root account (at most one, by index). */
import { StoreError } from "../errors.ts";
import { ACCOUNT_ID, check, newAccountId } from "../ids.ts";
import type { AccountStore } from "../store.ts";
import type { Account } from "../types.ts";
import type { Db } from "./db.ts";

interface AccountRow {
	account_id: string;
	name: string;
	is_root: number;
	created_at: number;
}

const COLUMNS = "account_id, name, is_root, created_at";

function toAccount(row: AccountRow): Account {
	return {
		accountId: row.account_id,
		name: row.name,
		isRoot: row.is_root === 1,
		createdAt: row.created_at,
	};
}

export class SqliteAccounts implements AccountStore {
	readonly #db: Db;
	constructor(db: Db) {
		this.#db = db;
	}

	async create(input: { name: string; accountId?: string }): Promise<Account> {
		const accountId = input.accountId ?? newAccountId();
		check(accountId, ACCOUNT_ID, "account id");
		if (
			typeof input.name !== "string" ||
			input.name.length === 0 ||
			input.name.length > 256
		) {
			throw new StoreError(
				"STORE_INVALID",
				"an account name must be 1–256 characters",
			);
		}
		return this.#db.tx(() => {
			if (
				this.#db.one("SELECT 1 FROM accounts WHERE account_id = ?", accountId)
			) {
				throw new StoreError(
					"STORE_CONFLICT",
					`account ${accountId} already exists`,
				);
			}
			const isRoot =
				this.#db.one("SELECT 1 FROM accounts LIMIT 1") === undefined ? 1 : 0;
			const row: AccountRow = {
				account_id: accountId,
				name: input.name,
				is_root: isRoot,
				created_at: this.#db.now(),
			};
			this.#db.run(
				"INSERT INTO accounts (account_id, name, is_root, created_at) VALUES (?, ?, ?, ?)",
				accountId,
				row.name,
				isRoot,
				row.created_at,
			);
			return toAccount(row);
		});
	}

	async get(accountId: string): Promise<Account | undefined> {
		const row = this.#db.do(() =>
			this.#db.one<AccountRow>(
				`SELECT ${COLUMNS} FROM accounts WHERE account_id = ?`,
				accountId,
			),
		);
		return row && toAccount(row);
	}

	async root(): Promise<Account | undefined> {
		const row = this.#db.do(() =>
			this.#db.one<AccountRow>(
				`SELECT ${COLUMNS} FROM accounts WHERE is_root = 1`,
			),
		);
		return row && toAccount(row);
	}

	async list(): Promise<Account[]> {
		return this.#db
			.do(() =>
				this.#db.all<AccountRow>(
					`SELECT ${COLUMNS} FROM accounts ORDER BY created_at, account_id`,
				),
			)
			.map(toAccount);
	}
}

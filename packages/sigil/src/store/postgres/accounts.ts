/** Accounts in PostgreSQL. The first account created is the root account (at most one, by index). */
import { StoreError } from "../errors.ts";
import { ACCOUNT_ID, check, newAccountId } from "../ids.ts";
import type { AccountStore } from "../store.ts";
import type { Account } from "../types.ts";
import type { PgDb, Queryable } from "./db.ts";

interface AccountRow {
	[key: string]: unknown;
	account_id: string;
	name: string;
	is_root: boolean;
	created_at: number;
}

const COLUMNS = "account_id, name, is_root, created_at";

function toAccount(row: AccountRow): Account {
	return {
		accountId: row.account_id,
		name: row.name,
		isRoot: row.is_root,
		createdAt: row.created_at,
	};
}

/** Rejects with STORE_NOT_FOUND unless the account exists (inside the caller's transaction). */
export async function requireAccount(
	q: Queryable,
	accountId: string,
	lock = "",
): Promise<void> {
	const { rows } = await q.query(
		`SELECT 1 FROM accounts WHERE account_id = $1 ${lock}`,
		[accountId],
	);
	if (rows.length === 0)
		throw new StoreError(
			"STORE_NOT_FOUND",
			`account ${accountId} does not exist`,
		);
}

export class PgAccounts implements AccountStore {
	readonly #db: PgDb;
	constructor(db: PgDb) {
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
		return this.#db.tx(async (q) => {
			// Accounts are created rarely: one at a time, so "the first one is the root" holds
			// across gateways without a retry on the one-root index.
			await q.query(
				"SELECT pg_advisory_xact_lock(1397311308, hashtext('sigil.accounts'))",
			);
			const existing = await q.query(
				"SELECT 1 FROM accounts WHERE account_id = $1",
				[accountId],
			);
			if (existing.rows.length > 0)
				throw new StoreError(
					"STORE_CONFLICT",
					`account ${accountId} already exists`,
				);
			const { rows } = await q.query<AccountRow>(
				`INSERT INTO accounts (account_id, name, is_root, created_at)
				 VALUES ($1, $2, NOT EXISTS (SELECT 1 FROM accounts), $3) RETURNING ${COLUMNS}`,
				[accountId, input.name, this.#db.now()],
			);
			return toAccount(rows[0] as AccountRow);
		});
	}

	async get(accountId: string): Promise<Account | undefined> {
		const row = await this.#db.one<AccountRow>(
			`SELECT ${COLUMNS} FROM accounts WHERE account_id = $1`,
			[accountId],
		);
		return row && toAccount(row);
	}

	async root(): Promise<Account | undefined> {
		const row = await this.#db.one<AccountRow>(
			`SELECT ${COLUMNS} FROM accounts WHERE is_root`,
		);
		return row && toAccount(row);
	}

	async list(): Promise<Account[]> {
		const { rows } = await this.#db.query<AccountRow>(
			`SELECT ${COLUMNS} FROM accounts ORDER BY created_at, account_id`,
		);
		return rows.map(toAccount);
	}
}

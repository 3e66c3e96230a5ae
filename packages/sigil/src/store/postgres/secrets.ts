/** Named secrets in PostgreSQL, values sealed exactly as in SQLite: associated data `secret:ACCOUNT:NAME`. */

import { DecryptCache } from "../decrypt-cache.ts";
import { StoreError } from "../errors.ts";
import { check, SECRET_NAME } from "../ids.ts";
import { MAX_SECRET_BYTES } from "../limits.ts";
import type { SecretBox } from "../secret-box.ts";
import { secretAad } from "../sqlite/secrets.ts";
import type { SecretStore } from "../store.ts";
import type { SecretInfo } from "../types.ts";
import { requireAccount } from "./accounts.ts";
import type { PgDb } from "./db.ts";

interface SecretRow {
	[key: string]: unknown;
	account_id: string;
	name: string;
	created_at: number;
	updated_at: number;
}

function toInfo(row: SecretRow): SecretInfo {
	return {
		accountId: row.account_id,
		name: row.name,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}

export class PgSecrets implements SecretStore {
	readonly #db: PgDb;
	readonly #box: SecretBox;
	readonly #opened: DecryptCache;
	constructor(db: PgDb, box: SecretBox) {
		this.#db = db;
		this.#box = box;
		this.#opened = new DecryptCache(box);
	}

	async put(
		accountId: string,
		name: string,
		value: Buffer,
	): Promise<SecretInfo> {
		check(name, SECRET_NAME, "secret name");
		if (!Buffer.isBuffer(value))
			throw new StoreError(
				"STORE_INVALID",
				"a secret's value must be a Buffer",
			);
		if (value.length > MAX_SECRET_BYTES)
			throw new StoreError(
				"STORE_TOO_LARGE",
				`secret ${name} is ${value.length} bytes; the limit is ${MAX_SECRET_BYTES}`,
			);
		const sealed = this.#box.seal(value, secretAad(accountId, name));
		return this.#db.tx(async (q) => {
			await requireAccount(q, accountId);
			const now = this.#db.now();
			const { rows } = await q.query<SecretRow>(
				`INSERT INTO secrets (account_id, name, value, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
				 ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
				 RETURNING account_id, name, created_at, updated_at`,
				[accountId, name, sealed, now],
			);
			return toInfo(rows[0] as SecretRow);
		});
	}

	async get(accountId: string, name: string): Promise<Buffer | undefined> {
		const row = await this.#db.one<{ value: Buffer }>(
			"SELECT value FROM secrets WHERE account_id = $1 AND name = $2",
			[accountId, name],
		);
		// A copy: the cached plaintext must not be mutable by a caller.
		return (
			row &&
			Buffer.from(this.#opened.open(row.value, secretAad(accountId, name)))
		);
	}

	async list(accountId: string): Promise<SecretInfo[]> {
		const { rows } = await this.#db.query<SecretRow>(
			"SELECT account_id, name, created_at, updated_at FROM secrets WHERE account_id = $1 ORDER BY name",
			[accountId],
		);
		return rows.map(toInfo);
	}

	async delete(accountId: string, name: string): Promise<void> {
		const { rowCount } = await this.#db.query(
			"DELETE FROM secrets WHERE account_id = $1 AND name = $2",
			[accountId, name],
		);
		if (rowCount === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`secret ${name} does not exist in account ${accountId}`,
			);
	}
}

/** Named secrets in PostgreSQL, values sealed exactly as in SQLite: associated data `secret:ACCOUNT:NAME`. */

import { DecryptCache } from "../decrypt-cache.ts";
import type { SecretBox } from "../secret-box.ts";
import {
	checkSecret,
	SECRET_INFO_COLUMNS,
	type SecretRow,
	secretAad,
	secretNotFound,
	toSecretInfo,
} from "../secret-rows.ts";
import type { SecretStore } from "../store.ts";
import type { SecretInfo } from "../types.ts";
import { requireAccount } from "./accounts.ts";
import type { PgDb } from "./db.ts";

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
		checkSecret(name, value);
		const sealed = this.#box.seal(value, secretAad(accountId, name));
		return this.#db.tx(async (q) => {
			await requireAccount(q, accountId);
			const now = this.#db.now();
			const { rows } = await q.query<SecretRow>(
				`INSERT INTO secrets (account_id, name, value, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
				 ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
				 RETURNING ${SECRET_INFO_COLUMNS}`,
				[accountId, name, sealed, now],
			);
			return toSecretInfo(rows[0] as SecretRow);
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
			`SELECT ${SECRET_INFO_COLUMNS} FROM secrets WHERE account_id = $1 ORDER BY name`,
			[accountId],
		);
		return rows.map(toSecretInfo);
	}

	async delete(accountId: string, name: string): Promise<void> {
		const { rowCount } = await this.#db.query(
			"DELETE FROM secrets WHERE account_id = $1 AND name = $2",
			[accountId, name],
		);
		if (rowCount === 0) throw secretNotFound(accountId, name);
	}
}

/** Named secrets in SQLite, values sealed with associated data `secret:ACCOUNT:NAME`. */

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
import type { Db } from "./db.ts";

export class SqliteSecrets implements SecretStore {
	readonly #db: Db;
	readonly #box: SecretBox;
	readonly #opened: DecryptCache;
	constructor(db: Db, box: SecretBox) {
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
		return this.#db.tx(() => {
			this.#db.requireAccount(accountId);
			const now = this.#db.now();
			const row = this.#db.one<SecretRow>(
				`INSERT INTO secrets (account_id, name, value, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
				 ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
				 RETURNING ${SECRET_INFO_COLUMNS}`,
				accountId,
				name,
				sealed,
				now,
				now,
			);
			return toSecretInfo(row as SecretRow);
		});
	}

	async get(accountId: string, name: string): Promise<Buffer | undefined> {
		const row = this.#db.do(() =>
			this.#db.one<{ value: Uint8Array }>(
				"SELECT value FROM secrets WHERE account_id = ? AND name = ?",
				accountId,
				name,
			),
		);
		// A copy: the cached plaintext must not be mutable by a caller.
		return (
			row &&
			Buffer.from(this.#opened.open(row.value, secretAad(accountId, name)))
		);
	}

	async list(accountId: string): Promise<SecretInfo[]> {
		return this.#db
			.do(() =>
				this.#db.all<SecretRow>(
					`SELECT ${SECRET_INFO_COLUMNS} FROM secrets WHERE account_id = ? ORDER BY name`,
					accountId,
				),
			)
			.map(toSecretInfo);
	}

	async delete(accountId: string, name: string): Promise<void> {
		const changed = this.#db.tx(() =>
			this.#db.run(
				"DELETE FROM secrets WHERE account_id = ? AND name = ?",
				accountId,
				name,
			),
		);
		if (changed === 0) throw secretNotFound(accountId, name);
	}
}

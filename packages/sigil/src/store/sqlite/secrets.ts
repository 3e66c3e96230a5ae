/** Named secrets in SQLite, values sealed with associated data `secret:ACCOUNT:NAME`. */

import { DecryptCache } from "../decrypt-cache.ts";
import { StoreError } from "../errors.ts";
import { check, SECRET_NAME } from "../ids.ts";
import { MAX_SECRET_BYTES } from "../limits.ts";
import type { SecretBox } from "../secret-box.ts";
import type { SecretStore } from "../store.ts";
import type { SecretInfo } from "../types.ts";
import type { Db } from "./db.ts";

interface SecretRow {
	account_id: string;
	name: string;
	created_at: number;
	updated_at: number;
}

/** The associated data that binds a secret's ciphertext to its row. */
export function secretAad(accountId: string, name: string): string {
	return `secret:${accountId}:${name}`;
}

function toInfo(row: SecretRow): SecretInfo {
	return {
		accountId: row.account_id,
		name: row.name,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}

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
		return this.#db.tx(() => {
			this.#db.requireAccount(accountId);
			const now = this.#db.now();
			const row = this.#db.one<SecretRow>(
				`INSERT INTO secrets (account_id, name, value, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
				 ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
				 RETURNING account_id, name, created_at, updated_at`,
				accountId,
				name,
				sealed,
				now,
				now,
			);
			return toInfo(row as SecretRow);
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
					"SELECT account_id, name, created_at, updated_at FROM secrets WHERE account_id = ? ORDER BY name",
					accountId,
				),
			)
			.map(toInfo);
	}

	async delete(accountId: string, name: string): Promise<void> {
		const changed = this.#db.tx(() =>
			this.#db.run(
				"DELETE FROM secrets WHERE account_id = ? AND name = ?",
				accountId,
				name,
			),
		);
		if (changed === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`secret ${name} does not exist in account ${accountId}`,
			);
	}
}

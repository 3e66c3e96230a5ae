/**
 * Access keys in SQLite. `get` is the verifier's hot path: one primary-key lookup through a cached
 * prepared statement and one AES-GCM decryption. The secret's associated data names the key id,
 * account and user, so a ciphertext moved to another row (or a row re-pointed at another owner)
 * no longer decrypts.
 */

import {
	accessKeyAad,
	KEY_META_COLUMNS,
	type KeyUse,
	keyFromRow,
	newKeyPair,
} from "../access-key-rows.ts";
import { DecryptCache } from "../decrypt-cache.ts";
import { StoreError } from "../errors.ts";
import { ACCESS_KEY_ID } from "../ids.ts";
import type { SecretBox } from "../secret-box.ts";
import type { AccessKeyStore } from "../store.ts";
import type {
	AccessKey,
	AccessKeyStatus,
	AccessKeyWithSecret,
} from "../types.ts";
import type { Db } from "./db.ts";

interface KeyRow {
	access_key_id: string;
	account_id: string;
	user_name: string | null;
	secret: Uint8Array;
	status: AccessKeyStatus;
	created_at: number;
	last_used_at: number | null;
	last_used_scheme: string | null;
	last_used_service: string | null;
}

export class SqliteAccessKeys implements AccessKeyStore {
	readonly #db: Db;
	readonly #box: SecretBox;
	readonly #opened: DecryptCache;
	readonly #pending = new Map<string, KeyUse>();
	readonly #poke: () => void;

	/** @param poke tells the write-behind writer that uses are pending. */
	constructor(db: Db, box: SecretBox, poke: () => void) {
		this.#db = db;
		this.#box = box;
		this.#opened = new DecryptCache(box);
		this.#poke = poke;
	}

	#toKey(row: Omit<KeyRow, "secret">): AccessKey {
		return keyFromRow(row, this.#pending.get(row.access_key_id));
	}

	async create(input: {
		accountId: string;
		userName?: string | null;
		accessKeyId?: string;
		secretAccessKey?: string;
	}): Promise<AccessKeyWithSecret> {
		const { accessKeyId, secretAccessKey } = newKeyPair(input);
		return this.#db.tx(() => {
			if (
				this.#db.one(
					"SELECT 1 FROM access_keys WHERE access_key_id = ?",
					accessKeyId,
				)
			) {
				throw new StoreError(
					"STORE_CONFLICT",
					`access key ${accessKeyId} already exists`,
				);
			}
			this.#db.requireAccount(input.accountId);
			let userName: string | null = null;
			if (input.userName !== undefined && input.userName !== null) {
				const user = this.#db.one<{ user_name: string }>(
					"SELECT user_name FROM users WHERE account_id = ? AND user_name = ?",
					input.accountId,
					input.userName,
				);
				if (!user)
					throw new StoreError(
						"STORE_NOT_FOUND",
						`user ${input.userName} does not exist in account ${input.accountId}`,
					);
				userName = user.user_name;
			}
			const sealed = this.#box.seal(
				Buffer.from(secretAccessKey, "utf8"),
				accessKeyAad(accessKeyId, input.accountId, userName),
			);
			const createdAt = this.#db.now();
			this.#db.run(
				"INSERT INTO access_keys (access_key_id, account_id, user_name, secret, status, created_at) VALUES (?, ?, ?, ?, 'Active', ?)",
				accessKeyId,
				input.accountId,
				userName,
				sealed,
				createdAt,
			);
			return {
				accessKeyId,
				accountId: input.accountId,
				userName,
				status: "Active",
				createdAt,
				lastUsedAt: null,
				lastUsedScheme: null,
				lastUsedService: null,
				secretAccessKey,
			};
		});
	}

	async get(accessKeyId: string): Promise<AccessKeyWithSecret | undefined> {
		// A malformed id cannot exist: answer without touching the database.
		if (typeof accessKeyId !== "string" || !ACCESS_KEY_ID.test(accessKeyId))
			return undefined;
		const row = this.#db.do(() =>
			this.#db.one<KeyRow>(
				"SELECT * FROM access_keys WHERE access_key_id = ?",
				accessKeyId,
			),
		);
		if (row === undefined) return undefined;
		const secret = this.#opened.open(
			row.secret,
			accessKeyAad(row.access_key_id, row.account_id, row.user_name),
		);
		return { ...this.#toKey(row), secretAccessKey: secret.toString("utf8") };
	}

	async list(
		accountId: string,
		userName?: string | null,
	): Promise<AccessKey[]> {
		const rows = this.#db.do(() => {
			if (userName === undefined)
				return this.#db.all<KeyRow>(
					`SELECT ${KEY_META_COLUMNS} FROM access_keys WHERE account_id = ? ORDER BY created_at, access_key_id`,
					accountId,
				);
			if (userName === null) {
				return this.#db.all<KeyRow>(
					`SELECT ${KEY_META_COLUMNS} FROM access_keys WHERE account_id = ? AND user_name IS NULL ORDER BY created_at, access_key_id`,
					accountId,
				);
			}
			return this.#db.all<KeyRow>(
				`SELECT ${KEY_META_COLUMNS} FROM access_keys WHERE account_id = ? AND user_name = ? ORDER BY created_at, access_key_id`,
				accountId,
				userName,
			);
		});
		return rows.map((row) => this.#toKey(row));
	}

	async setStatus(accessKeyId: string, status: AccessKeyStatus): Promise<void> {
		if (status !== "Active" && status !== "Inactive")
			throw new StoreError(
				"STORE_INVALID",
				'status must be "Active" or "Inactive"',
			);
		const changed = this.#db.tx(() =>
			this.#db.run(
				"UPDATE access_keys SET status = ? WHERE access_key_id = ?",
				status,
				accessKeyId,
			),
		);
		if (changed === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`access key ${accessKeyId} does not exist`,
			);
	}

	async delete(accessKeyId: string): Promise<void> {
		const changed = this.#db.tx(() =>
			this.#db.run(
				"DELETE FROM access_keys WHERE access_key_id = ?",
				accessKeyId,
			),
		);
		this.#pending.delete(accessKeyId);
		if (changed === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`access key ${accessKeyId} does not exist`,
			);
	}

	async recordUse(
		accessKeyId: string,
		use: { at: number; scheme: string; service: string },
	): Promise<void> {
		const previous = this.#pending.get(accessKeyId);
		if (previous !== undefined && previous.at > use.at) return;
		this.#pending.set(accessKeyId, {
			at: use.at,
			scheme: use.scheme,
			service: use.service,
		});
		this.#poke();
	}

	/** Writes the coalesced uses; called inside the write-behind transaction. */
	writePendingUses(): void {
		if (this.#pending.size === 0) return;
		for (const [id, use] of this.#pending) {
			this.#db.run(
				"UPDATE access_keys SET last_used_at = ?, last_used_scheme = ?, last_used_service = ? WHERE access_key_id = ? AND (last_used_at IS NULL OR last_used_at <= ?)",
				use.at,
				use.scheme,
				use.service,
				id,
				use.at,
			);
		}
		this.#pending.clear();
	}
}

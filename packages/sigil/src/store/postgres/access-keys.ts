/**
 * Access keys in PostgreSQL. `get` is the verifier's hot path: one primary-key lookup (a named,
 * server-side prepared statement per connection) and one AES-GCM decryption, remembered per
 * sealed bytes. The secret is sealed exactly as the SQLite adapter seals it, bound to
 * `access-key:ID:ACCOUNT:USER`, so a ciphertext moved to another row no longer decrypts.
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
import { requireAccount } from "./accounts.ts";
import type { PgDb, Queryable } from "./db.ts";

interface KeyRow {
	[key: string]: unknown;
	access_key_id: string;
	account_id: string;
	user_name: string | null;
	secret?: Buffer;
	status: AccessKeyStatus;
	created_at: number;
	last_used_at: number | null;
	last_used_scheme: string | null;
	last_used_service: string | null;
}

export class PgAccessKeys implements AccessKeyStore {
	readonly #db: PgDb;
	readonly #box: SecretBox;
	readonly #opened: DecryptCache;
	readonly #pending = new Map<string, KeyUse>();
	readonly #poke: () => void;

	/** @param poke tells the write-behind writer that uses are pending. */
	constructor(db: PgDb, box: SecretBox, poke: () => void) {
		this.#db = db;
		this.#box = box;
		this.#opened = new DecryptCache(box);
		this.#poke = poke;
	}

	#toKey(row: KeyRow): AccessKey {
		return keyFromRow(row, this.#pending.get(row.access_key_id));
	}

	async create(input: {
		accountId: string;
		userName?: string | null;
		accessKeyId?: string;
		secretAccessKey?: string;
	}): Promise<AccessKeyWithSecret> {
		const { accessKeyId, secretAccessKey } = newKeyPair(input);
		return this.#db.tx(async (q: Queryable) => {
			const taken = await q.query(
				"SELECT 1 FROM access_keys WHERE access_key_id = $1",
				[accessKeyId],
			);
			if (taken.rows.length > 0)
				throw new StoreError(
					"STORE_CONFLICT",
					`access key ${accessKeyId} already exists`,
				);
			await requireAccount(q, input.accountId);
			let userName: string | null = null;
			if (input.userName !== undefined && input.userName !== null) {
				// FOR KEY SHARE: the user cannot be deleted between this read and the insert.
				const { rows } = await q.query<{ user_name: string }>(
					"SELECT user_name FROM users WHERE account_id = $1 AND name_key = lower($2) FOR KEY SHARE",
					[input.accountId, input.userName],
				);
				if (rows.length === 0)
					throw new StoreError(
						"STORE_NOT_FOUND",
						`user ${input.userName} does not exist in account ${input.accountId}`,
					);
				userName = (rows[0] as { user_name: string }).user_name;
			}
			const sealed = this.#box.seal(
				Buffer.from(secretAccessKey, "utf8"),
				accessKeyAad(accessKeyId, input.accountId, userName),
			);
			const createdAt = this.#db.now();
			const inserted = await q.query(
				`INSERT INTO access_keys (access_key_id, account_id, user_key, user_name, secret, status, created_at)
				 VALUES ($1, $2, lower($3), $3, $4, 'Active', $5) ON CONFLICT (access_key_id) DO NOTHING`,
				[accessKeyId, input.accountId, userName, sealed, createdAt],
			);
			if (inserted.rowCount === 0)
				throw new StoreError(
					"STORE_CONFLICT",
					`access key ${accessKeyId} already exists`,
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
		// Named: parsed and planned once per connection, then only bound and executed.
		const row = await this.#db.one<KeyRow>(
			`SELECT ${KEY_META_COLUMNS}, secret FROM access_keys WHERE access_key_id = $1`,
			[accessKeyId],
			"sigil_access_key_get",
		);
		if (row === undefined) return undefined;
		const secret = this.#opened.open(
			row.secret as Buffer,
			accessKeyAad(row.access_key_id, row.account_id, row.user_name),
		);
		return { ...this.#toKey(row), secretAccessKey: secret.toString("utf8") };
	}

	async list(
		accountId: string,
		userName?: string | null,
	): Promise<AccessKey[]> {
		const order = "ORDER BY created_at, access_key_id";
		const { rows } =
			userName === undefined
				? await this.#db.query<KeyRow>(
						`SELECT ${KEY_META_COLUMNS} FROM access_keys WHERE account_id = $1 ${order}`,
						[accountId],
					)
				: userName === null
					? await this.#db.query<KeyRow>(
							`SELECT ${KEY_META_COLUMNS} FROM access_keys WHERE account_id = $1 AND user_key IS NULL ${order}`,
							[accountId],
						)
					: await this.#db.query<KeyRow>(
							`SELECT ${KEY_META_COLUMNS} FROM access_keys WHERE account_id = $1 AND user_key = lower($2) ${order}`,
							[accountId, userName],
						);
		return rows.map((row) => this.#toKey(row));
	}

	async setStatus(accessKeyId: string, status: AccessKeyStatus): Promise<void> {
		if (status !== "Active" && status !== "Inactive")
			throw new StoreError(
				"STORE_INVALID",
				'status must be "Active" or "Inactive"',
			);
		const { rowCount } = await this.#db.query(
			"UPDATE access_keys SET status = $1 WHERE access_key_id = $2",
			[status, accessKeyId],
		);
		if (rowCount === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`access key ${accessKeyId} does not exist`,
			);
	}

	async delete(accessKeyId: string): Promise<void> {
		const { rowCount } = await this.#db.query(
			"DELETE FROM access_keys WHERE access_key_id = $1",
			[accessKeyId],
		);
		this.#pending.delete(accessKeyId);
		if (rowCount === 0)
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

	hasPendingUses(): boolean {
		return this.#pending.size > 0;
	}

	/**
	 * Writes the coalesced uses in one statement (inside the write-behind transaction). A use that
	 * arrives while the statement runs stays pending for the next batch.
	 */
	async writePendingUses(q: Queryable): Promise<void> {
		if (this.#pending.size === 0) return;
		const batch = [...this.#pending];
		await q.query(
			`UPDATE access_keys k SET last_used_at = u.at, last_used_scheme = u.scheme, last_used_service = u.service
			 FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) AS u(id, at, scheme, service)
			 WHERE k.access_key_id = u.id AND (k.last_used_at IS NULL OR k.last_used_at <= u.at)`,
			[
				batch.map(([id]) => id),
				batch.map(([, u]) => u.at),
				batch.map(([, u]) => u.scheme),
				batch.map(([, u]) => u.service),
			],
		);
		for (const [id, use] of batch)
			if (this.#pending.get(id) === use) this.#pending.delete(id);
	}
}

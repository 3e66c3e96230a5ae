/**
 * Tags of IAM users and roles in PostgreSQL: one table per principal kind, cascading with it. A
 * put locks the principal's row (`FOR NO KEY UPDATE`), so two concurrent puts cannot together
 * pass the 50-tag quota that each checks.
 */
import { type PrincipalTagStore, TAGS_PER_PRINCIPAL } from "../store.ts";
import {
	checkTag,
	principalNotFound,
	type TagRow,
	tagTables,
	tooManyTags,
	toTag,
} from "../tag-rows.ts";
import type { PrincipalKind, Tag } from "../types.ts";
import type { PgDb } from "./db.ts";

// Table and column names come from this fixed map only, never from input.
const TABLES = {
	user: { tags: "user_tags", principals: "users" },
	role: { tags: "role_tags", principals: "roles" },
} as const;

/** ASCII case folding, as SQLite's NOCASE does it (other letters keep their case). */
export function foldKey(key: string): string {
	return key.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export class PgTags implements PrincipalTagStore {
	readonly #db: PgDb;
	constructor(db: PgDb) {
		this.#db = db;
	}

	async put(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		tags: readonly Tag[],
	): Promise<void> {
		const t = tagTables(TABLES, kind);
		for (const tag of tags) checkTag(tag);
		await this.#db.tx(async (q) => {
			const principal = await q.query(
				`SELECT 1 FROM ${t.principals} WHERE account_id = $1 AND name_key = lower($2) FOR NO KEY UPDATE`,
				[accountId, principalName],
			);
			if (principal.rows.length === 0)
				throw principalNotFound(accountId, kind, principalName);
			for (const tag of tags)
				await q.query(
					`INSERT INTO ${t.tags} (account_id, principal_key, key_fold, tag_key, tag_value) VALUES ($1, lower($2), $3, $4, $5)
					 ON CONFLICT (account_id, principal_key, key_fold) DO UPDATE SET tag_value = excluded.tag_value`,
					[accountId, principalName, foldKey(tag.key), tag.key, tag.value],
				);
			const { rows } = await q.query<{ n: number }>(
				`SELECT count(*)::int AS n FROM ${t.tags} WHERE account_id = $1 AND principal_key = lower($2)`,
				[accountId, principalName],
			);
			// Thrown inside the transaction: nothing of this put stays.
			if ((rows[0]?.n ?? 0) > TAGS_PER_PRINCIPAL)
				throw tooManyTags(kind, principalName);
		});
	}

	async remove(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
		keys: readonly string[],
	): Promise<void> {
		const t = tagTables(TABLES, kind);
		await this.#db.query(
			`DELETE FROM ${t.tags} WHERE account_id = $1 AND principal_key = lower($2) AND key_fold = ANY($3::text[])`,
			[accountId, principalName, keys.map((k) => foldKey(String(k)))],
		);
	}

	async list(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<Tag[]> {
		const t = tagTables(TABLES, kind);
		const { rows } = await this.#db.query<TagRow>(
			`SELECT tag_key, tag_value FROM ${t.tags} WHERE account_id = $1 AND principal_key = lower($2) ORDER BY key_fold, tag_key`,
			[accountId, principalName],
		);
		return rows.map(toTag);
	}
}

/** Tags of IAM users and roles in SQLite: one table per principal kind, cascading with it. */
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
import type { Db } from "./db.ts";

// Table and column names come from this fixed map only, never from input.
const TABLES = {
	user: { tags: "user_tags", principals: "users", name: "user_name" },
	role: { tags: "role_tags", principals: "roles", name: "role_name" },
} as const;

export class SqliteTags implements PrincipalTagStore {
	readonly #db: Db;
	constructor(db: Db) {
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
		this.#db.tx(() => {
			const principal = this.#db.one<{ name: string }>(
				`SELECT ${t.name} AS name FROM ${t.principals} WHERE account_id = ? AND ${t.name} = ?`,
				accountId,
				principalName,
			);
			if (!principal) throw principalNotFound(accountId, kind, principalName);
			for (const tag of tags)
				this.#db.run(
					`INSERT INTO ${t.tags} (account_id, principal_name, tag_key, tag_value) VALUES (?, ?, ?, ?)
					 ON CONFLICT (account_id, principal_name, tag_key) DO UPDATE SET tag_value = excluded.tag_value`,
					accountId,
					principal.name,
					tag.key,
					tag.value,
				);
			const count = this.#db.one<{ n: number }>(
				`SELECT count(*) AS n FROM ${t.tags} WHERE account_id = ? AND principal_name = ?`,
				accountId,
				principalName,
			);
			// Thrown inside the transaction: nothing of this put stays.
			if ((count?.n ?? 0) > TAGS_PER_PRINCIPAL)
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
		this.#db.tx(() => {
			for (const key of keys)
				this.#db.run(
					`DELETE FROM ${t.tags} WHERE account_id = ? AND principal_name = ? AND tag_key = ?`,
					accountId,
					principalName,
					key,
				);
		});
	}

	async list(
		accountId: string,
		kind: PrincipalKind,
		principalName: string,
	): Promise<Tag[]> {
		const t = tagTables(TABLES, kind);
		return this.#db
			.do(() =>
				this.#db.all<TagRow>(
					`SELECT tag_key, tag_value FROM ${t.tags} WHERE account_id = ? AND principal_name = ? ORDER BY tag_key`,
					accountId,
					principalName,
				),
			)
			.map(toTag);
	}
}

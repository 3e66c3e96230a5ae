/**
 * What both store adapters (SQLite, PostgreSQL) share about tags of IAM users and roles: the
 * lookup of a principal kind's tables, the row → Tag mapping, the checks on a tag and the
 * errors. One copy, so the two adapters cannot drift apart.
 */

import { StoreError } from "./errors.ts";
import { principalEntry } from "./kind-tables.ts";
import { TAGS_PER_PRINCIPAL } from "./store.ts";
import type { PrincipalKind, Tag } from "./types.ts";

// A type alias, not an interface: node-postgres wants rows assignable to an index signature.
export type TagRow = {
	tag_key: string;
	tag_value: string;
};

export function toTag(row: TagRow): Tag {
	return { key: row.tag_key, value: row.tag_value };
}

/**
 * The adapter's tables for a principal kind. Own keys only: a kind such as `toString` is
 * refused, not looked up on the map's prototype.
 */
export function tagTables<M extends Readonly<Record<PrincipalKind, object>>>(
	tables: M,
	kind: PrincipalKind,
): M[PrincipalKind] {
	return principalEntry(tables, kind);
}

export function checkTag(tag: Tag): void {
	if (
		typeof tag.key !== "string" ||
		tag.key.length < 1 ||
		tag.key.length > 128 ||
		typeof tag.value !== "string" ||
		tag.value.length > 256
	)
		throw new StoreError(
			"STORE_INVALID",
			"a tag key is 1–128 characters and its value at most 256",
		);
}

export function principalNotFound(
	accountId: string,
	kind: PrincipalKind,
	principalName: string,
): StoreError {
	return new StoreError(
		"STORE_NOT_FOUND",
		`${kind} ${principalName} does not exist in account ${accountId}`,
	);
}

export function tooManyTags(
	kind: PrincipalKind,
	principalName: string,
): StoreError {
	return new StoreError(
		"STORE_TOO_LARGE",
		`${kind} ${principalName} would have more than ${TAGS_PER_PRINCIPAL} tags`,
	);
}

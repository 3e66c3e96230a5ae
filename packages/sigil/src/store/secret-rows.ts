/**
 * What both store adapters (SQLite, PostgreSQL) share about named secrets: the row shape of a
 * secret's metadata, its columns and the row → SecretInfo mapping, the associated data that binds
 * a sealed value to its row (so a value sealed by one adapter opens in the other), the checks on
 * a value and the not-found error. One copy, so the two adapters cannot drift apart.
 */
import { StoreError } from "./errors.ts";
import { check, SECRET_NAME } from "./ids.ts";
import { MAX_SECRET_BYTES } from "./limits.ts";
import type { SecretInfo } from "./types.ts";

// A type alias, not an interface: node-postgres wants rows assignable to an index signature.
/** A secret's row without its sealed value. */
export type SecretRow = {
	account_id: string;
	name: string;
	created_at: number;
	updated_at: number;
};

/** Columns of `secrets` in SecretRow's order. */
export const SECRET_INFO_COLUMNS = "account_id, name, created_at, updated_at";

export function toSecretInfo(row: SecretRow): SecretInfo {
	return {
		accountId: row.account_id,
		name: row.name,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}

/** The associated data that binds a secret's ciphertext to its row. */
export function secretAad(accountId: string, name: string): string {
	return `secret:${accountId}:${name}`;
}

/** A secret to put: its name, and a value that is a Buffer within the size bound. */
export function checkSecret(name: string, value: Buffer): void {
	check(name, SECRET_NAME, "secret name");
	if (!Buffer.isBuffer(value))
		throw new StoreError("STORE_INVALID", "a secret's value must be a Buffer");
	if (value.length > MAX_SECRET_BYTES)
		throw new StoreError(
			"STORE_TOO_LARGE",
			`secret ${name} is ${value.length} bytes; the limit is ${MAX_SECRET_BYTES}`,
		);
}

export function secretNotFound(accountId: string, name: string): StoreError {
	return new StoreError(
		"STORE_NOT_FOUND",
		`secret ${name} does not exist in account ${accountId}`,
	);
}

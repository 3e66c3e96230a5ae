/**
 * The one error class of the store. Every failure a caller can act on carries a stable `code`
 * (listed in docs/errors.md by whoever owns that file); messages say what happened and how to
 * fix it, and never contain a secret, a key or a ciphertext.
 */

/** Stable codes of store failures. */
export type StoreErrorCode =
	/** A mutation named a row that does not exist (reads return `undefined` instead). */
	| "STORE_NOT_FOUND"
	/** A create collided with an existing row, or an optimistic revision check failed. */
	| "STORE_CONFLICT"
	/** An argument broke the store's own rules (name pattern, size bound, JSON shape). */
	| "STORE_INVALID"
	/** A value exceeds a size bound (code bundle, secret, log lines). */
	| "STORE_TOO_LARGE"
	/** The database file is damaged (bad pages, missing meta rows). */
	| "STORE_CORRUPT"
	/** The file is not an SQLite database, or an SQLite database that Sigil did not create. */
	| "STORE_FOREIGN"
	/** The data directory was created by a newer Sigil whose schema this code does not know. */
	| "STORE_SCHEMA_TOO_NEW"
	/** The master key differs from the one the data directory was created with. */
	| "STORE_MASTER_KEY_MISMATCH"
	/** `SIGIL_MASTER_KEY` or `master.key` does not hold 32 bytes in base64 or hex. */
	| "STORE_MASTER_KEY_INVALID"
	/** `master.key` (or its directory) is readable by other users: refused, like ssh does. */
	| "STORE_MASTER_KEY_PERMISSIONS"
	/** A ciphertext failed authentication: tampered, moved to another row, or another key. */
	| "STORE_DECRYPT_FAILED"
	/** A job's lease was lost (expired and claimed again) before its worker reported back. */
	| "STORE_LEASE_LOST"
	/** Another process held the database lock for longer than the busy timeout. */
	| "STORE_BUSY"
	/** The store was closed. */
	| "STORE_CLOSED";

/** A failure of the store, with a stable `code` for callers to branch on. */
export class StoreError extends Error {
	readonly code: StoreErrorCode;
	constructor(
		code: StoreErrorCode,
		message: string,
		options?: { cause?: unknown },
	) {
		super(message, options);
		this.name = "StoreError";
		this.code = code;
	}
}

/** True when `err` is a {@link StoreError}, optionally with the given code. */
export function isStoreError(
	err: unknown,
	code?: StoreErrorCode,
): err is StoreError {
	return err instanceof StoreError && (code === undefined || err.code === code);
}

/**
 * The SQLite connection as the adapter's modules see it: prepared statements cached per store,
 * `BEGIN IMMEDIATE` transactions (take the write lock up front, so two processes never deadlock
 * upgrading a read lock), and SQLite result codes turned into stable `StoreError` codes.
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { StoreError } from "../errors.ts";

// Primary result codes (https://www.sqlite.org/rescode.html); extended codes keep them in the low byte.
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_CORRUPT = 11;
const SQLITE_CONSTRAINT = 19;
const SQLITE_NOTADB = 26;
const SQLITE_CONSTRAINT_FOREIGNKEY = 787;

/** A row as node:sqlite returns it. */
export type Row = Record<string, unknown>;
export type Params = SQLInputValue[];

export class Db {
	readonly raw: DatabaseSync;
	readonly now: () => number;
	readonly #statements = new Map<string, StatementSync>();
	#closed = false;

	constructor(raw: DatabaseSync, now: () => number) {
		this.raw = raw;
		this.now = now;
	}

	get closed(): boolean {
		return this.#closed;
	}

	/** The prepared statement for `sql`, prepared once per store. */
	stmt(sql: string): StatementSync {
		if (this.#closed)
			throw new StoreError("STORE_CLOSED", "the store is closed");
		let statement = this.#statements.get(sql);
		if (statement === undefined) {
			statement = this.raw.prepare(sql);
			this.#statements.set(sql, statement);
		}
		return statement;
	}

	/** Rejects with STORE_NOT_FOUND unless the account exists (inside the caller's transaction). */
	requireAccount(accountId: string): void {
		if (!this.one("SELECT 1 FROM accounts WHERE account_id = ?", accountId)) {
			throw new StoreError(
				"STORE_NOT_FOUND",
				`account ${accountId} does not exist`,
			);
		}
	}

	one<T>(sql: string, ...params: Params): T | undefined {
		return this.stmt(sql).get(...params) as T | undefined;
	}

	all<T>(sql: string, ...params: Params): T[] {
		return this.stmt(sql).all(...params) as T[];
	}

	/** Runs `sql` and returns how many rows it changed. */
	run(sql: string, ...params: Params): number {
		return Number(this.stmt(sql).run(...params).changes);
	}

	/** Runs `fn` inside one write transaction; SQLite errors come out as `StoreError`s. */
	tx<T>(fn: () => T): T {
		if (this.#closed)
			throw new StoreError("STORE_CLOSED", "the store is closed");
		try {
			this.raw.exec("BEGIN IMMEDIATE");
		} catch (err) {
			throw translate(err);
		}
		try {
			const result = fn();
			this.raw.exec("COMMIT");
			return result;
		} catch (err) {
			if (this.raw.isTransaction) this.raw.exec("ROLLBACK");
			throw translate(err);
		}
	}

	/** Runs `fn` (a read or a single statement) with SQLite errors turned into `StoreError`s. */
	do<T>(fn: () => T): T {
		try {
			return fn();
		} catch (err) {
			throw translate(err);
		}
	}

	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#statements.clear();
		this.raw.close();
	}
}

/** Maps an SQLite error to a `StoreError` with a stable code; anything else passes through. */
export function translate(err: unknown): unknown {
	if (err instanceof StoreError) return err;
	const errcode = (err as { errcode?: unknown } | null)?.errcode;
	if (typeof errcode !== "number") return err;
	const primary = errcode & 0xff;
	const message = (err as Error).message;
	if (primary === SQLITE_BUSY || primary === SQLITE_LOCKED) {
		return new StoreError(
			"STORE_BUSY",
			"the database is locked by another process for longer than the busy timeout",
			{ cause: err },
		);
	}
	if (primary === SQLITE_CORRUPT || primary === SQLITE_NOTADB) {
		return new StoreError(
			"STORE_CORRUPT",
			`the database file is damaged (${message}): restore it from a backup`,
			{ cause: err },
		);
	}
	if (errcode === SQLITE_CONSTRAINT_FOREIGNKEY) {
		return new StoreError(
			"STORE_NOT_FOUND",
			"the account or principal this row belongs to does not exist",
			{ cause: err },
		);
	}
	if (primary === SQLITE_CONSTRAINT) {
		return new StoreError(
			"STORE_CONFLICT",
			`a row with the same key already exists (${message})`,
			{ cause: err },
		);
	}
	return err;
}

/** A BLOB column as a Buffer, without copying. */
export function buf(value: unknown): Buffer {
	const bytes = value as Uint8Array;
	return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

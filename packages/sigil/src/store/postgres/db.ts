/**
 * The PostgreSQL connection pool as the adapter's modules see it: a bounded `pg.Pool` whose
 * sessions run in the store's own schema with statement, lock and idle-in-transaction timeouts;
 * `tx` for the transactions the SQLite adapter has (retried once on a serialization failure or a
 * deadlock); and PostgreSQL SQLSTATEs turned into the store's stable `StoreError` codes.
 */
import pg from "pg";
import { StoreError } from "../errors.ts";

/** A row as node-postgres returns it (BIGINT parsed to a number, BYTEA to a Buffer). */
export type Row = Record<string, unknown>;
export type Params = unknown[];

/** Something that runs a query: the pool, or one client inside a transaction. */
export interface Queryable {
	query<T extends Row = Row>(
		sql: string,
		params?: Params,
	): Promise<{ rows: T[]; rowCount: number }>;
}

/** A schema name the adapter accepts: a plain lower-case identifier, so it never needs quoting. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

// BIGINT (int8, OID 20) holds epoch milliseconds and ids: well inside Number.MAX_SAFE_INTEGER.
// Set per pool, never on the process-wide `pg.types`, so other users of `pg` are unaffected.
const INT8_OID = 20;
const types = {
	getTypeParser(oid: number, format?: "text" | "binary") {
		if (oid === INT8_OID && format !== "binary")
			return (value: string) => Number(value);
		// biome-ignore lint/suspicious/noExplicitAny: pg's overloads do not accept the union
		return pg.types.getTypeParser(oid, format as any);
	},
};

export interface PoolOptions {
	connectionString: string;
	schema: string;
	/** Connections at most (default 10). */
	maxConnections?: number;
	/** A statement running longer is cancelled (default 30 s). */
	statementTimeoutMs?: number;
	/** Waiting for a connection from a full pool, or to connect, fails after this (default 10 s). */
	connectionTimeoutMs?: number;
	/** The sessions' `application_name` (default `sigil`), as `pg_stat_activity` shows it. */
	applicationName?: string;
	onBackgroundError: (err: unknown) => void;
}

/** Session settings of every connection of the store, as libpq `options`. */
export function sessionOptions(schema: string, statementTimeoutMs: number) {
	if (!SCHEMA_NAME.test(schema))
		throw new StoreError(
			"STORE_INVALID",
			`schema ${JSON.stringify(schema)} is not valid: it must match ${SCHEMA_NAME.source}`,
		);
	return {
		// search_path: only the store's schema, so unqualified names never resolve elsewhere.
		options: `-c search_path=${schema}`,
		statement_timeout: statementTimeoutMs,
		lock_timeout: statementTimeoutMs,
		// A transaction left open by a stuck caller must not hold locks forever.
		idle_in_transaction_session_timeout: Math.max(60_000, statementTimeoutMs),
		types,
	};
}

export class PgDb implements Queryable {
	readonly pool: pg.Pool;
	readonly now: () => number;
	readonly schema: string;
	readonly #where: string;
	#closed = false;

	constructor(options: PoolOptions, now: () => number) {
		this.now = now;
		this.schema = options.schema;
		this.#where = describeTarget(options.connectionString);
		this.pool = new pg.Pool({
			connectionString: options.connectionString,
			max: options.maxConnections ?? 10,
			connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
			idleTimeoutMillis: 30_000,
			keepAlive: true,
			application_name: options.applicationName ?? "sigil",
			...sessionOptions(options.schema, options.statementTimeoutMs ?? 30_000),
		});
		// An idle connection that breaks (server restart, pg_terminate_backend) is dropped by the
		// pool; without a listener the error would end the process.
		this.pool.on("error", (err) => options.onBackgroundError(err));
	}

	get closed(): boolean {
		return this.#closed;
	}

	#open(): void {
		if (this.#closed)
			throw new StoreError("STORE_CLOSED", "the store is closed");
	}

	/** `name`: a server-side prepared statement, parsed once per connection (hot paths only). */
	async query<T extends Row = Row>(
		sql: string,
		params: Params = [],
		name?: string,
	): Promise<{ rows: T[]; rowCount: number }> {
		this.#open();
		try {
			const result = await this.pool.query<T>(
				name === undefined ? sql : { name, text: sql, values: params },
				name === undefined ? params : undefined,
			);
			return { rows: result.rows, rowCount: result.rowCount ?? 0 };
		} catch (err) {
			throw translate(err, this.#where);
		}
	}

	async one<T extends Row>(
		sql: string,
		params: Params = [],
		name?: string,
	): Promise<T | undefined> {
		return (await this.query<T>(sql, params, name)).rows[0];
	}

	/**
	 * Runs `fn` inside one transaction on one connection (READ COMMITTED; the statements take the
	 * row locks they need). A serialization failure or deadlock is retried once from the start.
	 */
	async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
		for (let attempt = 1; ; attempt++) {
			this.#open();
			let client: pg.PoolClient;
			try {
				client = await this.pool.connect();
			} catch (err) {
				throw translate(err, this.#where);
			}
			// A checked-out client is the pool's no more: an error its socket raises between two
			// statements (the server crashed) would be an unhandled 'error' event — the gateway's
			// death. It is kept here, fails this transaction's next statement, and the client is
			// then destroyed instead of returned.
			let broken: unknown;
			const onError = (err: Error) => {
				broken = err;
			};
			client.on("error", onError);
			const q: Queryable = {
				query: async <R extends Row>(sql: string, params: Params = []) => {
					const result = await client.query<R>(sql, params);
					return { rows: result.rows, rowCount: result.rowCount ?? 0 };
				},
			};
			try {
				await client.query("BEGIN");
				const result = await fn(q);
				await client.query("COMMIT");
				return result;
			} catch (err) {
				try {
					await client.query("ROLLBACK");
				} catch (rollbackErr) {
					broken = rollbackErr; // the connection is gone: do not return it to the pool
				}
				const code = sqlState(err);
				if (attempt < 2 && (code === "40001" || code === "40P01")) continue;
				throw translate(err, this.#where);
			} finally {
				client.removeListener("error", onError);
				client.release(broken instanceof Error ? broken : undefined);
			}
		}
	}

	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		await this.pool.end();
	}
}

/**
 * PostgreSQL's TEXT cannot hold U+0000 (SQLite's can): in free text the store writes as it comes
 * (function logs, error messages) each one becomes U+FFFD instead of failing the write.
 */
export function pgText(value: string): string;
export function pgText(value: string | null): string | null;
export function pgText(value: string | null): string | null {
	return value?.includes("\0") ? value.replaceAll("\0", "\uFFFD") : value;
}

/** The SQLSTATE of a PostgreSQL error, if it is one. */
export function sqlState(err: unknown): string | undefined {
	const code = (err as { code?: unknown } | null)?.code;
	return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)
		? code
		: undefined;
}

/** The constraint a PostgreSQL constraint violation names. */
export function constraintOf(err: unknown): string | undefined {
	const c = (err as { constraint?: unknown } | null)?.constraint;
	return typeof c === "string" ? c : undefined;
}

/** host:port/database of a connection string, without user or password, for messages. */
export function describeTarget(connectionString: string): string {
	try {
		const url = new URL(connectionString);
		return `${url.hostname}:${url.port || "5432"}${url.pathname}`;
	} catch {
		return "the configured PostgreSQL server";
	}
}

const NETWORK = new Set([
	"ECONNREFUSED",
	"ECONNRESET",
	"ENOTFOUND",
	"EAI_AGAIN",
	"ETIMEDOUT",
	"EHOSTUNREACH",
	"ENETUNREACH",
	"EPIPE",
]);

/** Maps a PostgreSQL or connection error to a `StoreError` with a stable code; anything else passes through. */
export function translate(err: unknown, where: string): unknown {
	if (err instanceof StoreError) return err;
	const code = sqlState(err);
	const message = (err as Error | null)?.message ?? String(err);
	if (code === "23505")
		return new StoreError(
			"STORE_CONFLICT",
			`a row with the same key already exists (${constraintOf(err) ?? "unique constraint"})`,
			{ cause: err },
		);
	if (code === "23503")
		return new StoreError(
			"STORE_NOT_FOUND",
			"the account or principal this row belongs to does not exist",
			{ cause: err },
		);
	if (code === "22001" || code === "54000")
		return new StoreError(
			"STORE_TOO_LARGE",
			`a value is too large (${message})`,
			{
				cause: err,
			},
		);
	// Class 22, data exceptions: a value PostgreSQL cannot take (a NUL in a name, a bad number).
	if (code?.startsWith("22"))
		return new StoreError(
			"STORE_INVALID",
			`a value is not valid (${message})`,
			{ cause: err },
		);
	// 57014 statement timeout, 55P03 lock timeout, 40001/40P01 after the retry, 53300 too many
	// connections, 57P01–57P03 the server shutting down or starting, 08xxx connection failures.
	if (
		code === "57014" ||
		code === "55P03" ||
		code === "40001" ||
		code === "40P01" ||
		code === "53300" ||
		code?.startsWith("57P") ||
		code?.startsWith("08")
	)
		return new StoreError(
			"STORE_BUSY",
			`PostgreSQL at ${where} did not complete the statement (${message}); retry`,
			{ cause: err },
		);
	if (/timeout exceeded when trying to connect/i.test(message))
		return new StoreError(
			"STORE_BUSY",
			`no connection to PostgreSQL at ${where} within the connect timeout: the server is unreachable or slow, or every pooled connection is busy (maxConnections); retry`,
			{ cause: err },
		);
	const errno = (err as { code?: unknown } | null)?.code;
	if (
		(typeof errno === "string" && NETWORK.has(errno)) ||
		/Connection terminated/i.test(message)
	)
		return new StoreError(
			"STORE_BUSY",
			`PostgreSQL at ${where} is unreachable (${message}); retry when it is back`,
			{ cause: err },
		);
	return err;
}

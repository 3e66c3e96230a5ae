/**
 * Opening the PostgreSQL store: a bounded pool in the store's own schema; on first use the schema,
 * its meta rows and tables are created; on every open the schema is proven to be Sigil's, of a
 * version this code knows and sealed under the same master key, before any migration runs — and
 * otherwise the open stops with a clear error. Several gateways may open one schema at once.
 */
import { SecretBox } from "../secret-box.ts";
import type { Store } from "../store.ts";
import { describeTarget, PgDb } from "./db.ts";
import { prepare } from "./migrations.ts";
import { PostgresStore, type PostgresStoreOptions } from "./postgres-store.ts";

export interface OpenPostgresStoreOptions extends PostgresStoreOptions {
	/** `postgres://user@host:5432/database` (libpq URL; `?sslmode=…` and the rest as node-postgres takes them). */
	connectionString: string;
	/** 32 bytes, from `loadOrCreateMasterKey`: the same key on every gateway sharing the database. */
	masterKey: Buffer;
	/** The schema holding Sigil's tables (default `sigil`); created when missing. */
	schema?: string;
	/** Connections at most in this gateway's pool (default 10). */
	maxConnections?: number;
	/** A statement (or a lock wait) running longer is cancelled with `STORE_BUSY` (default 30 s). */
	statementTimeoutMs?: number;
	/** Connecting, or waiting for a free connection, fails after this (default 10 s). */
	connectionTimeoutMs?: number;
	/** The sessions' `application_name` (default `sigil`), to find them in `pg_stat_activity`. */
	applicationName?: string;
}

export const DEFAULT_SCHEMA = "sigil";

/** Opens (or creates) the store in a PostgreSQL database. */
export async function openPostgresStore(
	options: OpenPostgresStoreOptions,
): Promise<Store> {
	const box = new SecretBox(options.masterKey);
	const onError =
		options.onBackgroundError ??
		((err: unknown) => process.emitWarning(err as Error, "SigilStoreWarning"));
	const db = new PgDb(
		{
			connectionString: options.connectionString,
			schema: options.schema ?? DEFAULT_SCHEMA,
			maxConnections: options.maxConnections,
			statementTimeoutMs: options.statementTimeoutMs,
			connectionTimeoutMs: options.connectionTimeoutMs,
			applicationName: options.applicationName,
			onBackgroundError: onError,
		},
		options.now ?? Date.now,
	);
	try {
		const meta = await prepare(
			db,
			box,
			describeTarget(options.connectionString),
		);
		return new PostgresStore(db, box, meta, options, onError);
	} catch (err) {
		await db.close().catch(() => {});
		throw err;
	}
}

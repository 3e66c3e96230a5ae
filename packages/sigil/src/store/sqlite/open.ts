/**
 * Opening a data directory: create `sigil.db` on first use; on every later open, prove the file is
 * Sigil's, undamaged, of a schema this code knows, and sealed under the same master key — and
 * otherwise stop with a clear error. Never re-initialise silently: a wrong path or a wrong key
 * must not look like an empty installation.
 */
import { randomUUID } from "node:crypto";
import { chmod, mkdir, open as openFile } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { StoreError } from "../errors.ts";
import { SecretBox } from "../secret-box.ts";
import type { Store, StoreMeta } from "../store.ts";
import { Db, translate } from "./db.ts";
import {
	APPLICATION_ID,
	LATEST_VERSION,
	migrate,
	schemaVersion,
} from "./migrations.ts";
import { SqliteStore, type SqliteStoreOptions } from "./sqlite-store.ts";

export const DATABASE_FILE = "sigil.db";
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

export interface OpenSqliteStoreOptions extends SqliteStoreOptions {
	/** Holds `sigil.db` (created 0700 when missing). */
	dataDir: string;
	/** 32 bytes, from `loadOrCreateMasterKey`. */
	masterKey: Buffer;
	/** How long to wait for another process's write lock (default 5000 ms). */
	busyTimeoutMs?: number;
	/** Run `PRAGMA quick_check` on open (default true): damage is found at start, not mid-request. */
	integrityCheck?: boolean;
}

/** Opens (or creates) the embedded store of a data directory. */
export async function openSqliteStore(
	options: OpenSqliteStoreOptions,
): Promise<Store> {
	const box = new SecretBox(options.masterKey);
	await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
	const path = join(options.dataDir, DATABASE_FILE);
	const existed = await checkHeader(path);
	let raw: DatabaseSync;
	try {
		raw = new DatabaseSync(path, {
			timeout: options.busyTimeoutMs ?? 5000,
			enableForeignKeyConstraints: true,
		});
	} catch (err) {
		throw asOpenError(err, path);
	}
	// The database holds ciphertexts, policies and code: owner-only, like the key beside it.
	if (!existed) await chmod(path, 0o600);
	const db = new Db(raw, options.now ?? Date.now);
	try {
		const meta = prepare(db, box, path, options.integrityCheck ?? true);
		return new SqliteStore(db, box, meta, options, path);
	} catch (err) {
		db.close();
		throw asOpenError(err, path);
	}
}

/** Reads the first 16 bytes: an existing, non-empty file must carry SQLite's header. */
async function checkHeader(path: string): Promise<boolean> {
	let handle: Awaited<ReturnType<typeof openFile>>;
	try {
		handle = await openFile(path, "r");
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
		throw err;
	}
	try {
		const header = Buffer.alloc(16);
		const { bytesRead } = await handle.read(header, 0, 16, 0);
		if (bytesRead === 0) return false; // an empty file is what SQLite itself creates first
		if (bytesRead < 16 || !header.equals(SQLITE_HEADER)) {
			throw new StoreError(
				"STORE_FOREIGN",
				`${path} is not an SQLite database: move it away, or point Sigil at another data directory`,
			);
		}
		return true;
	} finally {
		await handle.close();
	}
}

function prepare(
	db: Db,
	box: SecretBox,
	path: string,
	integrityCheck: boolean,
): StoreMeta {
	// 1. Whose file is it? Look before writing anything (even the journal mode is a write).
	const appId =
		db.one<{ application_id: number }>("PRAGMA application_id")
			?.application_id ?? 0;
	const tables =
		db.one<{ n: number }>("SELECT count(*) AS n FROM sqlite_master")?.n ?? 0;
	if (appId !== APPLICATION_ID && (appId !== 0 || tables > 0)) {
		throw new StoreError(
			"STORE_FOREIGN",
			`${path} is an SQLite database of another program: point Sigil at its own data directory`,
		);
	}
	// 2. Is it intact? quick_check reads every page: O(size), once per start.
	if (integrityCheck && tables > 0) {
		const result = db
			.all<{ quick_check: string }>("PRAGMA quick_check")
			.map((r) => r.quick_check);
		if (result.length !== 1 || result[0] !== "ok") {
			throw new StoreError(
				"STORE_CORRUPT",
				`${path} is damaged (${result.slice(0, 3).join("; ")}): restore it from a backup`,
			);
		}
	}
	// 3. Durability: WAL lets readers run beside the writer; synchronous=FULL fsyncs the WAL on
	// every commit, so an acknowledged write (an enqueued job, a new key) survives power loss.
	db.raw.exec(
		"PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
	);
	// 4. First use: meta rows in one transaction (re-checked under the lock: another process may race us).
	db.tx(() => {
		if (
			db.one(
				"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sigil_meta'",
			)
		)
			return;
		db.raw.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
		db.raw.exec(
			"CREATE TABLE sigil_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT",
		);
		const insert = "INSERT INTO sigil_meta (key, value) VALUES (?, ?)";
		db.run(insert, "installation_id", randomUUID());
		db.run(insert, "master_key_check", box.checkValue().toString("hex"));
		db.run(insert, "created_at", String(db.now()));
	});
	// 5. A schema from a newer Sigil: refuse rather than misread it.
	const version = schemaVersion(db);
	if (version > LATEST_VERSION) {
		throw new StoreError(
			"STORE_SCHEMA_TOO_NEW",
			`${path} has schema version ${version}, but this Sigil knows up to ${LATEST_VERSION}: upgrade Sigil`,
		);
	}
	// 6. The same master key as at creation, before any migration touches the file.
	const rows = new Map(
		db
			.all<{ key: string; value: string }>("SELECT key, value FROM sigil_meta")
			.map((r) => [r.key, r.value]),
	);
	const check = rows.get("master_key_check");
	const installationId = rows.get("installation_id");
	const createdAt = Number(rows.get("created_at"));
	if (
		check === undefined ||
		installationId === undefined ||
		!Number.isFinite(createdAt)
	) {
		throw new StoreError(
			"STORE_CORRUPT",
			`${path} lacks Sigil's meta rows: restore it from a backup`,
		);
	}
	if (!box.matchesCheckValue(Buffer.from(check, "hex"))) {
		throw new StoreError(
			"STORE_MASTER_KEY_MISMATCH",
			`this data directory was created with a different master key: set SIGIL_MASTER_KEY (or master.key) to the original key`,
		);
	}
	// 7. Bring the schema up to date.
	migrate(db);
	return { schemaVersion: schemaVersion(db), installationId, createdAt };
}

function asOpenError(err: unknown, path: string): unknown {
	const translated = translate(err);
	if (translated instanceof StoreError && translated.code === "STORE_CORRUPT") {
		return new StoreError(
			"STORE_CORRUPT",
			`${path} is damaged or not a database: restore it from a backup`,
			{ cause: err },
		);
	}
	return translated;
}

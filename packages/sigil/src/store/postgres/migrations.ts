/**
 * The PostgreSQL schema, as numbered steps, and the opening sequence around them. Everything runs
 * under one transaction-scoped advisory lock per schema, so two gateways starting at once migrate
 * once: the second waits, re-reads the version and finds nothing to do. Each step commits together
 * with the bump of `schema_version` (PostgreSQL DDL is transactional), so a crash leaves the schema
 * at one version or the next. Never edit a released step: add the next one.
 *
 * The layout follows the SQLite adapter's (schema 3) with PostgreSQL types: epoch milliseconds in
 * BIGINT, ciphertexts and code in BYTEA, names compared byte-wise (`COLLATE "C"`, like SQLite's
 * default), and IAM user/role names kept in their own spelling beside a lower-case key that the
 * primary and foreign keys use (SQLite's `NOCASE`; IAM names are ASCII, so `lower` is exact).
 */
import { randomUUID } from "node:crypto";
import { StoreError } from "../errors.ts";
import type { SecretBox } from "../secret-box.ts";
import type { StoreMeta } from "../store.ts";
import type { PgDb, Queryable } from "./db.ts";

export interface PgMigration {
	readonly version: number;
	readonly description: string;
	readonly sql: string;
}

export const MIGRATIONS: readonly PgMigration[] = [
	{
		version: 1,
		description:
			"accounts, principals, keys, functions, secrets, audit, sealed jobs, replay ids",
		sql: `
CREATE TABLE accounts (
	account_id TEXT COLLATE "C" PRIMARY KEY,
	name TEXT NOT NULL,
	is_root BOOLEAN NOT NULL DEFAULT false,
	created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX accounts_one_root ON accounts (is_root) WHERE is_root;

CREATE TABLE users (
	account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	name_key TEXT COLLATE "C" NOT NULL,
	user_name TEXT COLLATE "C" NOT NULL CHECK (lower(user_name) = name_key),
	user_id TEXT COLLATE "C" NOT NULL UNIQUE,
	path TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, name_key)
);

CREATE TABLE roles (
	account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	name_key TEXT COLLATE "C" NOT NULL,
	role_name TEXT COLLATE "C" NOT NULL CHECK (lower(role_name) = name_key),
	role_id TEXT COLLATE "C" NOT NULL UNIQUE,
	path TEXT NOT NULL,
	trust_policy TEXT NOT NULL,
	max_session_duration INTEGER NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, name_key)
);

CREATE TABLE user_policies (
	account_id TEXT COLLATE "C" NOT NULL,
	principal_key TEXT COLLATE "C" NOT NULL,
	principal_name TEXT COLLATE "C" NOT NULL,
	policy_name TEXT COLLATE "C" NOT NULL,
	document TEXT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, principal_key, policy_name),
	FOREIGN KEY (account_id, principal_key) REFERENCES users (account_id, name_key) ON DELETE CASCADE
);

CREATE TABLE role_policies (
	account_id TEXT COLLATE "C" NOT NULL,
	principal_key TEXT COLLATE "C" NOT NULL,
	principal_name TEXT COLLATE "C" NOT NULL,
	policy_name TEXT COLLATE "C" NOT NULL,
	document TEXT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, principal_key, policy_name),
	FOREIGN KEY (account_id, principal_key) REFERENCES roles (account_id, name_key) ON DELETE CASCADE
);

-- user_key NULL: the account's root identity (MATCH SIMPLE skips the foreign key for a NULL).
CREATE TABLE access_keys (
	access_key_id TEXT COLLATE "C" PRIMARY KEY,
	account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	user_key TEXT COLLATE "C",
	user_name TEXT COLLATE "C",
	secret BYTEA NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
	created_at BIGINT NOT NULL,
	last_used_at BIGINT,
	last_used_scheme TEXT,
	last_used_service TEXT,
	FOREIGN KEY (account_id, user_key) REFERENCES users (account_id, name_key) ON DELETE CASCADE
);
CREATE INDEX access_keys_owner ON access_keys (account_id, user_key);

-- One URL namespace per gateway: the UNIQUE constraint on the name alone, not a check before the
-- insert, makes two concurrent deploys of one name from two accounts end with one winner.
CREATE TABLE functions (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	name TEXT COLLATE "C" NOT NULL,
	config TEXT NOT NULL,
	revision INTEGER NOT NULL,
	code_sha256 TEXT COLLATE "C" NOT NULL,
	code_size INTEGER NOT NULL,
	policy TEXT,
	policy_revision INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	CONSTRAINT functions_account_name UNIQUE (account_id, name),
	CONSTRAINT functions_name UNIQUE (name)
);

CREATE TABLE function_revisions (
	function_id BIGINT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
	revision INTEGER NOT NULL,
	code_sha256 TEXT COLLATE "C" NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (function_id, revision)
);
CREATE INDEX function_revisions_code ON function_revisions (code_sha256);

-- Content-addressed per account: a config-only deploy, or a redeploy of the same bundle, stores nothing new.
CREATE TABLE code_blobs (
	account_id TEXT COLLATE "C" NOT NULL,
	sha256 TEXT COLLATE "C" NOT NULL,
	size INTEGER NOT NULL,
	data BYTEA NOT NULL,
	PRIMARY KEY (account_id, sha256)
);
-- Bundles are compressed archives already: store them as they are, out of line.
ALTER TABLE code_blobs ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE secrets (
	account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	name TEXT COLLATE "C" NOT NULL,
	value BYTEA NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, name)
);

-- An identity never reuses a value, so a follow cursor only moves forward (ids of concurrent
-- batches may commit out of order; the write-behind writer is one per store).
CREATE TABLE audit (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	request_id TEXT NOT NULL,
	time BIGINT NOT NULL,
	account_id TEXT COLLATE "C" NOT NULL,
	function_name TEXT COLLATE "C",
	principal_arn TEXT,
	access_key_id TEXT,
	scheme TEXT NOT NULL,
	outcome TEXT NOT NULL,
	http_status INTEGER NOT NULL,
	duration_ms DOUBLE PRECISION NOT NULL,
	detail TEXT NOT NULL,
	logs TEXT NOT NULL
);
CREATE INDEX audit_account ON audit (account_id, id);
CREATE INDEX audit_function ON audit (account_id, function_name, id);

-- payload, headers, callback_url and result are sealed under the master key, each bound to the
-- job and column (job:ID:payload|headers|callback-url|result): no row ever holds them in clear.
CREATE TABLE jobs (
	seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id TEXT COLLATE "C" NOT NULL UNIQUE,
	account_id TEXT COLLATE "C" NOT NULL,
	function_name TEXT COLLATE "C" NOT NULL,
	payload BYTEA NOT NULL,
	headers BYTEA NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead')),
	attempts INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL,
	next_attempt_at BIGINT NOT NULL,
	lease_until BIGINT,
	lease_token TEXT,
	last_error TEXT,
	callback_url BYTEA,
	result BYTEA,
	callback TEXT,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (next_attempt_at, seq) WHERE status = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE status = 'running';
CREATE INDEX jobs_owner ON jobs (account_id, function_name, seq);

CREATE TABLE replay_ids (
	scope TEXT COLLATE "C" NOT NULL,
	id TEXT COLLATE "C" NOT NULL,
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (scope, id)
);
CREATE INDEX replay_ids_expiry ON replay_ids (expires_at);
`,
	},
	{
		version: 2,
		description:
			"IAM customer managed policies: versions, attachments to users and roles",
		sql: `
CREATE TABLE managed_policies (
	account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	name_key TEXT COLLATE "C" NOT NULL,
	policy_name TEXT COLLATE "C" NOT NULL CHECK (lower(policy_name) = name_key),
	policy_id TEXT COLLATE "C" NOT NULL UNIQUE,
	path TEXT NOT NULL,
	description TEXT,
	-- The version in force (vN), and the next number to hand out (never reused).
	default_version INTEGER NOT NULL,
	next_version INTEGER NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, name_key)
);

CREATE TABLE managed_policy_versions (
	account_id TEXT COLLATE "C" NOT NULL,
	policy_key TEXT COLLATE "C" NOT NULL,
	version INTEGER NOT NULL,
	document TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, policy_key, version),
	FOREIGN KEY (account_id, policy_key) REFERENCES managed_policies (account_id, name_key) ON DELETE CASCADE
);

-- Deleting the principal drops its attachments; a policy cannot be deleted while attached.
CREATE TABLE user_managed_policies (
	account_id TEXT COLLATE "C" NOT NULL,
	principal_key TEXT COLLATE "C" NOT NULL,
	principal_name TEXT COLLATE "C" NOT NULL,
	policy_key TEXT COLLATE "C" NOT NULL,
	attached_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, principal_key, policy_key),
	FOREIGN KEY (account_id, principal_key) REFERENCES users (account_id, name_key) ON DELETE CASCADE,
	FOREIGN KEY (account_id, policy_key) REFERENCES managed_policies (account_id, name_key)
);
CREATE INDEX user_managed_policies_policy ON user_managed_policies (account_id, policy_key);

CREATE TABLE role_managed_policies (
	account_id TEXT COLLATE "C" NOT NULL,
	principal_key TEXT COLLATE "C" NOT NULL,
	principal_name TEXT COLLATE "C" NOT NULL,
	policy_key TEXT COLLATE "C" NOT NULL,
	attached_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, principal_key, policy_key),
	FOREIGN KEY (account_id, principal_key) REFERENCES roles (account_id, name_key) ON DELETE CASCADE,
	FOREIGN KEY (account_id, policy_key) REFERENCES managed_policies (account_id, name_key)
);
CREATE INDEX role_managed_policies_policy ON role_managed_policies (account_id, policy_key);
`,
	},
	{
		version: 3,
		description:
			"IAM groups: members, inline policies, attached managed policies",
		sql: `
CREATE TABLE groups (
	account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	name_key TEXT COLLATE "C" NOT NULL,
	group_name TEXT COLLATE "C" NOT NULL CHECK (lower(group_name) = name_key),
	group_id TEXT COLLATE "C" NOT NULL UNIQUE,
	path TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, name_key)
);

CREATE TABLE group_members (
	account_id TEXT COLLATE "C" NOT NULL,
	group_key TEXT COLLATE "C" NOT NULL,
	user_key TEXT COLLATE "C" NOT NULL,
	added_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, group_key, user_key),
	FOREIGN KEY (account_id, group_key) REFERENCES groups (account_id, name_key) ON DELETE CASCADE,
	FOREIGN KEY (account_id, user_key) REFERENCES users (account_id, name_key) ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members (account_id, user_key);

CREATE TABLE group_policies (
	account_id TEXT COLLATE "C" NOT NULL,
	group_key TEXT COLLATE "C" NOT NULL,
	group_name TEXT COLLATE "C" NOT NULL,
	policy_name TEXT COLLATE "C" NOT NULL,
	document TEXT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, group_key, policy_name),
	FOREIGN KEY (account_id, group_key) REFERENCES groups (account_id, name_key) ON DELETE CASCADE
);

CREATE TABLE group_managed_policies (
	account_id TEXT COLLATE "C" NOT NULL,
	principal_key TEXT COLLATE "C" NOT NULL,
	principal_name TEXT COLLATE "C" NOT NULL,
	policy_key TEXT COLLATE "C" NOT NULL,
	attached_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, principal_key, policy_key),
	FOREIGN KEY (account_id, principal_key) REFERENCES groups (account_id, name_key) ON DELETE CASCADE,
	FOREIGN KEY (account_id, policy_key) REFERENCES managed_policies (account_id, name_key)
);
CREATE INDEX group_managed_policies_policy ON group_managed_policies (account_id, policy_key);
`,
	},
	{
		version: 4,
		description: "IAM permissions boundaries of users and roles",
		sql: `
-- At most one boundary per principal (the primary key); the principal's delete drops it, and a
-- policy in use as a boundary cannot be deleted.
CREATE TABLE user_permissions_boundaries (
	account_id TEXT COLLATE "C" NOT NULL,
	principal_key TEXT COLLATE "C" NOT NULL,
	principal_name TEXT COLLATE "C" NOT NULL,
	policy_key TEXT COLLATE "C" NOT NULL,
	set_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, principal_key),
	FOREIGN KEY (account_id, principal_key) REFERENCES users (account_id, name_key) ON DELETE CASCADE,
	FOREIGN KEY (account_id, policy_key) REFERENCES managed_policies (account_id, name_key)
);
CREATE INDEX user_permissions_boundaries_policy ON user_permissions_boundaries (account_id, policy_key);

CREATE TABLE role_permissions_boundaries (
	account_id TEXT COLLATE "C" NOT NULL,
	principal_key TEXT COLLATE "C" NOT NULL,
	principal_name TEXT COLLATE "C" NOT NULL,
	policy_key TEXT COLLATE "C" NOT NULL,
	set_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, principal_key),
	FOREIGN KEY (account_id, principal_key) REFERENCES roles (account_id, name_key) ON DELETE CASCADE,
	FOREIGN KEY (account_id, policy_key) REFERENCES managed_policies (account_id, name_key)
);
CREATE INDEX role_permissions_boundaries_policy ON role_permissions_boundaries (account_id, policy_key);
`,
	},
	{
		version: 5,
		description: "IAM tags of users and roles",
		sql: `
-- Keys are unique per principal regardless of ASCII case, as in the SQLite adapter (NOCASE):
-- key_fold is computed by the store, so the rule does not depend on the database's locale.
CREATE TABLE user_tags (
	account_id TEXT COLLATE "C" NOT NULL,
	principal_key TEXT COLLATE "C" NOT NULL,
	key_fold TEXT COLLATE "C" NOT NULL,
	tag_key TEXT COLLATE "C" NOT NULL,
	tag_value TEXT NOT NULL,
	PRIMARY KEY (account_id, principal_key, key_fold),
	FOREIGN KEY (account_id, principal_key) REFERENCES users (account_id, name_key) ON DELETE CASCADE
);

CREATE TABLE role_tags (
	account_id TEXT COLLATE "C" NOT NULL,
	principal_key TEXT COLLATE "C" NOT NULL,
	key_fold TEXT COLLATE "C" NOT NULL,
	tag_key TEXT COLLATE "C" NOT NULL,
	tag_value TEXT NOT NULL,
	PRIMARY KEY (account_id, principal_key, key_fold),
	FOREIGN KEY (account_id, principal_key) REFERENCES roles (account_id, name_key) ON DELETE CASCADE
);
`,
	},
	{
		version: 6,
		description:
			"published versions and aliases of functions, each with a resource policy of its own",
		sql: `
-- Version numbers are never given out twice: the counter outlives deleted versions.
ALTER TABLE functions ADD COLUMN last_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE function_versions (
	function_id BIGINT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
	version INTEGER NOT NULL,
	config TEXT NOT NULL,
	code_sha256 TEXT COLLATE "C" NOT NULL,
	code_size INTEGER NOT NULL,
	description TEXT NOT NULL,
	from_revision INTEGER NOT NULL,
	policy TEXT,
	policy_revision INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (function_id, version)
);
CREATE INDEX function_versions_code ON function_versions (code_sha256);

CREATE TABLE function_aliases (
	function_id BIGINT NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
	alias TEXT COLLATE "C" NOT NULL,
	function_version TEXT COLLATE "C" NOT NULL,
	description TEXT NOT NULL,
	routing_version TEXT COLLATE "C",
	routing_weight DOUBLE PRECISION,
	revision INTEGER NOT NULL,
	policy TEXT,
	policy_revision INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (function_id, alias)
);
`,
	},
	{
		version: 7,
		description: "an alias's own function URL",
		sql: "ALTER TABLE function_aliases ADD COLUMN url_config TEXT;",
	},
];

/** The newest schema this code knows. */
export const LATEST_VERSION = MIGRATIONS.reduce(
	(max, m) => Math.max(max, m.version),
	0,
);

/** The advisory lock of one schema's migrations: two 32-bit keys, Sigil's and the schema's. */
const LOCK_SQL =
	"SELECT pg_advisory_xact_lock(1397311308, hashtext(current_database() || '.' || $1))";

/**
 * A step may rewrite a large table, and a gateway starting beside one that migrates waits for
 * its lock: both may take longer than the pool's statement timeout, but not forever.
 */
const MIGRATION_TIMEOUTS =
	"SET LOCAL statement_timeout = '15min'; SET LOCAL lock_timeout = '15min'";

async function hasMetaTable(q: Queryable, schema: string): Promise<boolean> {
	const { rows } = await q.query(
		"SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'sigil_meta'",
		[schema],
	);
	return rows.length > 0;
}

async function readVersion(q: Queryable): Promise<number> {
	const { rows } = await q.query<{ value: string }>(
		"SELECT value FROM sigil_meta WHERE key = 'schema_version'",
	);
	return rows[0] ? Number(rows[0].value) : 0;
}

/**
 * Creates the schema and its meta rows on first use; on every open proves the schema is Sigil's,
 * of a version this code knows and sealed under the same master key — otherwise stops with a clear
 * error — then applies the missing steps. Nothing is ever re-initialised silently.
 */
export async function prepare(
	db: PgDb,
	box: SecretBox,
	where: string,
): Promise<StoreMeta> {
	const schema = db.schema;
	const place = `schema ${schema} of ${where}`;
	const rows = await db.tx(async (q) => {
		await q.query(MIGRATION_TIMEOUTS);
		await q.query(LOCK_SQL, [schema]);
		await q.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
		if (!(await hasMetaTable(q, schema))) {
			const { rows: tables } = await q.query(
				"SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1",
				[schema],
			);
			if ((tables[0]?.n as number) > 0)
				throw new StoreError(
					"STORE_FOREIGN",
					`${place} holds tables of another program: point Sigil at a schema of its own (the schema option)`,
				);
			await q.query(
				`CREATE TABLE ${schema}.sigil_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
			);
			const insert = `INSERT INTO ${schema}.sigil_meta (key, value) VALUES ($1, $2)`;
			await q.query(insert, ["installation_id", randomUUID()]);
			await q.query(insert, [
				"master_key_check",
				box.checkValue().toString("hex"),
			]);
			await q.query(insert, ["created_at", String(db.now())]);
		}
		const { rows: meta } = await q.query<{ key: string; value: string }>(
			`SELECT key, value FROM ${schema}.sigil_meta`,
		);
		return new Map(meta.map((r) => [r.key, r.value]));
	});
	const version = Number(rows.get("schema_version") ?? 0);
	if (version > LATEST_VERSION)
		throw new StoreError(
			"STORE_SCHEMA_TOO_NEW",
			`${place} has schema version ${version}, but this Sigil knows up to ${LATEST_VERSION}: upgrade Sigil (every gateway sharing this database must run a version that knows schema ${version})`,
		);
	const check = rows.get("master_key_check");
	const installationId = rows.get("installation_id");
	const createdAt = Number(rows.get("created_at"));
	if (
		check === undefined ||
		installationId === undefined ||
		!Number.isFinite(createdAt)
	)
		throw new StoreError(
			"STORE_CORRUPT",
			`${place} lacks Sigil's meta rows: restore it from a backup`,
		);
	if (!box.matchesCheckValue(Buffer.from(check, "hex")))
		throw new StoreError(
			"STORE_MASTER_KEY_MISMATCH",
			`${place} was created with a different master key: every gateway sharing it must use the original key (SIGIL_MASTER_KEY or master.key)`,
		);
	const schemaVersion = await migrate(db);
	return { schemaVersion, installationId, createdAt };
}

/** Applies every step newer than the schema's version, each in its own locked transaction. */
export async function migrate(db: PgDb): Promise<number> {
	let version = 0;
	for (const step of MIGRATIONS) {
		version = await db.tx(async (q) => {
			await q.query(MIGRATION_TIMEOUTS);
			await q.query(LOCK_SQL, [db.schema]);
			// Re-read under the lock: another gateway may have applied this step meanwhile.
			const current = await readVersion(q);
			if (current > LATEST_VERSION)
				throw new StoreError(
					"STORE_SCHEMA_TOO_NEW",
					`schema ${db.schema} was upgraded to version ${current} by a newer Sigil while this one started: upgrade Sigil`,
				);
			if (current >= step.version) return current;
			await q.query(step.sql);
			await q.query(
				"INSERT INTO sigil_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
				[String(step.version)],
			);
			return step.version;
		});
	}
	return version;
}

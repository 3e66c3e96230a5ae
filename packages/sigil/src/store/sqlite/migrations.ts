/**
 * The schema, as numbered steps. Each step runs in its own transaction together with the bump of
 * `schema_version`, so a crash leaves the database at one version or the next, never between.
 * Never edit a released step: add the next one.
 */
import { StoreError } from "../errors.ts";
import type { Db } from "./db.ts";

export interface Migration {
	readonly version: number;
	readonly description: string;
	readonly sql: string;
	/**
	 * Runs inside the step's transaction before `sql`; throws (a `StoreError` saying what to do)
	 * when the data cannot take the step, so the database stays at the previous version untouched.
	 */
	readonly precondition?: (db: Db) => void;
}

/** `PRAGMA application_id` of every Sigil database: "SIGL" in ASCII. Tells our files from others. */
export const APPLICATION_ID = 0x5349474c;

export const MIGRATIONS: readonly Migration[] = [
	{
		version: 1,
		description: "accounts, principals, keys, functions, secrets, audit, jobs",
		sql: `
CREATE TABLE accounts (
	account_id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	is_root INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX accounts_one_root ON accounts (is_root) WHERE is_root = 1;

-- IAM names are unique regardless of case, hence NOCASE.
CREATE TABLE users (
	account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	user_name TEXT NOT NULL COLLATE NOCASE,
	user_id TEXT NOT NULL UNIQUE,
	path TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, user_name)
) STRICT;

CREATE TABLE roles (
	account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	role_name TEXT NOT NULL COLLATE NOCASE,
	role_id TEXT NOT NULL UNIQUE,
	path TEXT NOT NULL,
	trust_policy TEXT NOT NULL,
	max_session_duration INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, role_name)
) STRICT;

CREATE TABLE user_policies (
	account_id TEXT NOT NULL,
	principal_name TEXT NOT NULL COLLATE NOCASE,
	policy_name TEXT NOT NULL,
	document TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, principal_name, policy_name),
	FOREIGN KEY (account_id, principal_name) REFERENCES users (account_id, user_name) ON DELETE CASCADE
) STRICT;

CREATE TABLE role_policies (
	account_id TEXT NOT NULL,
	principal_name TEXT NOT NULL COLLATE NOCASE,
	policy_name TEXT NOT NULL,
	document TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, principal_name, policy_name),
	FOREIGN KEY (account_id, principal_name) REFERENCES roles (account_id, role_name) ON DELETE CASCADE
) STRICT;

-- user_name NULL: the account's root identity (a NULL column skips the foreign key check).
CREATE TABLE access_keys (
	access_key_id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	user_name TEXT COLLATE NOCASE,
	secret BLOB NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
	created_at INTEGER NOT NULL,
	last_used_at INTEGER,
	last_used_scheme TEXT,
	last_used_service TEXT,
	FOREIGN KEY (account_id, user_name) REFERENCES users (account_id, user_name) ON DELETE CASCADE
) STRICT;
CREATE INDEX access_keys_owner ON access_keys (account_id, user_name);

CREATE TABLE functions (
	id INTEGER PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	config TEXT NOT NULL,
	revision INTEGER NOT NULL,
	code_sha256 TEXT NOT NULL,
	code_size INTEGER NOT NULL,
	policy TEXT,
	policy_revision INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (account_id, name)
) STRICT;

CREATE TABLE function_revisions (
	function_id INTEGER NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
	revision INTEGER NOT NULL,
	code_sha256 TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (function_id, revision)
) STRICT;
CREATE INDEX function_revisions_code ON function_revisions (code_sha256);

-- Content-addressed per account: a config-only deploy, or a redeploy of the same bundle, stores nothing new.
CREATE TABLE code_blobs (
	id INTEGER PRIMARY KEY,
	account_id TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	size INTEGER NOT NULL,
	data BLOB NOT NULL,
	UNIQUE (account_id, sha256)
) STRICT;

CREATE TABLE secrets (
	account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	value BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, name)
) STRICT;

-- AUTOINCREMENT: ids are never reused after pruning, so a follow cursor only moves forward.
CREATE TABLE audit (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	request_id TEXT NOT NULL,
	time INTEGER NOT NULL,
	account_id TEXT NOT NULL,
	function_name TEXT,
	principal_arn TEXT,
	access_key_id TEXT,
	scheme TEXT NOT NULL,
	outcome TEXT NOT NULL,
	http_status INTEGER NOT NULL,
	duration_ms REAL NOT NULL,
	detail TEXT NOT NULL,
	logs TEXT NOT NULL
) STRICT;
CREATE INDEX audit_account ON audit (account_id, id);
CREATE INDEX audit_function ON audit (account_id, function_name, id);

CREATE TABLE jobs (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	function_name TEXT NOT NULL,
	payload BLOB NOT NULL,
	headers TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead')),
	attempts INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	lease_until INTEGER,
	lease_token TEXT,
	last_error TEXT,
	callback_url TEXT,
	result BLOB,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX jobs_due ON jobs (next_attempt_at, seq) WHERE status = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE status = 'running';
CREATE INDEX jobs_owner ON jobs (account_id, function_name, seq);
`,
	},
	{
		version: 2,
		description:
			"function names unique across accounts; accepted webhook ids kept with their window",
		precondition: refuseDuplicateFunctionNames,
		sql: `
-- One URL namespace per gateway: /function/NAME must name one function. The constraint, not a
-- check before the insert, is what makes two concurrent deploys of one name end with one winner.
CREATE UNIQUE INDEX functions_name ON functions (name);

-- Replay memory of one-shot requests (webhook ids). WITHOUT ROWID: the key is the row.
CREATE TABLE replay_ids (
	scope TEXT NOT NULL,
	id TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (scope, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX replay_ids_expiry ON replay_ids (expires_at);
`,
	},
	{
		version: 3,
		description:
			"async job contents sealed under the master key; callback outcome per job",
		sql: `
-- 1: payload, headers, callback_url and result are sealed (jobs.ts). Rows of earlier schemas
-- read 0 and are sealed by the store when it opens (the key is not SQL's to use).
ALTER TABLE jobs ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0 CHECK (sealed IN (0, 1));
-- The last callback delivery, JSON (outcome, redacted target, status, attempts, error).
ALTER TABLE jobs ADD COLUMN callback TEXT;
CREATE INDEX jobs_plaintext ON jobs (seq) WHERE sealed = 0;
`,
	},
	{
		version: 4,
		description:
			"IAM customer managed policies: versions, attachments to users and roles",
		sql: `
CREATE TABLE managed_policies (
	account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	policy_name TEXT NOT NULL COLLATE NOCASE,
	policy_id TEXT NOT NULL UNIQUE,
	path TEXT NOT NULL,
	description TEXT,
	-- The version in force (vN), and the next number to hand out (never reused).
	default_version INTEGER NOT NULL,
	next_version INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, policy_name)
) STRICT;

CREATE TABLE managed_policy_versions (
	account_id TEXT NOT NULL,
	policy_name TEXT NOT NULL COLLATE NOCASE,
	version INTEGER NOT NULL,
	document TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, policy_name, version),
	FOREIGN KEY (account_id, policy_name) REFERENCES managed_policies (account_id, policy_name) ON DELETE CASCADE
) STRICT;

-- Deleting the principal drops its attachments; a policy cannot be deleted while attached.
CREATE TABLE user_managed_policies (
	account_id TEXT NOT NULL,
	principal_name TEXT NOT NULL COLLATE NOCASE,
	policy_name TEXT NOT NULL COLLATE NOCASE,
	attached_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, principal_name, policy_name),
	FOREIGN KEY (account_id, principal_name) REFERENCES users (account_id, user_name) ON DELETE CASCADE,
	FOREIGN KEY (account_id, policy_name) REFERENCES managed_policies (account_id, policy_name)
) STRICT;
CREATE INDEX user_managed_policies_policy ON user_managed_policies (account_id, policy_name);

CREATE TABLE role_managed_policies (
	account_id TEXT NOT NULL,
	principal_name TEXT NOT NULL COLLATE NOCASE,
	policy_name TEXT NOT NULL COLLATE NOCASE,
	attached_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, principal_name, policy_name),
	FOREIGN KEY (account_id, principal_name) REFERENCES roles (account_id, role_name) ON DELETE CASCADE,
	FOREIGN KEY (account_id, policy_name) REFERENCES managed_policies (account_id, policy_name)
) STRICT;
CREATE INDEX role_managed_policies_policy ON role_managed_policies (account_id, policy_name);
`,
	},
	{
		version: 5,
		description:
			"IAM groups: members, inline policies, attached managed policies",
		sql: `
CREATE TABLE groups (
	account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
	group_name TEXT NOT NULL COLLATE NOCASE,
	group_id TEXT NOT NULL UNIQUE,
	path TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, group_name)
) STRICT;

CREATE TABLE group_members (
	account_id TEXT NOT NULL,
	group_name TEXT NOT NULL COLLATE NOCASE,
	user_name TEXT NOT NULL COLLATE NOCASE,
	added_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, group_name, user_name),
	FOREIGN KEY (account_id, group_name) REFERENCES groups (account_id, group_name) ON DELETE CASCADE,
	FOREIGN KEY (account_id, user_name) REFERENCES users (account_id, user_name) ON DELETE CASCADE
) STRICT;
CREATE INDEX group_members_user ON group_members (account_id, user_name);

CREATE TABLE group_policies (
	account_id TEXT NOT NULL,
	group_name TEXT NOT NULL COLLATE NOCASE,
	policy_name TEXT NOT NULL,
	document TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, group_name, policy_name),
	FOREIGN KEY (account_id, group_name) REFERENCES groups (account_id, group_name) ON DELETE CASCADE
) STRICT;

CREATE TABLE group_managed_policies (
	account_id TEXT NOT NULL,
	principal_name TEXT NOT NULL COLLATE NOCASE,
	policy_name TEXT NOT NULL COLLATE NOCASE,
	attached_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, principal_name, policy_name),
	FOREIGN KEY (account_id, principal_name) REFERENCES groups (account_id, group_name) ON DELETE CASCADE,
	FOREIGN KEY (account_id, policy_name) REFERENCES managed_policies (account_id, policy_name)
) STRICT;
CREATE INDEX group_managed_policies_policy ON group_managed_policies (account_id, policy_name);
`,
	},
	{
		version: 6,
		description: "IAM permissions boundaries of users and roles",
		sql: `
-- At most one boundary per principal (the primary key); the principal's delete drops it, and
-- a policy in use as a boundary cannot be deleted.
CREATE TABLE user_permissions_boundaries (
	account_id TEXT NOT NULL,
	principal_name TEXT NOT NULL COLLATE NOCASE,
	policy_name TEXT NOT NULL COLLATE NOCASE,
	set_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, principal_name),
	FOREIGN KEY (account_id, principal_name) REFERENCES users (account_id, user_name) ON DELETE CASCADE,
	FOREIGN KEY (account_id, policy_name) REFERENCES managed_policies (account_id, policy_name)
) STRICT;
CREATE INDEX user_permissions_boundaries_policy ON user_permissions_boundaries (account_id, policy_name);

CREATE TABLE role_permissions_boundaries (
	account_id TEXT NOT NULL,
	principal_name TEXT NOT NULL COLLATE NOCASE,
	policy_name TEXT NOT NULL COLLATE NOCASE,
	set_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, principal_name),
	FOREIGN KEY (account_id, principal_name) REFERENCES roles (account_id, role_name) ON DELETE CASCADE,
	FOREIGN KEY (account_id, policy_name) REFERENCES managed_policies (account_id, policy_name)
) STRICT;
CREATE INDEX role_permissions_boundaries_policy ON role_permissions_boundaries (account_id, policy_name);
`,
	},
	{
		version: 7,
		description: "IAM tags of users and roles",
		sql: `
-- Keys are unique per principal regardless of case, as IAM's are.
CREATE TABLE user_tags (
	account_id TEXT NOT NULL,
	principal_name TEXT NOT NULL COLLATE NOCASE,
	tag_key TEXT NOT NULL COLLATE NOCASE,
	tag_value TEXT NOT NULL,
	PRIMARY KEY (account_id, principal_name, tag_key),
	FOREIGN KEY (account_id, principal_name) REFERENCES users (account_id, user_name) ON DELETE CASCADE
) STRICT;

CREATE TABLE role_tags (
	account_id TEXT NOT NULL,
	principal_name TEXT NOT NULL COLLATE NOCASE,
	tag_key TEXT NOT NULL COLLATE NOCASE,
	tag_value TEXT NOT NULL,
	PRIMARY KEY (account_id, principal_name, tag_key),
	FOREIGN KEY (account_id, principal_name) REFERENCES roles (account_id, role_name) ON DELETE CASCADE
) STRICT;
`,
	},
	{
		version: 8,
		description:
			"published versions and aliases of functions, each with a resource policy of its own",
		sql: `
-- Version numbers are never given out twice: the counter outlives deleted versions.
ALTER TABLE functions ADD COLUMN last_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE function_versions (
	function_id INTEGER NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
	version INTEGER NOT NULL,
	config TEXT NOT NULL,
	code_sha256 TEXT NOT NULL,
	code_size INTEGER NOT NULL,
	description TEXT NOT NULL,
	from_revision INTEGER NOT NULL,
	policy TEXT,
	policy_revision INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (function_id, version)
) STRICT;
CREATE INDEX function_versions_code ON function_versions (code_sha256);

CREATE TABLE function_aliases (
	function_id INTEGER NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
	alias TEXT NOT NULL,
	function_version TEXT NOT NULL,
	description TEXT NOT NULL,
	routing_version TEXT,
	routing_weight REAL,
	revision INTEGER NOT NULL,
	policy TEXT,
	policy_revision INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (function_id, alias)
) STRICT;
`,
	},
	{
		version: 9,
		description: "an alias's own function URL",
		sql: "ALTER TABLE function_aliases ADD COLUMN url_config TEXT;",
	},
];

/** The newest schema this code knows. */
export const LATEST_VERSION = MIGRATIONS.reduce(
	(max, m) => Math.max(max, m.version),
	0,
);

/** The schema version recorded in the database (0 before the first step). */
export function schemaVersion(db: Db): number {
	const table = db.one<{ n: number }>(
		"SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'sigil_meta'",
	);
	if (!table?.n) return 0;
	const row = db.one<{ value: string }>(
		"SELECT value FROM sigil_meta WHERE key = 'schema_version'",
	);
	return row ? Number(row.value) : 0;
}

/** Applies every step newer than the database's version, each in its own transaction. */
export function migrate(db: Db): void {
	for (const step of MIGRATIONS) {
		db.tx(() => {
			// Re-read inside the write lock: another process may have applied this step meanwhile.
			if (schemaVersion(db) >= step.version) return;
			step.precondition?.(db);
			db.raw.exec(step.sql);
			db.run(
				"INSERT INTO sigil_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
				String(step.version),
			);
		});
	}
}

/**
 * Version 1 kept names unique per account only, so two accounts may hold one name (each deploy
 * won a race). Picking a winner would silently take a function from its owner: stop and say
 * which names to resolve instead.
 */
function refuseDuplicateFunctionNames(db: Db): void {
	const dups = db.all<{ name: string; accounts: string }>(
		"SELECT name, group_concat(account_id, ', ') AS accounts FROM functions GROUP BY name HAVING count(*) > 1 ORDER BY name LIMIT 20",
	);
	if (dups.length === 0) return;
	const list = dups.map((d) => `'${d.name}' (accounts ${d.accounts})`);
	throw new StoreError(
		"STORE_CONFLICT",
		`cannot upgrade the database to schema 2: function names must now be unique across accounts, but ${dups.length === 20 ? "at least 20 names are" : dups.length === 1 ? "this name is" : "these names are"} deployed in more than one account: ${list.join("; ")}. Delete all but one of each with the Sigil version that wrote this database ('sigil remove NAME' with a key of each other account), then start again; no row was changed`,
	);
}

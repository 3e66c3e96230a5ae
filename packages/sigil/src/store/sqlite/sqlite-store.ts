/** The SQLite adapter's composition: one connection, one write-behind writer, the groups of the `Store`. */
import { DEFAULT_AUDIT_MAX_BYTES, DEFAULT_AUDIT_RETENTION } from "../limits.ts";
import type { SecretBox } from "../secret-box.ts";
import type { Store, StoreMeta } from "../store.ts";
import { SqliteAccessKeys } from "./access-keys.ts";
import { SqliteAccounts } from "./accounts.ts";
import { SqliteAudit } from "./audit.ts";
import { Checkpointer } from "./checkpointer.ts";
import type { Db } from "./db.ts";
import { SqliteFunctions } from "./functions.ts";
import { SqliteGroups } from "./groups.ts";
import { SqliteInlinePolicies } from "./inline-policies.ts";
import { SqliteJobs } from "./jobs.ts";
import { SqliteManagedPolicies } from "./managed-policies.ts";
import { type ReplayLogOptions, SqliteReplayLog } from "./replay.ts";
import { SqliteRoles } from "./roles.ts";
import { SqliteSecrets } from "./secrets.ts";
import { SqliteTags } from "./tags.ts";
import { SqliteUsers } from "./users.ts";
import { SqliteVersions } from "./versions.ts";
import { WriteBehind } from "./write-behind.ts";

export interface SqliteStoreOptions {
	/** Audit records kept per account (default 10,000). */
	auditRetention?: number;
	/** Audit records older than this are pruned (default: no age bound; the gateway sets 30 days). */
	auditMaxAgeMs?: number;
	/** Bytes of audit records (logs and detail) kept per account (default 64 MiB). */
	auditMaxBytes?: number;
	/** How long buffered audit records and key uses wait before being written (default 20 ms). */
	flushIntervalMs?: number;
	/** The clock for `createdAt`/`updatedAt` (default `Date.now`). Jobs take `now` as an argument. */
	now?: () => number;
	/** Receives failures of background writes (default: a process warning). */
	onBackgroundError?: (err: unknown) => void;
	/** Bounds of the replay log (accepted webhook ids). */
	replay?: ReplayLogOptions;
}

export class SqliteStore implements Store {
	readonly meta: StoreMeta;
	readonly accounts: SqliteAccounts;
	readonly users: SqliteUsers;
	readonly roles: SqliteRoles;
	readonly policies: SqliteInlinePolicies;
	readonly managedPolicies: SqliteManagedPolicies;
	readonly groups: SqliteGroups;
	readonly tags: SqliteTags;
	readonly accessKeys: SqliteAccessKeys;
	readonly functions: SqliteFunctions;
	readonly versions: SqliteVersions;
	readonly secrets: SqliteSecrets;
	readonly audit: SqliteAudit;
	readonly jobs: SqliteJobs;
	readonly replay: SqliteReplayLog;
	readonly #db: Db;
	readonly #writer: WriteBehind;
	readonly #checkpointer: Checkpointer;

	constructor(
		db: Db,
		box: SecretBox,
		meta: StoreMeta,
		options: SqliteStoreOptions,
		path: string,
	) {
		this.#db = db;
		this.meta = meta;
		const onError =
			options.onBackgroundError ??
			((err: unknown) =>
				process.emitWarning(err as Error, "SigilStoreWarning"));
		this.#writer = new WriteBehind(
			() => this.#writePending(),
			options.flushIntervalMs ?? 20,
			onError,
		);
		// Checkpoints move to a worker thread (checkpointer.ts); if it fails, SQLite's own return.
		db.raw.exec("PRAGMA wal_autocheckpoint = 0");
		this.#checkpointer = new Checkpointer(path, 1_000, (err) => {
			if (!db.closed) db.raw.exec("PRAGMA wal_autocheckpoint = 1000");
			onError(err);
		});
		const poke = () => this.#writer.poke();
		this.accounts = new SqliteAccounts(db);
		this.users = new SqliteUsers(db);
		this.roles = new SqliteRoles(db);
		this.policies = new SqliteInlinePolicies(db);
		this.managedPolicies = new SqliteManagedPolicies(db);
		this.groups = new SqliteGroups(db);
		this.tags = new SqliteTags(db);
		this.accessKeys = new SqliteAccessKeys(db, box, poke);
		this.functions = new SqliteFunctions(db);
		this.versions = new SqliteVersions(db, this.functions);
		this.secrets = new SqliteSecrets(db, box);
		this.audit = new SqliteAudit(
			db,
			options.auditRetention ?? DEFAULT_AUDIT_RETENTION,
			() => this.#writer.flush(),
			poke,
			{
				...(options.auditMaxAgeMs !== undefined && {
					maxAgeMs: options.auditMaxAgeMs,
				}),
				maxBytes: options.auditMaxBytes ?? DEFAULT_AUDIT_MAX_BYTES,
				now: options.now ?? Date.now,
			},
		);
		this.jobs = new SqliteJobs(db, box);
		this.replay = new SqliteReplayLog(db, options.replay);
	}

	/**
	 * One transaction for everything buffered, then the retention prune it made due. These are
	 * observations (audit records, last-use times), so this batch alone commits with
	 * `synchronous = NORMAL`: in WAL mode that still survives a killed process (only an OS crash
	 * can lose the last batch), and it spares the event loop an fsync every flush. Every other
	 * write (jobs, keys, functions, secrets) keeps `FULL`.
	 */
	#writePending(): void {
		this.#db.raw.exec("PRAGMA synchronous = NORMAL");
		try {
			this.#db.tx(() => {
				this.audit.writeBuffered();
				this.accessKeys.writePendingUses();
			});
			this.audit.pruneDue();
		} finally {
			this.#db.raw.exec("PRAGMA synchronous = FULL");
		}
	}

	async close(): Promise<void> {
		if (this.#db.closed) return;
		try {
			this.#writer.close();
			await this.#checkpointer.stop();
		} finally {
			this.#db.close();
		}
	}
}

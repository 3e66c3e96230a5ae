/** The PostgreSQL adapter's composition: one bounded pool, one write-behind writer, the groups of the `Store`. */
import { StoreError } from "../errors.ts";
import { DEFAULT_AUDIT_MAX_BYTES, DEFAULT_AUDIT_RETENTION } from "../limits.ts";
import type { SecretBox } from "../secret-box.ts";
import type { ReplayLogOptions } from "../sqlite/replay.ts";
import type { Store, StoreMeta } from "../store.ts";
import { PgAccessKeys } from "./access-keys.ts";
import { PgAccounts } from "./accounts.ts";
import { PgAudit } from "./audit.ts";
import type { PgDb } from "./db.ts";
import { PgFunctions } from "./functions.ts";
import { PgGroups } from "./groups.ts";
import { PgInlinePolicies } from "./inline-policies.ts";
import { PgJobs } from "./jobs.ts";
import { PgManagedPolicies } from "./managed-policies.ts";
import { PgReplayLog } from "./replay.ts";
import { PgRoles } from "./roles.ts";
import { PgSecrets } from "./secrets.ts";
import { PgTags } from "./tags.ts";
import { PgUsers } from "./users.ts";
import { PgVersions } from "./versions.ts";
import { AsyncWriteBehind } from "./write-behind.ts";

export interface PostgresStoreOptions {
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
	/** Receives failures of background writes and of idle connections (default: a process warning). */
	onBackgroundError?: (err: unknown) => void;
	/** Bounds of the replay log (accepted webhook ids). */
	replay?: ReplayLogOptions;
}

export class PostgresStore implements Store {
	readonly meta: StoreMeta;
	readonly accounts: PgAccounts;
	readonly users: PgUsers;
	readonly roles: PgRoles;
	readonly groups: PgGroups;
	readonly policies: PgInlinePolicies;
	readonly managedPolicies: PgManagedPolicies;
	readonly accessKeys: PgAccessKeys;
	readonly functions: PgFunctions;
	readonly versions: PgVersions;
	readonly secrets: PgSecrets;
	readonly tags: PgTags;
	readonly audit: PgAudit;
	readonly jobs: PgJobs;
	readonly replay: PgReplayLog;
	readonly #db: PgDb;
	readonly #writer: AsyncWriteBehind;

	constructor(
		db: PgDb,
		box: SecretBox,
		meta: StoreMeta,
		options: PostgresStoreOptions,
		onError: (err: unknown) => void,
	) {
		this.#db = db;
		this.meta = meta;
		this.#writer = new AsyncWriteBehind(
			() => this.#writePending(),
			options.flushIntervalMs ?? 20,
			onError,
		);
		const poke = () => this.#writer.poke();
		this.accounts = new PgAccounts(db);
		this.users = new PgUsers(db);
		this.roles = new PgRoles(db);
		this.groups = new PgGroups(db);
		this.policies = new PgInlinePolicies(db);
		this.managedPolicies = new PgManagedPolicies(db);
		this.accessKeys = new PgAccessKeys(db, box, poke);
		this.functions = new PgFunctions(db);
		this.versions = new PgVersions(db);
		this.secrets = new PgSecrets(db, box);
		this.tags = new PgTags(db);
		this.audit = new PgAudit(
			db,
			options.auditRetention ?? DEFAULT_AUDIT_RETENTION,
			() => this.#writer.flush(),
			poke,
			() => {
				this.#writer.flush().catch(onError);
			},
			(count) =>
				onError(
					new StoreError(
						"STORE_BUSY",
						`${count} audit record(s) could not be written to PostgreSQL and were dropped`,
					),
				),
			{
				...(options.auditMaxAgeMs !== undefined && {
					maxAgeMs: options.auditMaxAgeMs,
				}),
				maxBytes: options.auditMaxBytes ?? DEFAULT_AUDIT_MAX_BYTES,
				now: options.now ?? Date.now,
			},
		);
		this.jobs = new PgJobs(db, box);
		this.replay = new PgReplayLog(db, options.replay);
	}

	/**
	 * One transaction for everything buffered, then the retention prunes it made due. Observations
	 * only (audit records, last-use times), so the batch commits with `synchronous_commit = off`:
	 * a server crash can lose the last few hundred milliseconds of them, never anything else, and
	 * the gateway does not wait for a WAL flush per batch. Every other write keeps the default.
	 */
	async #writePending(): Promise<void> {
		if (this.#db.closed) return;
		if (!this.audit.hasBuffered() && !this.accessKeys.hasPendingUses()) return;
		await this.#db.tx(async (q) => {
			await q.query("SET LOCAL synchronous_commit = off");
			await this.audit.writeBuffered(q);
			await this.accessKeys.writePendingUses(q);
		});
		await this.audit.pruneDue();
	}

	async close(): Promise<void> {
		if (this.#db.closed) return;
		try {
			await this.#writer.close();
		} finally {
			await this.#db.close();
		}
	}
}

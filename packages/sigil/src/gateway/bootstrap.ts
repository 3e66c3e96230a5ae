/**
 * The composition's first steps: the engines a gateway runs on (`openPorts`), then, on the first
 * start, the root account and its admin access key. Automation sets the key through
 * SIGIL_ROOT_ACCESS_KEY_ID / SIGIL_ROOT_SECRET_ACCESS_KEY; otherwise one is generated and
 * handed back once, for the CLI to print and store in the credentials file.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { StoreJobQueue } from "../adapters/store/store-job-queue.ts";
import type { EngineConfig } from "../config/gateway-config.ts";
import { SigilError } from "../errors.ts";
import type { ChangeFeed } from "../ports/change-feed.ts";
import type { JobQueue } from "../ports/job-queue.ts";
import { MemoryChangeFeed } from "../ports/memory-change-feed.ts";
import { MemorySharedCache } from "../ports/memory-shared-cache.ts";
import type { SharedCache } from "../ports/shared-cache.ts";
import { DEFAULT_AUDIT_MAX_AGE_MS } from "../store/limits.ts";
import { openSqliteStore } from "../store/sqlite/open.ts";
import type { Store } from "../store/store.ts";
import type { LogEntry } from "./context.ts";

export interface RootInfo {
	readonly accountId: string;
	readonly createdKey?: {
		readonly accessKeyId: string;
		readonly secretAccessKey: string;
	};
}

export async function ensureRoot(
	store: Store,
	env: Record<string, string | undefined>,
): Promise<RootInfo> {
	const account =
		(await store.accounts.root()) ??
		(await store.accounts.create({ name: "root" }));
	const givenId = env.SIGIL_ROOT_ACCESS_KEY_ID;
	const givenSecret = env.SIGIL_ROOT_SECRET_ACCESS_KEY;
	if ((givenId === undefined) !== (givenSecret === undefined)) {
		throw new SigilError(
			"INVALID_CONFIG",
			"set both SIGIL_ROOT_ACCESS_KEY_ID and SIGIL_ROOT_SECRET_ACCESS_KEY, or neither",
		);
	}
	if (givenId !== undefined && givenSecret !== undefined) {
		const existing = await store.accessKeys.get(givenId);
		if (existing && existing.accountId !== account.accountId)
			throw new SigilError(
				"CONFLICT",
				`SIGIL_ROOT_ACCESS_KEY_ID ${givenId} belongs to another account`,
			);
		if (existing && !sameSecret(existing.secretAccessKey, givenSecret)) {
			throw new SigilError(
				"CONFLICT",
				`root key ${givenId} already exists with a different secret; delete it (sigil key delete) or use the stored secret`,
			);
		}
		if (!existing)
			await store.accessKeys.create({
				accountId: account.accountId,
				userName: null,
				accessKeyId: givenId,
				secretAccessKey: givenSecret,
			});
		return { accountId: account.accountId };
	}
	const keys = await store.accessKeys.list(account.accountId, null);
	if (keys.length > 0) return { accountId: account.accountId };
	const key = await store.accessKeys.create({
		accountId: account.accountId,
		userName: null,
	});
	return {
		accountId: account.accountId,
		createdKey: {
			accessKeyId: key.accessKeyId,
			secretAccessKey: key.secretAccessKey,
		},
	};
}

/** Constant-time equality of two secrets of any length (compares their SHA-256 digests). */
function sameSecret(a: string, b: string): boolean {
	return timingSafeEqual(
		createHash("sha256").update(a).digest(),
		createHash("sha256").update(b).digest(),
	);
}

/** The engines a gateway runs on, built from its frozen configuration (config/gateway-config.ts). */
export interface GatewayPorts {
	readonly store: Store;
	readonly queue: JobQueue;
	readonly cache: SharedCache;
	readonly feed: ChangeFeed;
	/** Closes what was opened, the store last. */
	close(): Promise<void>;
}

export interface OpenPortsOptions {
	readonly engines: EngineConfig;
	readonly dataDir: string;
	readonly masterKey: Buffer;
	readonly log: (entry: LogEntry) => void;
	readonly now: () => number;
	/** The async lease (default: 16 minutes on the store's queue, 30 s on JetStream). */
	readonly leaseMs?: number;
	readonly maxAttempts?: number;
}

/**
 * Opens the store, the job queue, the shared cache and the change feed the configuration names —
 * the embedded defaults (SQLite, its jobs table, memory) being one choice among others. A port
 * that cannot open stops the start with its own error, and what was already open is closed.
 * Engine drivers load only when chosen, so the embedded default never pays for them.
 */
export async function openPorts(o: OpenPortsOptions): Promise<GatewayPorts> {
	const opened: { close(): Promise<void> }[] = [];
	const closeAll = async () => {
		for (const part of opened.reverse()) await part.close().catch(() => {});
	};
	const warn = (what: string) => (err: unknown) =>
		o.log({ at: "engine", part: what, error: (err as Error).message });
	try {
		const s = o.engines.store;
		let store: Store;
		let feed: ChangeFeed;
		if (s.kind === "postgres") {
			const { openPostgresStore, openPostgresChangeFeed } = await import(
				"../store/index.ts"
			);
			store = await openPostgresStore({
				connectionString: s.url,
				schema: s.schema,
				masterKey: o.masterKey,
				auditMaxAgeMs: DEFAULT_AUDIT_MAX_AGE_MS,
				now: o.now,
				onBackgroundError: warn("store"),
			});
			opened.push(store);
			feed = await openPostgresChangeFeed({
				connectionString: s.url,
				schema: s.schema,
				onError: warn("feed"),
			});
		} else {
			store = await openSqliteStore({
				dataDir: o.dataDir,
				masterKey: o.masterKey,
				// Invocation records (with the function's output) are kept 30 days, 64 MiB per account.
				auditMaxAgeMs: DEFAULT_AUDIT_MAX_AGE_MS,
			});
			opened.push(store);
			feed = new MemoryChangeFeed({ onListenerError: warn("feed") });
		}
		opened.push(feed);
		const c = o.engines.cache;
		let cache: SharedCache;
		if (c.kind === "redis") {
			const { RedisSharedCache } = await import(
				"../adapters/redis/redis-shared-cache.ts"
			);
			cache = await RedisSharedCache.connect(c.url, {
				keyPrefix: c.keyPrefix,
				onError: warn("cache"),
			});
		} else cache = new MemorySharedCache({ now: o.now });
		opened.push(cache);
		const q = o.engines.queue;
		let queue: JobQueue;
		if (q.kind === "nats") {
			const { JetStreamJobQueue } = await import(
				"../adapters/nats/jetstream-job-queue.ts"
			);
			queue = await JetStreamJobQueue.connect(q.url, {
				masterKey: o.masterKey,
				stream: q.stream,
				// Each stream its own subjects: two installations on one NATS never share work.
				subjectPrefix:
					q.stream === "SIGIL_JOBS"
						? "sigil.jobs"
						: `sigil.${q.stream.toLowerCase()}`,
				leaseMs: o.leaseMs ?? 30_000,
				...(o.maxAttempts !== undefined && { maxAttempts: o.maxAttempts }),
				now: o.now,
				log: (entry) => o.log({ at: "queue", ...entry }),
			});
		} else
			queue = new StoreJobQueue(store.jobs, {
				leaseMs: o.leaseMs ?? 16 * 60_000,
				...(o.maxAttempts !== undefined && { maxAttempts: o.maxAttempts }),
				now: o.now,
			});
		opened.push(queue);
		// The store last: the queue and the feed may still flush into it while closing.
		const [storePart, ...rest] = opened;
		return {
			store,
			queue,
			cache,
			feed,
			async close() {
				for (const part of rest.reverse())
					await part.close().catch(warn("close"));
				await storePart?.close();
			},
		};
	} catch (err) {
		await closeAll();
		throw err;
	}
}

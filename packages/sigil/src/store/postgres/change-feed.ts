/**
 * The `ChangeFeed` on PostgreSQL `LISTEN/NOTIFY`. Each gateway listens on a dedicated connection
 * (a `pg.Client` of its own, never one from the store's pool: a pooled connection is handed to
 * other queries and its LISTEN would go with it). Publishing is `SELECT pg_notify(channel, json)`
 * from a small pool of its own; PostgreSQL delivers a notification to every listening session,
 * the publisher's included, when the publishing transaction commits.
 *
 * NOTIFY is not durable: what is sent while a listener is disconnected is lost. So the listening
 * connection is watched (TCP keep-alive, and a `SELECT 1` every `pingIntervalMs` bounded by a
 * timeout), re-established with capped exponential backoff and jitter whenever it breaks, and
 * after every reconnect the feed signals reconcile: the consumer reloads everything.
 *
 * The channel is per schema (`sigil_<schema>`), so stores in different schemas of one database
 * (tests, staging beside production) do not hear each other.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import {
	type Change,
	type ChangeFeed,
	type ChangeListener,
	checkChange,
	Listeners,
	type ReconcileListener,
} from "../../ports/change-feed.ts";
import { StoreError } from "../errors.ts";
import { describeTarget, SCHEMA_NAME, translate } from "./db.ts";
import { DEFAULT_SCHEMA } from "./open.ts";

export interface PostgresChangeFeedOptions {
	connectionString: string;
	/** The store's schema (default `sigil`): the channel is `sigil_<schema>`. */
	schema?: string;
	/** First reconnect delay (default 100 ms), doubled per failed attempt up to `maxBackoffMs` (default 5 s). */
	initialBackoffMs?: number;
	maxBackoffMs?: number;
	/** How often the listening connection is checked with `SELECT 1` (default 5 s; 0 = never). */
	pingIntervalMs?: number;
	/** Connecting, and each ping, fail after this (default 5 s). */
	connectTimeoutMs?: number;
	/** The listening session's `application_name` (default `sigil-feed-<random>`), to find it in `pg_stat_activity`. */
	applicationName?: string;
	/** Receives listener failures, malformed notifications and connection losses (default: a process warning). */
	onError?: (err: unknown) => void;
}

/** The channel of a schema's feed: a plain identifier of at most 63 bytes. */
export function channelOf(schema: string): string {
	if (!SCHEMA_NAME.test(schema) || schema.length > 57)
		throw new StoreError(
			"STORE_INVALID",
			`schema ${JSON.stringify(schema)} cannot name a change channel: it must match ${SCHEMA_NAME.source} and be at most 57 characters`,
		);
	return `sigil_${schema}`;
}

/** Opens the feed: resolves once the dedicated connection is listening. */
export async function openPostgresChangeFeed(
	options: PostgresChangeFeedOptions,
): Promise<PostgresChangeFeed> {
	const feed = new PostgresChangeFeed(options);
	try {
		await feed.start();
	} catch (err) {
		await feed.close();
		throw err;
	}
	return feed;
}

export class PostgresChangeFeed implements ChangeFeed {
	readonly channel: string;
	readonly applicationName: string;
	readonly #options: PostgresChangeFeedOptions;
	readonly #where: string;
	readonly #listeners: Listeners;
	readonly #onError: (err: unknown) => void;
	readonly #publisher: pg.Pool;
	#client: pg.Client | undefined;
	#connected = false;
	#closed = false;
	#attempt = 0;
	#lostAt = 0;
	#retryTimer: NodeJS.Timeout | undefined;
	#pingTimer: NodeJS.Timeout | undefined;
	/** Reconnects so far (each followed by a reconcile signal). */
	reconnects = 0;

	constructor(options: PostgresChangeFeedOptions) {
		this.#options = options;
		this.channel = channelOf(options.schema ?? DEFAULT_SCHEMA);
		this.applicationName =
			options.applicationName ?? `sigil-feed-${randomUUID().slice(0, 8)}`;
		this.#where = describeTarget(options.connectionString);
		this.#onError =
			options.onError ??
			((err: unknown) =>
				process.emitWarning(err as Error, "SigilChangeFeedWarning"));
		this.#listeners = new Listeners(this.#onError);
		this.#publisher = new pg.Pool({
			connectionString: options.connectionString,
			max: 2,
			idleTimeoutMillis: 10_000,
			connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
			application_name: "sigil-feed-publish",
			statement_timeout: options.connectTimeoutMs ?? 5000,
		});
		this.#publisher.on("error", (err) => this.#onError(err));
	}

	/** True while the dedicated connection is listening. */
	get connected(): boolean {
		return this.#connected;
	}

	/** The first connection; later ones are made by `#lost`. */
	async start(): Promise<void> {
		await this.#connect();
		this.#startPing();
	}

	async #connect(): Promise<void> {
		const timeout = this.#options.connectTimeoutMs ?? 5000;
		const client = new pg.Client({
			connectionString: this.#options.connectionString,
			application_name: this.applicationName,
			keepAlive: true,
			keepAliveInitialDelayMillis: 5000,
			connectionTimeoutMillis: timeout,
			query_timeout: timeout,
		});
		client.on("notification", (msg) => {
			if (msg.channel === this.channel) this.#receive(msg.payload);
		});
		client.on("error", (err) => this.#lost(client, err));
		client.on("end", () => this.#lost(client));
		// Current only once listening: events of a connection that never got there are ignored.
		try {
			await client.connect();
			await client.query(`LISTEN ${this.channel}`);
		} catch (err) {
			client.removeAllListeners("end");
			await client.end().catch(() => {});
			throw translate(err, this.#where);
		}
		if (this.#closed) {
			client.removeAllListeners("end");
			await client.end().catch(() => {});
			return;
		}
		this.#client = client;
		this.#connected = true;
	}

	#receive(payload: string | undefined): void {
		let change: Change;
		try {
			change = checkChange(JSON.parse(payload ?? ""));
		} catch (err) {
			this.#onError(
				new StoreError(
					"STORE_INVALID",
					`a malformed notification on ${this.channel} was ignored`,
					{ cause: err },
				),
			);
			return;
		}
		this.#listeners.emitChange(change);
	}

	/** The listening connection broke (or a ping failed): reconnect with backoff. */
	#lost(client: pg.Client, err?: unknown): void {
		if (this.#client !== client) return; // an old client's late event
		this.#client = undefined;
		this.#connected = false;
		client.removeAllListeners("end");
		client.end().catch(() => {});
		if (this.#closed) return;
		this.#lostAt = Date.now();
		this.#onError(
			new StoreError(
				"STORE_BUSY",
				`the change feed's connection to ${this.#where} was lost${err ? ` (${(err as Error).message})` : ""}; reconnecting`,
				{ cause: err },
			),
		);
		this.#scheduleReconnect();
	}

	#scheduleReconnect(): void {
		if (this.#closed || this.#retryTimer !== undefined) return;
		const initial = this.#options.initialBackoffMs ?? 100;
		const max = this.#options.maxBackoffMs ?? 5000;
		const base = Math.min(max, initial * 2 ** this.#attempt);
		// Full jitter on half the delay: gateways that lost the server together do not return in step.
		const delay = base / 2 + Math.random() * (base / 2);
		this.#attempt++;
		this.#retryTimer = setTimeout(() => {
			this.#retryTimer = undefined;
			this.#connect().then(
				() => {
					if (this.#closed || !this.#connected) return;
					this.#attempt = 0;
					this.reconnects++;
					const down = ((Date.now() - this.#lostAt) / 1000).toFixed(1);
					this.#listeners.emitReconcile(
						`the change feed reconnected after ${down} s: changes may have been missed`,
					);
				},
				(connectErr) => {
					if (this.#closed) return;
					this.#onError(connectErr);
					this.#scheduleReconnect();
				},
			);
		}, delay);
	}

	#startPing(): void {
		const every = this.#options.pingIntervalMs ?? 5000;
		if (every <= 0) return;
		this.#pingTimer = setInterval(() => {
			const client = this.#client;
			if (!client || !this.#connected) return;
			client.query("SELECT 1").catch((err) => this.#lost(client, err));
		}, every);
		this.#pingTimer.unref();
	}

	async publish(change: Change): Promise<void> {
		if (this.#closed)
			throw new StoreError("STORE_CLOSED", "the change feed is closed");
		const checked = checkChange(change);
		try {
			await this.#publisher.query("SELECT pg_notify($1, $2)", [
				this.channel,
				JSON.stringify(checked),
			]);
		} catch (err) {
			throw translate(err, this.#where);
		}
	}

	subscribe(listener: ChangeListener): () => void {
		return this.#listeners.subscribe(listener);
	}

	onReconcile(listener: ReconcileListener): () => void {
		return this.#listeners.onReconcile(listener);
	}

	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		this.#connected = false;
		clearTimeout(this.#retryTimer);
		clearInterval(this.#pingTimer);
		this.#listeners.clear();
		const client = this.#client;
		this.#client = undefined;
		if (client) {
			client.removeAllListeners("end");
			await client.end().catch(() => {});
		}
		await this.#publisher.end().catch(() => {});
	}
}

/**
 * The Redis `SharedCache` (node-redis), for many gateways sharing one Redis:
 * - replay ids: `SET prefix:replay:SCOPE:ID 1 NX PX ttl` — Redis runs commands one at a time, so
 *   of two gateways racing on one id exactly one gets `OK`;
 * - rate windows and concurrency slots: Lua scripts (`scripts.ts`), atomic on the server and timed
 *   by the server's clock. Scripts are sent once (`EVALSHA`, falling back to `EVAL` on
 *   `NOSCRIPT` after a Redis restart or `SCRIPT FLUSH`).
 *
 * Every key starts with `keyPrefix` (default `sigil:`), so one Redis can serve several
 * installations (or test runs) without collisions. Redis here keeps nothing durable of Sigil's:
 * a Redis restart forgets replay ids and windows (documented in docs/scale-out.md).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createClient } from "redis";
import {
	CacheError,
	checkCacheArgs,
	type RateDecision,
	type SharedCache,
	type SlotLease,
} from "../../ports/shared-cache.ts";
import {
	ACQUIRE_SLOT,
	RATE_LIMIT,
	RENEW_SLOT,
	type Script,
	SLOTS_HELD,
} from "./scripts.ts";

/** The commands of a node-redis client this adapter uses (v5 and v6 alike). */
export interface RedisCommands {
	set(
		key: string,
		value: string,
		options: { condition: "NX"; expiration: { type: "PX"; value: number } },
	): Promise<unknown>;
	evalSha(
		sha1: string,
		options: { keys: string[]; arguments: string[] },
	): Promise<unknown>;
	eval(
		script: string,
		options: { keys: string[]; arguments: string[] },
	): Promise<unknown>;
	zRem(key: string, member: string): Promise<unknown>;
	ping(): Promise<unknown>;
	close(): Promise<unknown>;
}

export interface RedisSharedCacheOptions {
	/** Prepended to every key (default `sigil:`). */
	readonly keyPrefix?: string;
	/** Close the client on `close()` (default: true when the adapter connected it itself). */
	readonly ownsClient?: boolean;
	/** How errors name the server (default: the URL without its password, or "Redis"). */
	readonly label?: string;
}

export interface ConnectRedisOptions extends RedisSharedCacheOptions {
	/** Give up connecting after this long (default 5 s); the error names the URL. */
	readonly connectTimeoutMs?: number;
	/** Called with connection errors after connecting (node-redis reconnects by itself). */
	readonly onError?: (err: Error) => void;
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
	try {
		const u = new URL(url);
		if (u.password) u.password = "***";
		return u.toString();
	} catch {
		return "(an unparsable URL)";
	}
}

export class RedisSharedCache implements SharedCache {
	readonly #client: RedisCommands;
	readonly #prefix: string;
	readonly #owns: boolean;
	readonly #label: string;
	#closed = false;

	constructor(client: RedisCommands, options: RedisSharedCacheOptions = {}) {
		this.#client = client;
		this.#prefix = options.keyPrefix ?? "sigil:";
		this.#owns = options.ownsClient ?? false;
		this.#label = options.label ?? "Redis";
	}

	/**
	 * Connects to `url` (`redis://[user:password@]host:port[/db]`, or `rediss://` for TLS) and
	 * returns a cache that closes the connection with itself. Rejects, naming the URL (never its
	 * password), when Redis does not answer within `connectTimeoutMs`. Later, node-redis
	 * reconnects by itself; while it is disconnected, calls reject at once with
	 * `CACHE_UNAVAILABLE` (no offline queue: a rate check must not wait for Redis to come back).
	 */
	static async connect(
		url: string,
		options: ConnectRedisOptions = {},
	): Promise<RedisSharedCache> {
		const timeoutMs = options.connectTimeoutMs ?? 5000;
		const client = createClient({
			url,
			socket: { connectTimeout: timeoutMs },
			disableOfflineQueue: true,
		});
		let connected = false;
		let firstError: Error | undefined;
		client.on("error", (err: Error) => {
			if (connected) options.onError?.(err);
			else firstError ??= err;
		});
		let timer: NodeJS.Timeout | undefined;
		try {
			await Promise.race([
				client.connect(),
				new Promise((_, reject) => {
					timer = setTimeout(
						() =>
							reject(
								new CacheError(
									"CACHE_UNAVAILABLE",
									`Redis at ${redactUrl(url)} did not answer within ${timeoutMs} ms${firstError ? ` (${firstError.message})` : ""}`,
								),
							),
						timeoutMs,
					);
				}),
			]);
		} catch (err) {
			clearTimeout(timer);
			client.destroy();
			if (err instanceof CacheError) throw err;
			throw new CacheError(
				"CACHE_UNAVAILABLE",
				`Redis at ${redactUrl(url)} did not answer: ${(err as Error)?.message}`,
				{ cause: err },
			);
		}
		clearTimeout(timer);
		connected = true;
		return new RedisSharedCache(client as unknown as RedisCommands, {
			...options,
			ownsClient: options.ownsClient ?? true,
			label: options.label ?? `Redis at ${redactUrl(url)}`,
		});
	}

	async firstSighting(
		scope: string,
		id: string,
		ttlMs: number,
	): Promise<boolean> {
		this.#open();
		checkCacheArgs("firstSighting", { scope, id, ttlMs });
		const reply = await this.#call(() =>
			this.#client.set(`${this.#prefix}replay:${scope}:${id}`, "1", {
				condition: "NX",
				expiration: { type: "PX", value: ttlMs },
			}),
		);
		return reply === "OK";
	}

	async rateLimit(
		key: string,
		limit: number,
		windowMs: number,
	): Promise<RateDecision> {
		this.#open();
		checkCacheArgs("rateLimit", { key, limit, windowMs });
		const reply = (await this.#run(
			RATE_LIMIT,
			[`${this.#prefix}rate:${key}`],
			[String(limit), String(windowMs), randomBytes(6).toString("base64url")],
		)) as [number, number, number];
		return {
			allowed: Number(reply[0]) === 1,
			remaining: Number(reply[1]),
			retryAfterMs: Number(reply[2]),
		};
	}

	async acquireSlot(
		key: string,
		limit: number,
		leaseMs: number,
	): Promise<SlotLease | undefined> {
		this.#open();
		checkCacheArgs("acquireSlot", { key, limit, leaseMs });
		const token = randomUUID();
		const expiresAt = Number(
			await this.#run(
				ACQUIRE_SLOT,
				[this.#slotKey(key)],
				[String(limit), String(leaseMs), token],
			),
		);
		return expiresAt < 0 ? undefined : { key, token, expiresAt };
	}

	async renewSlot(
		lease: SlotLease,
		leaseMs: number,
	): Promise<SlotLease | undefined> {
		this.#open();
		checkCacheArgs("renewSlot", { leaseMs });
		const expiresAt = Number(
			await this.#run(
				RENEW_SLOT,
				[this.#slotKey(lease.key)],
				[String(leaseMs), lease.token],
			),
		);
		return expiresAt < 0
			? undefined
			: { key: lease.key, token: lease.token, expiresAt };
	}

	async releaseSlot(lease: SlotLease): Promise<void> {
		this.#open();
		await this.#call(() =>
			this.#client.zRem(this.#slotKey(lease.key), lease.token),
		);
	}

	async slotsHeld(key: string): Promise<number> {
		this.#open();
		return Number(await this.#run(SLOTS_HELD, [this.#slotKey(key)], []));
	}

	async check(): Promise<void> {
		this.#open();
		await this.#call(() => this.#client.ping());
	}

	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		if (this.#owns) await this.#client.close();
	}

	#slotKey(key: string): string {
		return `${this.#prefix}slots:${key}`;
	}

	#open(): void {
		if (this.#closed)
			throw new CacheError("CACHE_CLOSED", "the shared cache is closed");
	}

	/** Runs a command; a failure of the connection or the server becomes `CACHE_UNAVAILABLE`. */
	async #call<T>(command: () => Promise<T>): Promise<T> {
		try {
			return await command();
		} catch (err) {
			const e = err as Error;
			throw new CacheError(
				"CACHE_UNAVAILABLE",
				`${this.#label} did not answer: ${e?.message || e?.name || String(err)}`,
				{ cause: err },
			);
		}
	}

	#run(s: Script, keys: string[], args: string[]): Promise<unknown> {
		const options = { keys, arguments: args };
		return this.#call(async () => {
			try {
				return await this.#client.evalSha(s.sha1, options);
			} catch (err) {
				if (!String((err as Error)?.message).startsWith("NOSCRIPT")) throw err;
				return this.#client.eval(s.source, options);
			}
		});
	}
}

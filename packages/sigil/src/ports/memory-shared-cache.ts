/**
 * The embedded `SharedCache`: plain maps in this process, for one gateway. JavaScript runs one
 * call at a time, so each operation is atomic without locks; expired entries are dropped lazily
 * as keys are touched and by a sweep every `sweepEvery` writes, so memory follows the live set.
 */
import { randomUUID } from "node:crypto";
import {
	CacheError,
	checkCacheArgs,
	type RateDecision,
	type SharedCache,
	type SlotLease,
} from "./shared-cache.ts";

export interface MemorySharedCacheOptions {
	/** The clock (epoch ms); default `Date.now`. */
	readonly now?: () => number;
	/** Writes between two sweeps of expired entries (default 1024). */
	readonly sweepEvery?: number;
}

export class MemorySharedCache implements SharedCache {
	readonly #now: () => number;
	readonly #sweepEvery: number;
	/** `scope\0id` → expiry. */
	readonly #seen = new Map<string, number>();
	/** key → times of the calls counted, oldest first. */
	readonly #windows = new Map<string, { times: number[]; windowMs: number }>();
	/** key → token → expiry. */
	readonly #slots = new Map<string, Map<string, number>>();
	#writes = 0;
	#closed = false;

	constructor(options: MemorySharedCacheOptions = {}) {
		this.#now = options.now ?? Date.now;
		this.#sweepEvery = options.sweepEvery ?? 1024;
	}

	async firstSighting(
		scope: string,
		id: string,
		ttlMs: number,
	): Promise<boolean> {
		this.#open();
		checkCacheArgs("firstSighting", { scope, id, ttlMs });
		const now = this.#now();
		const key = `${scope}\0${id}`;
		const until = this.#seen.get(key);
		if (until !== undefined && until > now) return false;
		this.#seen.set(key, now + ttlMs);
		this.#wrote(now);
		return true;
	}

	async rateLimit(
		key: string,
		limit: number,
		windowMs: number,
	): Promise<RateDecision> {
		this.#open();
		checkCacheArgs("rateLimit", { key, limit, windowMs });
		const now = this.#now();
		let w = this.#windows.get(key);
		if (!w) {
			w = { times: [], windowMs };
			this.#windows.set(key, w);
		}
		w.windowMs = Math.max(w.windowMs, windowMs);
		const since = now - windowMs;
		let drop = 0;
		while (drop < w.times.length && (w.times[drop] as number) <= since) drop++;
		if (drop > 0) w.times.splice(0, drop);
		if (w.times.length < limit) {
			w.times.push(now);
			this.#wrote(now);
			return {
				allowed: true,
				remaining: limit - w.times.length,
				retryAfterMs: 0,
			};
		}
		// The call that frees a place is the one `limit` places back from the end.
		const freeing = w.times[w.times.length - limit] as number;
		return {
			allowed: false,
			remaining: 0,
			retryAfterMs: Math.max(1, freeing + windowMs - now),
		};
	}

	async acquireSlot(
		key: string,
		limit: number,
		leaseMs: number,
	): Promise<SlotLease | undefined> {
		this.#open();
		checkCacheArgs("acquireSlot", { key, limit, leaseMs });
		const now = this.#now();
		const held = this.#live(key, now);
		if (held.size >= limit) return undefined;
		const token = randomUUID();
		const expiresAt = now + leaseMs;
		held.set(token, expiresAt);
		this.#slots.set(key, held);
		this.#wrote(now);
		return { key, token, expiresAt };
	}

	async renewSlot(
		lease: SlotLease,
		leaseMs: number,
	): Promise<SlotLease | undefined> {
		this.#open();
		checkCacheArgs("renewSlot", { leaseMs });
		const now = this.#now();
		const held = this.#live(lease.key, now);
		if (!held.has(lease.token)) return undefined;
		const expiresAt = now + leaseMs;
		held.set(lease.token, expiresAt);
		return { key: lease.key, token: lease.token, expiresAt };
	}

	async releaseSlot(lease: SlotLease): Promise<void> {
		this.#open();
		const held = this.#slots.get(lease.key);
		if (!held) return;
		held.delete(lease.token);
		if (held.size === 0) this.#slots.delete(lease.key);
	}

	async slotsHeld(key: string): Promise<number> {
		this.#open();
		return this.#live(key, this.#now()).size;
	}

	async check(): Promise<void> {
		this.#open();
	}

	async close(): Promise<void> {
		this.#closed = true;
		this.#seen.clear();
		this.#windows.clear();
		this.#slots.clear();
	}

	#open(): void {
		if (this.#closed)
			throw new CacheError("CACHE_CLOSED", "the shared cache is closed");
	}

	/** The unexpired leases of `key` (expired ones dropped). */
	#live(key: string, now: number): Map<string, number> {
		const held = this.#slots.get(key) ?? new Map<string, number>();
		for (const [token, until] of held) if (until <= now) held.delete(token);
		return held;
	}

	#wrote(now: number): void {
		if (++this.#writes % this.#sweepEvery !== 0) return;
		for (const [k, until] of this.#seen) if (until <= now) this.#seen.delete(k);
		for (const [k, w] of this.#windows) {
			const last = w.times[w.times.length - 1];
			if (last === undefined || last <= now - w.windowMs)
				this.#windows.delete(k);
		}
		for (const [k] of this.#slots)
			if (this.#live(k, now).size === 0) this.#slots.delete(k);
	}
}

import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { type HmacSha256Pads, hmacSha256Pads } from "../shared/hmac-pads.ts";
import { SCOPE_TERMINATOR } from "./constants.ts";

/**
 * Task 3: kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
 */
export function deriveSigningKey(
	secretAccessKey: string,
	date: string,
	region: string,
	service: string,
): Buffer {
	const kDate = createHmac("sha256", `AWS4${secretAccessKey}`)
		.update(date)
		.digest();
	const kRegion = createHmac("sha256", kDate).update(region).digest();
	const kService = createHmac("sha256", kRegion).update(service).digest();
	return createHmac("sha256", kService).update(SCOPE_TERMINATOR).digest();
}

/** The signing key as a KeyObject: HMAC with a KeyObject skips the per-call key setup (about 5× faster). */
export function signingKeyObject(
	secretAccessKey: string,
	date: string,
	region: string,
	service: string,
): KeyObject {
	return createSecretKey(
		deriveSigningKey(secretAccessKey, date, region, service),
	);
}

/**
 * A derived signing key in both forms verification uses: a KeyObject (for `createHmac`, e.g.
 * the diagnosis's re-signing) and its HMAC key blocks (for the warm path's cheaper HMAC).
 */
export interface SigningKey {
	readonly key: KeyObject;
	readonly pads: HmacSha256Pads;
}

/** Derives the signing key and prepares both forms of it. */
export function signingKey(
	secretAccessKey: string,
	date: string,
	region: string,
	service: string,
): SigningKey {
	const raw = deriveSigningKey(secretAccessKey, date, region, service);
	return { key: createSecretKey(raw), pads: hmacSha256Pads(raw) };
}

/** One cached key with the secret and scope it was derived for. */
interface CacheEntry {
	readonly secret: string;
	readonly date: string;
	readonly region: string;
	readonly service: string;
	readonly value: SigningKey;
}

/**
 * Caller-owned cache of derived signing keys (four HMACs saved per request), bounded: once full,
 * the oldest entry goes. A key is only valid for one day/region/service, so entries age out
 * naturally. Keep it in memory only; it holds key material.
 */
export class SigningKeyCache {
	readonly #max: number;
	readonly #entries = new Map<string, CacheEntry>();
	/**
	 * Each secret's most recently derived entry (a subset of `#entries`): a warm lookup then
	 * compares three short scope strings instead of building and hashing the long id.
	 */
	readonly #latest = new Map<string, CacheEntry>();

	/** @param maxEntries upper bound on cached keys (default 1024). */
	constructor(maxEntries = 1024) {
		if (!Number.isInteger(maxEntries) || maxEntries < 1)
			throw new RangeError("maxEntries must be a positive integer");
		this.#max = maxEntries;
	}

	/** The signing key for this secret and scope, derived once. */
	get(
		secretAccessKey: string,
		date: string,
		region: string,
		service: string,
	): KeyObject {
		return this.signingKey(secretAccessKey, date, region, service).key;
	}

	/** The signing key with its HMAC key blocks, for this secret and scope, derived once. */
	signingKey(
		secretAccessKey: string,
		date: string,
		region: string,
		service: string,
	): SigningKey {
		const latest = this.#latest.get(secretAccessKey);
		if (
			latest !== undefined &&
			latest.date === date &&
			latest.region === region &&
			latest.service === service
		)
			return latest.value;
		const id = `${date}/${region}/${service}\n${secretAccessKey}`;
		let entry = this.#entries.get(id);
		if (entry === undefined) {
			const value = signingKey(secretAccessKey, date, region, service);
			entry = { secret: secretAccessKey, date, region, service, value };
			if (this.#entries.size >= this.#max) this.#evictOldest();
			this.#entries.set(id, entry);
		}
		this.#latest.set(secretAccessKey, entry);
		return entry.value;
	}

	#evictOldest(): void {
		const oldest = this.#entries.entries().next();
		if (oldest.done === true) return;
		const [id, entry] = oldest.value;
		this.#entries.delete(id);
		if (this.#latest.get(entry.secret) === entry)
			this.#latest.delete(entry.secret);
	}

	/** Number of cached keys. */
	get size(): number {
		return this.#entries.size;
	}

	/** Drops every cached key (e.g. after a key rotation). */
	clear(): void {
		this.#entries.clear();
		this.#latest.clear();
	}
}

/** The signing key from `cache` when given, derived afresh otherwise. */
export function signingKeyFor(
	secretAccessKey: string,
	date: string,
	region: string,
	service: string,
	cache?: SigningKeyCache,
): KeyObject {
	return cache === undefined
		? signingKeyObject(secretAccessKey, date, region, service)
		: cache.get(secretAccessKey, date, region, service);
}

/** Both forms of the signing key, from `cache` when given, derived afresh otherwise. */
export function signingKeyWithPads(
	secretAccessKey: string,
	date: string,
	region: string,
	service: string,
	cache?: SigningKeyCache,
): SigningKey {
	return cache === undefined
		? signingKey(secretAccessKey, date, region, service)
		: cache.signingKey(secretAccessKey, date, region, service);
}

/**
 * Why: with OpenSSL 3, creating an AES-GCM decipher costs ~50 µs (the cipher is fetched from the
 * provider on every call), which would dominate the verifier's hot path. The database is still
 * read on every lookup — a disabled, deleted or rotated key is seen at once, by every gateway —
 * but when the row's sealed bytes and associated data equal those already opened once, the
 * plaintext from that authenticated decryption is returned instead of decrypting again.
 *
 * The plaintexts live in this process's memory, where the verifier's signing-key cache keeps
 * derived keys anyway; the cache is bounded and dropped with the store.
 */
import type { SecretBox } from "./secret-box.ts";

interface Entry {
	readonly sealed: Buffer;
	readonly plain: Buffer;
}

export class DecryptCache {
	readonly #box: SecretBox;
	readonly #max: number;
	readonly #entries = new Map<string, Entry>();

	constructor(box: SecretBox, max = 10_000) {
		this.#box = box;
		this.#max = max;
	}

	/** `box.open(sealed, associatedData)`, answered from memory when the same bytes were opened before. */
	open(sealed: Uint8Array, associatedData: string): Buffer {
		const hit = this.#entries.get(associatedData);
		// Ciphertexts are not secret: an ordinary comparison is fine here.
		if (hit !== undefined && Buffer.compare(hit.sealed, sealed) === 0)
			return hit.plain;
		const plain = this.#box.open(sealed, associatedData);
		if (hit === undefined && this.#entries.size >= this.#max) {
			// Evict the oldest insertion (Map iterates in insertion order).
			const oldest = this.#entries.keys().next().value;
			if (oldest !== undefined) this.#entries.delete(oldest);
		}
		this.#entries.set(associatedData, { sealed: Buffer.from(sealed), plain });
		return plain;
	}
}

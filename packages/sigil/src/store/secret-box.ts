/**
 * Encryption at rest: AES-256-GCM (NIST SP 800-38D) with a random 96-bit IV per value and
 * associated data naming the row the value belongs to, so a ciphertext copied into another row
 * (another key id, another account, another secret name) fails authentication instead of
 * decrypting under a borrowed identity.
 *
 * Sealed layout: version (1 byte) ‖ IV (12) ‖ tag (16) ‖ ciphertext. The version byte leaves room
 * for key rotation: a later version can name another key or algorithm while old rows still open.
 */
import {
	createCipheriv,
	createDecipheriv,
	createSecretKey,
	hkdfSync,
	type KeyObject,
	randomBytes,
	timingSafeEqual,
} from "node:crypto";
import { StoreError } from "./errors.ts";

const VERSION_1 = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

/** Seals and opens values under keys derived from the master key. */
export class SecretBox {
	readonly #key: KeyObject;
	readonly #check: Buffer;

	/** @param masterKey exactly 32 bytes (see `loadOrCreateMasterKey`). */
	constructor(masterKey: Buffer) {
		if (!Buffer.isBuffer(masterKey) || masterKey.length !== 32) {
			throw new StoreError(
				"STORE_MASTER_KEY_INVALID",
				"the master key must be exactly 32 bytes",
			);
		}
		// RFC 5869 HKDF: one key per purpose, so the check value reveals nothing about the
		// encryption key and neither is the raw master key.
		// A KeyObject, imported once: given raw bytes, every createCipheriv imports the key again,
		// which costs about three times the rest of setting up an AES-GCM cipher.
		this.#key = createSecretKey(
			Buffer.from(
				hkdfSync(
					"sha256",
					masterKey,
					Buffer.alloc(0),
					"sigil secret-box v1",
					32,
				),
			),
		);
		this.#check = Buffer.from(
			hkdfSync("sha256", masterKey, Buffer.alloc(0), "sigil key-check v1", 32),
		);
	}

	/** A value stored beside the data that tells whether a later master key is the same one. */
	checkValue(): Buffer {
		return Buffer.from(this.#check);
	}

	/** Constant-time comparison of a stored check value with this key's. */
	matchesCheckValue(stored: Uint8Array): boolean {
		return (
			stored.length === this.#check.length &&
			timingSafeEqual(stored, this.#check)
		);
	}

	/** Encrypts `plaintext` bound to `associatedData` (e.g. `secret:123456789012:db-password`). */
	seal(plaintext: Uint8Array, associatedData: string): Buffer {
		const iv = randomBytes(IV_BYTES);
		const cipher = createCipheriv("aes-256-gcm", this.#key, iv, {
			authTagLength: TAG_BYTES,
		});
		cipher.setAAD(Buffer.from(associatedData, "utf8"));
		const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
		return Buffer.concat([Buffer.of(VERSION_1), iv, cipher.getAuthTag(), body]);
	}

	/** Decrypts a sealed value; `STORE_DECRYPT_FAILED` when it was tampered with or moved. */
	open(sealed: Uint8Array, associatedData: string): Buffer {
		if (sealed.length < HEADER_BYTES || sealed[0] !== VERSION_1) {
			throw new StoreError(
				"STORE_DECRYPT_FAILED",
				`the encrypted value of ${associatedData} has an unknown format`,
			);
		}
		const iv = sealed.subarray(1, 1 + IV_BYTES);
		const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
		const decipher = createDecipheriv("aes-256-gcm", this.#key, iv, {
			authTagLength: TAG_BYTES,
		});
		decipher.setAAD(Buffer.from(associatedData, "utf8"));
		decipher.setAuthTag(tag);
		try {
			return Buffer.concat([
				decipher.update(sealed.subarray(HEADER_BYTES)),
				decipher.final(),
			]);
		} catch (cause) {
			throw new StoreError(
				"STORE_DECRYPT_FAILED",
				`the encrypted value of ${associatedData} failed authentication: it was altered or copied from another row`,
				{ cause },
			);
		}
	}
}

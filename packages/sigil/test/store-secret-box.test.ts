// SecretBox: AES-256-GCM sealing bound to its row, and the master-key check value.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { isStoreError } from "../src/store/errors.ts";
import { SecretBox } from "../src/store/secret-box.ts";

const box = new SecretBox(randomBytes(32));

function decryptFails(fn: () => unknown): boolean {
	try {
		fn();
		return false;
	} catch (err) {
		return isStoreError(err, "STORE_DECRYPT_FAILED");
	}
}

test("seal then open gives the plaintext back, for any bytes and any row name", () => {
	fc.assert(
		fc.property(
			fc.uint8Array({ maxLength: 2048 }),
			fc.string(),
			(bytes, aad) => {
				const sealed = box.seal(bytes, aad);
				assert.equal(sealed[0], 1, "version prefix");
				assert.equal(sealed.length, 1 + 12 + 16 + bytes.length);
				assert.deepEqual(new Uint8Array(box.open(sealed, aad)), bytes);
			},
		),
		{ numRuns: 200 },
	);
});

test("any flipped bit, another row name, or another key fails authentication", () => {
	fc.assert(
		fc.property(
			fc.uint8Array({ minLength: 1, maxLength: 256 }),
			fc.nat(),
			fc.integer({ min: 0, max: 7 }),
			(bytes, at, bit) => {
				const sealed = box.seal(bytes, "secret:123456789012:a");
				const i = at % sealed.length;
				const flipped = Buffer.from(sealed);
				flipped[i] = (flipped[i] as number) ^ (1 << bit);
				assert.ok(
					decryptFails(() => box.open(flipped, "secret:123456789012:a")),
				);
			},
		),
		{ numRuns: 200 },
	);
	const sealed = box.seal(Buffer.from("value"), "secret:123456789012:a");
	assert.ok(decryptFails(() => box.open(sealed, "secret:123456789012:b")));
	assert.ok(
		decryptFails(() =>
			new SecretBox(randomBytes(32)).open(sealed, "secret:123456789012:a"),
		),
	);
	assert.ok(
		decryptFails(() =>
			box.open(sealed.subarray(0, 20), "secret:123456789012:a"),
		),
		"truncated",
	);
});

test("two seals of one value differ (random IV)", () => {
	const a = box.seal(Buffer.from("same"), "x");
	const b = box.seal(Buffer.from("same"), "x");
	assert.notDeepEqual(a, b);
});

test("the check value tells keys apart and is not the key itself", () => {
	const key = randomBytes(32);
	const one = new SecretBox(key);
	assert.ok(
		one.matchesCheckValue(new SecretBox(Buffer.from(key)).checkValue()),
	);
	assert.ok(
		!one.matchesCheckValue(new SecretBox(randomBytes(32)).checkValue()),
	);
	assert.ok(!one.matchesCheckValue(Buffer.alloc(3)));
	assert.notDeepEqual(one.checkValue(), key);
});

test("a master key that is not 32 bytes is refused", () => {
	assert.throws(
		() => new SecretBox(randomBytes(16)),
		(err) => isStoreError(err, "STORE_MASTER_KEY_INVALID"),
	);
});

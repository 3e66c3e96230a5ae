import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { hmacSha256Pads, hmacSha256WithPads } from "../src/shared/hmac-pads.ts";

const reference = (key: Uint8Array, message: string): Buffer =>
	createHmac("sha256", key).update(message, "utf8").digest();

test("RFC 4231 test case 2: key 'Jefe'", () => {
	const mac = hmacSha256WithPads(
		hmacSha256Pads(Buffer.from("Jefe")),
		"what do ya want for nothing?",
	);
	assert.equal(
		mac.toString("hex"),
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	);
});

test("RFC 4231 test case 6: a 131-byte key is hashed first", () => {
	const mac = hmacSha256WithPads(
		hmacSha256Pads(Buffer.alloc(131, 0xaa)),
		"Test Using Larger Than Block-Size Key - Hash Key First",
	);
	assert.equal(
		mac.toString("hex"),
		"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	);
});

test("equals createHmac for any key (0–200 bytes) and any string, ASCII or not", () => {
	fc.assert(
		fc.property(
			fc.uint8Array({ maxLength: 200 }),
			fc.oneof(
				fc.string({ maxLength: 300 }),
				fc.string({ unit: "grapheme" }),
				fc.string({ unit: "binary" }),
			),
			(key, message) => {
				const mine = hmacSha256WithPads(hmacSha256Pads(key), message);
				assert.deepEqual(mine, reference(key, message));
			},
		),
		{ numRuns: 2000 },
	);
});

test("lone surrogates are encoded as createHmac encodes them (U+FFFD)", () => {
	const key = Buffer.alloc(32, 7);
	for (const message of ["\ud800", "a\udc00b", "\udbff\ud800"]) {
		assert.deepEqual(
			hmacSha256WithPads(hmacSha256Pads(key), message),
			reference(key, message),
		);
	}
});

test("pads of one key serve many messages (no state carried between calls)", () => {
	const key = Buffer.alloc(32, 1);
	const pads = hmacSha256Pads(key);
	for (const message of ["a", "", "é", "a".repeat(1000), "a"]) {
		assert.deepEqual(
			hmacSha256WithPads(pads, message),
			reference(key, message),
		);
	}
});

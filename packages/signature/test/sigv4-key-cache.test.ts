// SigningKeyCache under any sequence of lookups: every answer is the key derived afresh for that
// secret and scope, the size never passes the bound, and `get` and `signingKey` agree — whether a
// lookup hits the per-secret latest entry, the full table, or neither (after an eviction).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { deriveSigningKey, SigningKeyCache } from "../src/index.ts";

const lookup = fc.record({
	secret: fc.constantFrom("s1", "s2", "s3"),
	date: fc.constantFrom("20260101", "20260102"),
	region: fc.constantFrom("us-east-1", "eu-west-1"),
	service: fc.constantFrom("lambda", "execute-api"),
});

test("cached signing keys always equal a fresh derivation, within the bound", () => {
	fc.assert(
		fc.property(
			fc.integer({ min: 1, max: 4 }),
			fc.array(lookup, { maxLength: 40 }),
			(max, lookups) => {
				const cache = new SigningKeyCache(max);
				for (const { secret, date, region, service } of lookups) {
					const want = deriveSigningKey(secret, date, region, service);
					const got = cache.get(secret, date, region, service).export();
					assert.deepEqual(got, want);
					assert.ok(cache.size <= max);
				}
			},
		),
		{ numRuns: 200 },
	);
});

test("a repeated lookup returns the same cached object; clear() forgets it", () => {
	const cache = new SigningKeyCache(2);
	const a = cache.signingKey("s1", "20260101", "us-east-1", "lambda");
	cache.signingKey("s1", "20260102", "us-east-1", "lambda");
	assert.equal(cache.signingKey("s1", "20260101", "us-east-1", "lambda"), a);
	// A third scope evicts the oldest (FIFO), so the first is derived anew.
	cache.signingKey("s1", "20260101", "eu-west-1", "lambda");
	assert.notEqual(cache.signingKey("s1", "20260101", "us-east-1", "lambda"), a);
	cache.clear();
	assert.equal(cache.size, 0);
	const b = cache.signingKey("s1", "20260101", "us-east-1", "lambda");
	assert.notEqual(b, a);
	assert.equal(cache.signingKey("s1", "20260101", "us-east-1", "lambda"), b);
});

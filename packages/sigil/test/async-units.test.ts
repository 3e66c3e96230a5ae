// Unit and property tests of the pure parts of async invocation: Lambda FunctionName forms,
// retry backoff, callback URL checks and signatures, and the stored job spec.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import { retryDelayMs } from "../src/async/backoff.ts";
import { callbackSignature, checkCallbackUrl } from "../src/async/callback.ts";
import {
	decodeJobSpec,
	encodeJobSpec,
	type JobSpec,
	storableHeaders,
} from "../src/async/job-spec.ts";
import { parseFunctionRef } from "../src/gateway/lambda-api.ts";

describe("parseFunctionRef", () => {
	test("the forms Lambda documents", () => {
		assert.deepEqual(parseFunctionRef("my-fn"), { name: "my-fn" });
		assert.deepEqual(parseFunctionRef("my-fn:$LATEST"), {
			name: "my-fn",
			qualifier: "$LATEST",
		});
		assert.deepEqual(parseFunctionRef("123456789012:function:my-fn"), {
			name: "my-fn",
			accountId: "123456789012",
		});
		assert.deepEqual(
			parseFunctionRef(
				"arn:aws:lambda:eu-west-1:123456789012:function:my-fn:prod",
			),
			{
				name: "my-fn",
				accountId: "123456789012",
				region: "eu-west-1",
				qualifier: "prod",
			},
		);
	});

	test("refuses what is not a FunctionName", () => {
		for (const bad of [
			"",
			"a/b",
			"123456789012:my-fn",
			"arn:aws:s3:::bucket",
			"fn:",
			"x".repeat(141),
		])
			assert.equal(parseFunctionRef(bad), undefined, bad);
	});

	test("property: any valid name round-trips through every form", () => {
		fc.assert(
			fc.property(
				fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,40}$/),
				fc.stringMatching(/^\d{12}$/),
				(name, account) => {
					const arn = `arn:aws:lambda:us-east-1:${account}:function:${name}`;
					assert.deepEqual(parseFunctionRef(arn), {
						name,
						accountId: account,
						region: "us-east-1",
					});
					assert.deepEqual(parseFunctionRef(`${account}:function:${name}`), {
						name,
						accountId: account,
					});
					assert.deepEqual(parseFunctionRef(name), { name });
				},
			),
		);
	});
});

describe("retryDelayMs", () => {
	const policy = { baseMs: 60_000, maxMs: 300_000, jitter: 0 };
	test("doubles from the base (Lambda: about 1 then 2 minutes) and stops at the cap", () => {
		assert.deepEqual(
			[1, 2, 3, 4, 10].map((a) => retryDelayMs(a, policy)),
			[60_000, 120_000, 240_000, 300_000, 300_000],
		);
	});
	test("property: jitter never goes below the plain delay nor above the cap", () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 50 }),
				fc.double({ min: 0, max: 0.999, noNaN: true }),
				(a, r) => {
					const d = retryDelayMs(
						a,
						{ baseMs: 100, maxMs: 10_000, jitter: 0.5 },
						() => r,
					);
					const plain = Math.min(100 * 2 ** Math.min(a - 1, 30), 10_000);
					assert.ok(d >= plain && d <= 10_000, `${a} ${r} → ${d}`);
				},
			),
		);
	});
});

describe("callbacks", () => {
	test("URL checks: http(s) only, no user info, bounded length", () => {
		assert.deepEqual(checkCallbackUrl("https://example.com/hook?x=1"), {
			ok: true,
			url: "https://example.com/hook?x=1",
		});
		assert.equal(checkCallbackUrl("http://127.0.0.1:9/x").ok, true);
		for (const bad of [
			"file:///etc/passwd",
			"javascript:alert(1)",
			"//example.com",
			"https://u:p@example.com",
			`https://e.com/${"a".repeat(2048)}`,
		])
			assert.equal(checkCallbackUrl(bad).ok, false, bad.slice(0, 30));
	});

	test("the signature is GitHub-style sha256=<hex> of the exact body", () => {
		const body = Buffer.from('{"a":1}');
		const expected = `sha256=${createHmac("sha256", "k").update(body).digest("hex")}`;
		assert.equal(callbackSignature(body, Buffer.from("k")), expected);
		assert.notEqual(
			callbackSignature(Buffer.from('{"a":2}'), Buffer.from("k")),
			expected,
		);
	});
});

describe("job spec", () => {
	test("credential headers are never stored", () => {
		assert.deepEqual(
			storableHeaders([
				"Authorization",
				"AWS4-HMAC-SHA256 …",
				"X-Amz-Security-Token",
				"tok",
				"Hmac",
				"sha256=ab",
				"X-A",
				"1",
			]),
			["Hmac", "sha256=ab", "X-A", "1"],
		);
	});

	test("property: http and event specs round-trip through the stored string map", () => {
		const caller = fc.option(
			fc.record({
				accessKey: fc.string(),
				accountId: fc.string(),
				callerId: fc.string(),
				userArn: fc.string(),
				userId: fc.string(),
				scheme: fc.constantFrom("sigv4", "hmac"),
			}),
			{ nil: undefined },
		);
		const http = fc.record({
			kind: fc.constant("http" as const),
			method: fc.constantFrom("POST", "PUT"),
			path: fc.string(),
			rawQuery: fc.string(),
			rawHeaders: fc.array(fc.string(), { maxLength: 6 }),
			host: fc.string(),
			sourceIp: fc.string(),
			receivedAt: fc.nat(),
			caller,
		});
		const event = fc.record({ kind: fc.constant("event" as const), caller });
		fc.assert(
			fc.property(fc.oneof(http, event), (raw) => {
				// Through JSON: plain prototypes, undefined members dropped (as the store would).
				const spec = JSON.parse(JSON.stringify(raw)) as JobSpec;
				assert.deepEqual(decodeJobSpec(encodeJobSpec(spec)), spec);
			}),
		);
	});

	test("an unreadable row decodes to undefined, not an exception", () => {
		assert.equal(
			decodeJobSpec({ kind: "http", headers: "{not json" }),
			undefined,
		);
		assert.equal(decodeJobSpec({ kind: "mystery" }), undefined);
	});
});

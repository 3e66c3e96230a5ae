// Fuzz: whatever arrives — arbitrary Authorization values, dates, paths, queries, header lists —
// parse never throws and answers with a typed failure from the table; oversize input is refused
// early with its own code.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { WireRequest } from "../src/request.ts";
import {
	canonicalizeEncoded,
	canonicalUri,
	decodedPath,
	normalizePath,
	parseQuery,
	parseSigV4,
	percentDecode,
	SIGV4_FAILURES,
	uriEncode,
	verifySigV4,
} from "../src/sigv4/index.ts";

const NOW = Date.parse("2015-08-30T12:36:00Z");
const OPTS = { region: "us-east-1", services: ["service"], now: NOW };
const CODES = new Set(Object.keys(SIGV4_FAILURES));
const RUNS = { numRuns: 300 };

/** Any UTF-16 string, lone surrogates included. */
const anyString = (max: number) =>
	fc
		.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: max })
		.map((cs) => String.fromCharCode(...cs));
const authLike = fc.oneof(
	anyString(200),
	fc
		.array(
			fc.oneof(
				fc.constantFrom(
					"AWS4-HMAC-SHA256",
					"AWS4-X",
					" ",
					",",
					"=",
					"/",
					";",
					"Credential=",
					"SignedHeaders=",
					"Signature=",
					"AKID/20150830/us-east-1/service/aws4_request",
					"host;x-amz-date",
					"0".repeat(64),
				),
				anyString(10),
			),
			{ maxLength: 16 },
		)
		.map((parts) => parts.join("")),
);
const dateLike = fc.oneof(
	anyString(30),
	fc.constantFrom(
		"20150830T123600Z",
		"20150230T123600Z",
		"20151330T123600Z",
		"2015-08-30T12:36:00Z",
		"Sun, 30 Aug 2015 12:36:00 GMT",
		"Mon, 30 Aug 2015 12:36:00 GMT",
		"99999999T999999Z",
	),
);
const targetLike = fc.oneof(
	anyString(60),
	fc
		.array(
			fc.constantFrom(
				"/",
				"%",
				"%2",
				"%zz",
				"%E1%88",
				"..",
				".",
				"?",
				"&",
				"=",
				"+",
				"X-Amz-Algorithm=AWS4-HMAC-SHA256",
				"X-Amz-Credential=a%2Fb",
				"X-Amz-Signature=",
				"X-Amz-Expires=-1",
				"x-amz-signature=1",
				"ሴ",
				"\uD800",
			),
			{ maxLength: 20 },
		)
		.map((p) => p.join("")),
);

function expectTyped(wire: WireRequest): void {
	const parsed = parseSigV4(wire, OPTS);
	if (parsed.ok) {
		// Lining everything up by chance is possible in principle; then verify answers, never throws.
		const result = verifySigV4(parsed.request, { secretAccessKey: "secret" });
		assert.equal(typeof result.ok, "boolean");
		return;
	}
	assert.ok(CODES.has(parsed.code), `unknown code ${parsed.code}`);
	assert.equal(parsed.scheme, "sigv4");
	assert.equal(typeof parsed.message, "string");
	assert.ok(parsed.status === 400 || parsed.status === 403);
}

test("arbitrary Authorization values and dates: never a throw, always a typed failure", () => {
	fc.assert(
		fc.property(authLike, dateLike, fc.boolean(), (auth, date, httpDate) => {
			expectTyped({
				method: "GET",
				target: "/",
				rawHeaders: [
					"Host",
					"example.amazonaws.com",
					httpDate ? "Date" : "X-Amz-Date",
					date,
					"Authorization",
					auth,
				],
				body: new Uint8Array(),
			});
		}),
		RUNS,
	);
});

test("arbitrary targets, methods and header lists: never a throw", () => {
	fc.assert(
		fc.property(
			targetLike,
			anyString(8),
			fc.array(anyString(12), { maxLength: 9 }),
			fc.uint8Array({ maxLength: 16 }),
			(target, method, rawHeaders, body) => {
				expectTyped({ method, target, rawHeaders, body });
				expectTyped({
					method,
					target,
					rawHeaders: [
						...rawHeaders,
						"Authorization",
						"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
						"X-Amz-Date",
						"20150830T123600Z",
						"Host",
						"h",
					],
					body,
				});
			},
		),
		RUNS,
	);
});

test("the canonicalisers accept any string", () => {
	fc.assert(
		fc.property(anyString(40), (s) => {
			for (const out of [
				uriEncode(s),
				uriEncode(s, true),
				canonicalizeEncoded(s),
				canonicalizeEncoded(s, true),
				canonicalUri(s),
				canonicalUri(s, { normalize: false, doubleEncode: false }),
			]) {
				// Canonical output is plain ASCII: unreserved characters, '/', '%' escapes.
				assert.match(out, /^[A-Za-z0-9\-_.~/%]*$/);
			}
			assert.equal(typeof percentDecode(s), "string");
			assert.equal(typeof normalizePath(s), "string");
			assert.ok(Array.isArray(parseQuery(s)));
			assert.ok(Array.isArray(decodedPath(s).segments));
		}),
		RUNS,
	);
});

test("an Authorization header over 8 KB is refused before it is parsed", () => {
	const big = `AWS4-HMAC-SHA256 Credential=${"A".repeat(9000)}/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`;
	const parsed = parseSigV4(
		{
			method: "GET",
			target: "/",
			rawHeaders: [
				"Host",
				"h",
				"X-Amz-Date",
				"20150830T123600Z",
				"Authorization",
				big,
			],
			body: new Uint8Array(),
		},
		OPTS,
	);
	assert.equal(parsed.ok ? "ok" : parsed.code, "OVERSIZE_AUTHORIZATION");
	const huge = `AWS4-HMAC-SHA256 ${",".repeat(5_000_000)}`;
	const hugeParsed = parseSigV4(
		{
			method: "GET",
			target: "/",
			rawHeaders: ["Authorization", huge],
			body: new Uint8Array(),
		},
		OPTS,
	);
	assert.equal(
		hugeParsed.ok ? "ok" : hugeParsed.code,
		"OVERSIZE_AUTHORIZATION",
	);
});

test("more than 64 signed headers are refused by count, in either form", () => {
	const names = Array.from(
		{ length: 65 },
		(_, i) => `h${String(i).padStart(3, "0")}`,
	).join(";");
	const header = parseSigV4(
		{
			method: "GET",
			target: "/",
			rawHeaders: [
				"Host",
				"h",
				"X-Amz-Date",
				"20150830T123600Z",
				"Authorization",
				`AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=${names}, Signature=${"0".repeat(64)}`,
			],
			body: new Uint8Array(),
		},
		OPTS,
	);
	assert.equal(header.ok ? "ok" : header.code, "TOO_MANY_SIGNED_HEADERS");
	const query = parseSigV4(
		{
			method: "GET",
			target: `/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=${encodeURIComponent(names)}&X-Amz-Signature=00`,
			rawHeaders: ["Host", "h"],
			body: new Uint8Array(),
		},
		OPTS,
	);
	assert.equal(query.ok ? "ok" : query.code, "TOO_MANY_SIGNED_HEADERS");
	const credential = parseSigV4(
		{
			method: "GET",
			target: `/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${"A".repeat(9000)}&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00`,
			rawHeaders: ["Host", "h"],
			body: new Uint8Array(),
		},
		OPTS,
	);
	assert.equal(
		credential.ok ? "ok" : credential.code,
		"OVERSIZE_AUTHORIZATION",
	);
});

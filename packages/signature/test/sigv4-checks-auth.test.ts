// Finding and reading the signature: each failure code of that stage, with AWS's wire name
// and exact text.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
	parseAmzDate,
	parseSigV4,
	presignSigV4,
	verifySigV4,
} from "../src/sigv4/index.ts";
import {
	authOf,
	CREDS,
	EMPTY,
	fail,
	NOW,
	OPTS,
	parsedOf,
	SECRET,
	SIGN,
	signed,
	withHeader,
} from "./fixtures/sigv4-helpers.ts";

test("a request signed by our signer verifies, and the parse carries what the gateway needs", () => {
	const w = signed({
		path: "/a/./b/../c%20d/",
		query: "x=1",
		headers: { "x-amz-meta-t": "v" },
		body: "hi",
	});
	const p = parsedOf(w);
	assert.equal(p.form, "header");
	assert.equal(p.accessKeyId, "AKIDEXAMPLE");
	assert.deepEqual(p.scope, {
		date: "20150830",
		region: "us-east-1",
		service: "lambda",
	});
	assert.equal(p.requestTime, NOW);
	assert.equal(p.canonicalPath, "/a/c d/");
	assert.deepEqual(p.pathSegments, ["a", "c d"]);
	assert.deepEqual(p.signedHeaders, ["host", "x-amz-date", "x-amz-meta-t"]);
	assert.deepEqual(verifySigV4(p, { secretAccessKey: SECRET }), {
		ok: true,
		accessKeyId: "AKIDEXAMPLE",
	});
});

test("route on pathSegments: an encoded '/' or '..' stays inside its segment", () => {
	const p = parsedOf(signed({ path: "/fn/%2E%2E/a%2Fb" }));
	assert.equal(p.canonicalPath, "/fn/../a/b");
	assert.deepEqual(p.pathSegments, ["fn", "..", "a/b"]);
});

test("MISSING_AUTHENTICATION: no Authorization header and no X-Amz-Algorithm", () => {
	const f = fail(
		parseSigV4(
			{ method: "GET", target: "/", rawHeaders: ["Host", "h"], body: EMPTY },
			OPTS,
		),
	);
	assert.deepEqual(
		[f.code, f.wireCode, f.status, f.message],
		[
			"MISSING_AUTHENTICATION",
			"MissingAuthenticationTokenException",
			403,
			"Missing Authentication Token",
		],
	);
});

test("AMBIGUOUS_AUTHENTICATION: header and presigned query at once", () => {
	const w = signed();
	fail(
		parseSigV4({ ...w, target: "/f?X-Amz-Algorithm=AWS4-HMAC-SHA256" }, OPTS),
	);
	const f = fail(parseSigV4({ ...w, target: "/f?x-amz-signature=abc" }, OPTS));
	assert.equal(f.code, "AMBIGUOUS_AUTHENTICATION");
});

test("INCOMPLETE_SIGNATURE: AWS lists every missing part; the header's shape is echoed, never its credentials", () => {
	const f = fail(
		parseSigV4(
			{
				method: "GET",
				target: "/",
				rawHeaders: ["Host", "h", "Authorization", "Basic dXNlcjpwYXNz"],
				body: EMPTY,
			},
			OPTS,
		),
	);
	assert.equal(f.code, "INCOMPLETE_SIGNATURE");
	assert.equal(f.wireCode, "IncompleteSignatureException");
	assert.equal(
		f.message,
		"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=Basic …",
	);
	const q = fail(
		parseSigV4(
			{
				method: "GET",
				target: "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a",
				rawHeaders: ["Host", "h"],
				body: EMPTY,
			},
			OPTS,
		),
	);
	assert.equal(
		q.message,
		"AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
	);
});

test("MALFORMED_AUTHORIZATION: a component without '='", () => {
	const bad =
		"AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders=host";
	const f = fail(parseSigV4(withHeader(signed(), "authorization", bad), OPTS));
	assert.equal(f.code, "MALFORMED_AUTHORIZATION");
	assert.equal(
		f.message,
		"'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Signature=…, Credential, SignedHeaders=…'.",
	);
	// A component that is not a known name may be the signature itself: not quoted.
	const garbled = `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request, SignedHeaders=host, ${"ab".repeat(32)}`;
	const g = fail(
		parseSigV4(withHeader(signed(), "authorization", garbled), OPTS),
	);
	assert.equal(
		g.message,
		"'…' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request, SignedHeaders=…, …'.",
	);
});

test("UNSUPPORTED_ALGORITHM", () => {
	const w = signed();
	const f = fail(
		parseSigV4(
			withHeader(
				w,
				"authorization",
				authOf(w).replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
			),
			OPTS,
		),
	);
	assert.equal(f.code, "UNSUPPORTED_ALGORITHM");
	assert.equal(
		f.message,
		"Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
	);
});

test("MALFORMED_CREDENTIAL: not five parts", () => {
	const w = signed();
	const f = fail(
		parseSigV4(
			withHeader(
				w,
				"authorization",
				authOf(w).replace(
					"AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request",
					"a/b/c/d",
				),
			),
			OPTS,
		),
	);
	assert.equal(f.code, "MALFORMED_CREDENTIAL");
	assert.equal(
		f.message,
		"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'",
	);
});

test("INVALID_DATE: X-Amz-Date not in ISO 8601 basic format", () => {
	const f = fail(
		parseSigV4(
			withHeader(signed(), "x-amz-date", "2015-08-30T12:36:00Z"),
			OPTS,
		),
	);
	assert.equal(f.code, "INVALID_DATE");
	assert.equal(
		f.message,
		"Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
	);
	fail(
		parseSigV4(withHeader(signed(), "x-amz-date", "20150231T123600Z"), OPTS),
	);
});

test("HEADER_NOT_SIGNED: host, and every x-amz-* header present", () => {
	const w = signed();
	const noHost = fail(
		parseSigV4(
			withHeader(w, "authorization", authOf(w).replace("host;", "")),
			OPTS,
		),
	);
	assert.deepEqual(
		[noHost.code, noHost.wireCode, noHost.message],
		[
			"HEADER_NOT_SIGNED",
			"InvalidSignatureException",
			"'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
		],
	);
	const extra = fail(
		parseSigV4(
			{ ...w, rawHeaders: [...w.rawHeaders, "X-Amz-Meta-Late", "1"] },
			OPTS,
		),
	);
	assert.equal(
		extra.message,
		"'x-amz-meta-late' must be a 'SignedHeader' in the AWS Authorization.",
	);
	const token = fail(
		parseSigV4(
			{ ...w, rawHeaders: [...w.rawHeaders, "X-Amz-Security-Token", "t"] },
			OPTS,
		),
	);
	assert.equal(
		token.message,
		"'x-amz-security-token' must be a 'SignedHeader' in the AWS Authorization.",
	);
});

test("MALFORMED_SIGNED_HEADERS and DUPLICATE_AUTH_PARAMETER", () => {
	const w = signed();
	const unsorted = fail(
		parseSigV4(
			withHeader(
				w,
				"authorization",
				authOf(w).replace("host;x-amz-date", "x-amz-date;host"),
			),
			OPTS,
		),
	);
	assert.deepEqual(
		[unsorted.code, unsorted.message],
		[
			"MALFORMED_SIGNED_HEADERS",
			"SignedHeaders must be lower-case header names, sorted, without duplicates: 'x-amz-date;host'.",
		],
	);
	fail(
		parseSigV4(
			withHeader(
				w,
				"authorization",
				authOf(w).replace("host;x-amz-date", "Host;x-amz-date"),
			),
			OPTS,
		),
	);
	const twice = fail(
		parseSigV4(
			{ ...w, rawHeaders: [...w.rawHeaders, "Authorization", authOf(w)] },
			OPTS,
		),
	);
	assert.deepEqual(
		[twice.code, twice.message],
		[
			"DUPLICATE_AUTH_PARAMETER",
			"'Authorization' appears more than once in the request.",
		],
	);
	const p = presignSigV4(
		{ method: "GET", host: "fn.example.com", path: "/f" },
		CREDS,
		SIGN,
	);
	const dupSig = fail(
		parseSigV4(
			{
				method: "GET",
				target: `/f?${p.query}&X-Amz-Signature=${"0".repeat(64)}`,
				rawHeaders: ["Host", "fn.example.com"],
				body: EMPTY,
			},
			OPTS,
		),
	);
	assert.equal(
		dupSig.message,
		"'X-Amz-Signature' appears more than once in the request.",
	);
	const lowerSig = fail(
		parseSigV4(
			{
				method: "GET",
				target: `/f?${p.query}&x-amz-signature=1`,
				rawHeaders: ["Host", "fn.example.com"],
				body: EMPTY,
			},
			OPTS,
		),
	);
	assert.equal(
		lowerSig.code,
		"DUPLICATE_AUTH_PARAMETER",
		"an unsigned second spelling of the signature is refused",
	);
});

test("dates: leap days, and a second Host header is refused", () => {
	assert.equal(parseAmzDate("20240229T000000Z"), Date.UTC(2024, 1, 29));
	assert.equal(parseAmzDate("20230229T000000Z"), undefined);
	assert.equal(parseAmzDate("21000229T000000Z"), undefined);
	assert.equal(
		parseAmzDate("20000229T235959Z"),
		Date.UTC(2000, 1, 29, 23, 59, 59),
	);
	assert.equal(parseAmzDate("20150830T123660Z"), undefined);
	const w = signed();
	const twice = fail(
		parseSigV4(
			{ ...w, rawHeaders: [...w.rawHeaders, "Host", "evil.example"] },
			OPTS,
		),
	);
	assert.deepEqual(
		[twice.code, twice.message],
		[
			"DUPLICATE_AUTH_PARAMETER",
			"'Host' appears more than once in the request.",
		],
	);
});

// One test per check: every failure code reachable, its AWS wire name and its exact text; the
// mismatch diagnosis for each common client mistake; the signing key and its cache.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { after, test } from "node:test";
import type { WireRequest } from "../src/request.ts";
import type { Result } from "../src/result.ts";
import {
	credentialScope,
	deriveSigningKey,
	type ParsedSigV4,
	parseAmzDate,
	parseHttpDate,
	parseSigV4,
	presignSigV4,
	SIGV4_FAILURES,
	SigningKeyCache,
	type SigV4VerifyOptions,
	signSigV4,
	sigv4Failure,
	stringToSign,
	verifySigV4,
} from "../src/sigv4/index.ts";

const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const CREDS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: SECRET };
const NOW = Date.parse("2015-08-30T12:36:00Z");
const OPTS: SigV4VerifyOptions = {
	region: "us-east-1",
	services: ["lambda"],
	now: NOW,
};
const SIGN = { region: "us-east-1", service: "lambda", now: NOW };
const EMPTY = new Uint8Array();
const seen = new Set<string>();

/** Records each code a test reaches, so the last test can check that every code is reachable. */
function code(result: Result<unknown>): string {
	const c = result.ok ? "ok" : result.code;
	seen.add(c);
	return c;
}

/** A request signed by our signer, as it would arrive: method, target, headers, body. */
function signed(
	overrides: {
		path?: string;
		query?: string;
		headers?: Record<string, string>;
		body?: string;
		method?: string;
	} = {},
	signOpts = {},
): WireRequest {
	const body = overrides.body ?? "";
	const headers = { host: "fn.example.com", ...overrides.headers };
	const s = signSigV4(
		{
			method: overrides.method ?? "POST",
			host: headers.host,
			path: overrides.path ?? "/f",
			query: overrides.query ?? "",
			headers,
			body,
		},
		CREDS,
		{ ...SIGN, ...signOpts },
	);
	const raw = [
		...Object.entries(headers).flat(),
		...Object.entries(s.headers).flat(),
	];
	const target = overrides.query
		? `${overrides.path ?? "/f"}?${overrides.query}`
		: (overrides.path ?? "/f");
	return {
		method: overrides.method ?? "POST",
		target,
		rawHeaders: raw,
		body: new TextEncoder().encode(body),
	};
}
const withHeader = (
	w: WireRequest,
	name: string,
	value: string,
): WireRequest => {
	const raw = [...w.rawHeaders];
	const i = raw.findIndex((h, j) => j % 2 === 0 && h.toLowerCase() === name);
	if (i === -1) raw.push(name, value);
	else raw[i + 1] = value;
	return { ...w, rawHeaders: raw };
};
const authOf = (w: WireRequest) =>
	w.rawHeaders[w.rawHeaders.indexOf("authorization") + 1] as string;
function fail(result: Result<unknown>): {
	code: string;
	wireCode: string;
	status: number;
	message: string;
} {
	assert.equal(result.ok, false);
	if (result.ok) throw new Error("unreachable");
	seen.add(result.code);
	return result;
}
function parsedOf(
	w: WireRequest,
	opts: SigV4VerifyOptions = OPTS,
): ParsedSigV4 {
	const p = parseSigV4(w, opts);
	assert.ok(p.ok, p.ok ? "" : `${p.code}: ${p.message}`);
	seen.add("ok");
	return p.request;
}

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

test("INCOMPLETE_SIGNATURE: AWS lists every missing part and echoes the header", () => {
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
		"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=Basic dXNlcjpwYXNz",
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
		`'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: '${bad}'.`,
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

test("scope checks: region, service, terminator, date — each its own code, AWS's texts concatenated", () => {
	const w = signed();
	const rescope = (scope: string) =>
		withHeader(
			w,
			"authorization",
			authOf(w).replace("20150830/us-east-1/lambda/aws4_request", scope),
		);
	const region = fail(
		parseSigV4(rescope("20150830/eu-west-1/lambda/aws4_request"), OPTS),
	);
	assert.deepEqual(
		[region.code, region.wireCode, region.message],
		[
			"SCOPE_REGION",
			"InvalidSignatureException",
			"Credential should be scoped to a valid region. ",
		],
	);
	const service = fail(
		parseSigV4(rescope("20150830/us-east-1/s3/aws4_request"), OPTS),
	);
	assert.deepEqual(
		[service.code, service.message],
		[
			"SCOPE_SERVICE",
			"Credential should be scoped to correct service: 'lambda'. ",
		],
	);
	const term = fail(
		parseSigV4(rescope("20150830/us-east-1/lambda/aws4_requests"), OPTS),
	);
	assert.deepEqual(
		[term.code, term.message],
		[
			"SCOPE_TERMINATOR",
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_requests'. ",
		],
	);
	const date = fail(
		parseSigV4(rescope("20150831/us-east-1/lambda/aws4_request"), OPTS),
	);
	assert.deepEqual(
		[date.code, date.message],
		[
			"SCOPE_DATE",
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'.",
		],
	);
	const all = fail(parseSigV4(rescope("b/c/d/e"), OPTS));
	assert.equal(all.code, "SCOPE_REGION");
	assert.equal(
		all.message,
		"Credential should be scoped to a valid region. Credential should be scoped to correct service: 'lambda'. Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'b' != '20150830', from '20150830T123600Z'.",
	);
	assert.ok(parseSigV4(w, { ...OPTS, services: ["execute-api", "lambda"] }).ok);
});

test("SIGNATURE_EXPIRED and SIGNATURE_NOT_YET_CURRENT, worded as AWS does", () => {
	const w = signed();
	const expired = fail(
		parseSigV4(w, { ...OPTS, now: Date.parse("2015-08-30T12:51:00Z") }),
	);
	assert.equal(expired.code, "SIGNATURE_EXPIRED");
	assert.equal(
		expired.message,
		"Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z (20150830T125100Z - 5 min.)",
	);
	const future = fail(
		parseSigV4(w, { ...OPTS, now: Date.parse("2015-08-30T12:21:00Z") }),
	);
	assert.equal(future.code, "SIGNATURE_NOT_YET_CURRENT");
	assert.equal(
		future.message,
		"Signature not yet current: 20150830T123600Z is still later than 20150830T122600Z (20150830T122100Z + 5 min.)",
	);
	assert.ok(
		parseSigV4(w, { ...OPTS, now: NOW + 5 * 60_000 }).ok,
		"exactly 5 minutes is still inside",
	);
	const custom = fail(
		parseSigV4(w, { ...OPTS, now: NOW + 16 * 60_000, maxSkewMs: 15 * 60_000 }),
	);
	assert.match(custom.message, /\(20150830T125200Z - 15 min\.\)$/);
});

test("the Date header (RFC 1123) stands in for X-Amz-Date and must be signed", () => {
	assert.equal(parseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT"), NOW);
	assert.equal(
		parseHttpDate("Mon, 30 Aug 2015 12:36:00 GMT"),
		undefined,
		"wrong weekday",
	);
	const headers = "date:Sun, 30 Aug 2015 12:36:00 GMT\nhost:fn.example.com\n";
	const canonical = `GET\n/\n\n${headers}\ndate;host\n${createHash("sha256").update("").digest("hex")}`;
	const scope = credentialScope("20150830", "us-east-1", "lambda");
	const sts = stringToSign(
		"20150830T123600Z",
		scope,
		createHash("sha256").update(canonical).digest("hex"),
	);
	const sig = createHmac(
		"sha256",
		deriveSigningKey(SECRET, "20150830", "us-east-1", "lambda"),
	)
		.update(sts)
		.digest("hex");
	const auth = `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${scope}, SignedHeaders=date;host, Signature=${sig}`;
	const w: WireRequest = {
		method: "GET",
		target: "/",
		rawHeaders: [
			"Host",
			"fn.example.com",
			"Date",
			"Sun, 30 Aug 2015 12:36:00 GMT",
			"Authorization",
			auth,
		],
		body: EMPTY,
	};
	assert.ok(verifySigV4(parsedOf(w), CREDS).ok);
	const unsigned = fail(
		parseSigV4(
			withHeader(w, "authorization", auth.replace("date;host", "host")),
			OPTS,
		),
	);
	assert.deepEqual(
		[unsigned.code, unsigned.message],
		[
			"HEADER_NOT_SIGNED",
			"'Date' must be a 'SignedHeader' in the AWS Authorization.",
		],
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

test("presigned window: X-Amz-Expires bounds, Request has expired, not yet current", () => {
	const p = presignSigV4(
		{ method: "GET", host: "fn.example.com", path: "/f", query: "a=1" },
		CREDS,
		{ ...SIGN, expiresIn: 60 },
	);
	const wire = (query: string): WireRequest => ({
		method: "GET",
		target: `/f?${query}`,
		rawHeaders: ["Host", "fn.example.com"],
		body: EMPTY,
	});
	const ok = parsedOf(wire(p.query), { ...OPTS, now: NOW + 60_000 });
	assert.equal(ok.form, "query");
	assert.equal(ok.expiresAt, NOW + 60_000);
	assert.ok(verifySigV4(ok, CREDS).ok);
	const late = fail(parseSigV4(wire(p.query), { ...OPTS, now: NOW + 61_000 }));
	assert.deepEqual(
		[late.code, late.status, late.message],
		["PRESIGNED_EXPIRED", 403, "Request has expired"],
	);
	const early = fail(
		parseSigV4(wire(p.query), { ...OPTS, now: NOW - 6 * 60_000 }),
	);
	assert.equal(early.code, "SIGNATURE_NOT_YET_CURRENT");
	const week = fail(
		parseSigV4(
			wire(p.query.replace("X-Amz-Expires=60", "X-Amz-Expires=604801")),
			OPTS,
		),
	);
	assert.deepEqual(
		[week.code, week.wireCode, week.status, week.message],
		[
			"INVALID_EXPIRES",
			"AuthorizationQueryParametersError",
			400,
			"X-Amz-Expires must be less than a week (in seconds) that is 604800",
		],
	);
	assert.equal(
		fail(
			parseSigV4(
				wire(p.query.replace("X-Amz-Expires=60", "X-Amz-Expires=-5")),
				OPTS,
			),
		).message,
		"X-Amz-Expires should be a number",
	);
	assert.equal(
		fail(
			parseSigV4(
				wire(p.query.replace("X-Amz-Expires=60", "X-Amz-Expires=0")),
				OPTS,
			),
		).message,
		"X-Amz-Expires must be at least 1 second",
	);
	// Without X-Amz-Expires (aws4 and aws4fetch send none outside S3) the date must be within the skew.
	const noExpires = wire(p.query.replace("&X-Amz-Expires=60", ""));
	const fresh = parsedOf(noExpires, { ...OPTS, now: NOW + 60_000 });
	assert.equal(fresh.expiresAt, NOW + 5 * 60_000);
	assert.equal(
		code(verifySigV4(fresh, CREDS)),
		"SIGNATURE_MISMATCH",
		"X-Amz-Expires was signed",
	);
	assert.equal(
		fail(parseSigV4(noExpires, { ...OPTS, now: NOW + 6 * 60_000 })).code,
		"SIGNATURE_EXPIRED",
	);
	assert.throws(
		() =>
			presignSigV4({ method: "GET", host: "h" }, CREDS, {
				...SIGN,
				expiresIn: 604801,
			}),
		RangeError,
	);
});

test("payload hash: CONTENT_SHA256_MISMATCH, UNSIGNED_PAYLOAD_REFUSED unless allowed", () => {
	const hashed = signed({ body: "hello" }, { signBodyHash: true });
	assert.ok(verifySigV4(parsedOf(hashed), CREDS).ok);
	const tampered = fail(
		parseSigV4({ ...hashed, body: new TextEncoder().encode("hellO") }, OPTS),
	);
	assert.deepEqual(
		[tampered.code, tampered.wireCode, tampered.status, tampered.message],
		[
			"CONTENT_SHA256_MISMATCH",
			"XAmzContentSHA256Mismatch",
			400,
			"The provided 'x-amz-content-sha256' header does not match what was computed.",
		],
	);
	const unsigned = signed({ body: "hello" }, { unsignedPayload: true });
	const refused = fail(parseSigV4(unsigned, OPTS));
	assert.equal(refused.code, "UNSIGNED_PAYLOAD_REFUSED");
	const allowed = parsedOf(
		{ ...unsigned, body: new TextEncoder().encode("anything") },
		{ ...OPTS, allowUnsignedPayload: true },
	);
	assert.ok(verifySigV4(allowed, CREDS).ok);
	// A body hash supplied by the caller (hashed once for all schemes) is used as is.
	const plain = signed({ body: "hello" });
	assert.ok(
		verifySigV4(
			parsedOf({
				...plain,
				bodySha256Hex: createHash("sha256").update("hello").digest("hex"),
			}),
			CREDS,
		).ok,
	);
	assert.equal(
		code(
			verifySigV4(parsedOf({ ...plain, bodySha256Hex: "0".repeat(64) }), CREDS),
		),
		"SIGNATURE_MISMATCH",
	);
});

test("SIGNATURE_MISMATCH with a wrong secret: AWS's text, the server's canonical request and string to sign, no secret material", () => {
	const w = signed({ body: "x" });
	const p = parsedOf(w);
	const result = verifySigV4(p, { secretAccessKey: "not-the-secret" });
	const f = fail(result);
	assert.equal(f.code, "SIGNATURE_MISMATCH");
	assert.equal(f.wireCode, "InvalidSignatureException");
	assert.equal(
		f.message,
		"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
	);
	assert.ok(!result.ok);
	const d = result.diagnosis;
	assert.equal(d?.canonicalRequest?.split("\n")[0], "POST");
	assert.match(
		d?.stringToSign ?? "",
		/^AWS4-HMAC-SHA256\n20150830T123600Z\n20150830\/us-east-1\/lambda\/aws4_request\n[0-9a-f]{64}$/,
	);
	assert.match(d?.likelyCause ?? "", /^No common client mistake/);
	const everything = JSON.stringify(result);
	const key = deriveSigningKey(
		"not-the-secret",
		"20150830",
		"us-east-1",
		"lambda",
	);
	const expected = createHmac("sha256", key)
		.update(d?.stringToSign ?? "")
		.digest("hex");
	for (const secret of [
		"not-the-secret",
		key.toString("hex"),
		key.toString("base64"),
		expected,
	])
		assert.ok(!everything.includes(secret), "secret material leaked");
	const badHex = fail(
		verifySigV4(
			parsedOf(
				withHeader(
					w,
					"authorization",
					authOf(w).replace(/Signature=\w+/, "Signature=XYZ"),
				),
			),
			CREDS,
		),
	);
	assert.equal(badHex.code, "SIGNATURE_MISMATCH");
});

/** Re-signs `w` after rewriting canonical-request line `line` — a client that made that mistake. */
function mistaken(
	w: WireRequest,
	edit: (lines: string[]) => void,
	opts: SigV4VerifyOptions = OPTS,
): string | undefined {
	const p = parsedOf(w, opts);
	const lines = [
		p.canonical.method,
		p.canonical.uri,
		p.canonical.query,
		...p.canonical.headers.split("\n").slice(0, -1),
		"",
		p.canonical.signedHeaders,
		p.payloadHash,
	];
	edit(lines);
	const scope = credentialScope("20150830", "us-east-1", "lambda");
	const sts = stringToSign(
		"20150830T123600Z",
		scope,
		createHash("sha256").update(lines.join("\n")).digest("hex"),
	);
	const sig = createHmac(
		"sha256",
		deriveSigningKey(SECRET, "20150830", "us-east-1", "lambda"),
	)
		.update(sts)
		.digest("hex");
	const forged = withHeader(
		w,
		"authorization",
		authOf(w).replace(/Signature=\w+/, `Signature=${sig}`),
	);
	const result = verifySigV4(parsedOf(forged, opts), CREDS);
	assert.equal(code(result), "SIGNATURE_MISMATCH");
	return result.ok ? undefined : result.diagnosis?.likelyCause;
}

test("diagnosis: port left out of the host, or added to it", () => {
	const withPort = signed({ headers: { host: "fn.example.com:8443" } });
	assert.match(
		mistaken(withPort, (l) => {
			l[3] = "host:fn.example.com";
		}) ?? "",
		/signed the host without its port \('fn\.example\.com'\); the Host header carries 'fn\.example\.com:8443'/,
	);
	assert.match(
		mistaken(signed(), (l) => {
			l[3] = "host:fn.example.com:443";
		}) ?? "",
		/signed the host with port 443/,
	);
});

test("diagnosis: path encoded once, path not normalised", () => {
	const w = signed({ path: "/a%20b/./c" });
	assert.match(
		mistaken(w, (l) => {
			l[1] = "/a%20b/c";
		}) ?? "",
		/encoded the path once/,
	);
	assert.match(
		mistaken(w, (l) => {
			l[1] = "/a%2520b/./c";
		}) ?? "",
		/without removing '\.', '\.\.' and empty segments/,
	);
});

test("diagnosis: '+' in the query read as a space", () => {
	const w = signed({ query: "q=a+b" });
	assert.equal(parsedOf(w).canonical.query, "q=a%2Bb");
	assert.match(
		mistaken(w, (l) => {
			l[2] = "q=a%20b";
		}) ?? "",
		/read '\+' in the query as a space/,
	);
});

test("diagnosis: body hash versus UNSIGNED-PAYLOAD", () => {
	const w = signed({ body: "data" });
	assert.match(
		mistaken(w, (l) => {
			l[l.length - 1] = "UNSIGNED-PAYLOAD";
		}) ?? "",
		/signed UNSIGNED-PAYLOAD as the payload hash but did not send/,
	);
	const u = signed({ body: "data" }, { unsignedPayload: true });
	const bodyHash = createHash("sha256").update("data").digest("hex");
	assert.match(
		mistaken(
			u,
			(l) => {
				l[l.length - 1] = bodyHash;
			},
			{ ...OPTS, allowUnsignedPayload: true },
		) ?? "",
		/signed the body hash but sent x-amz-content-sha256: UNSIGNED-PAYLOAD/,
	);
});

test("signing key: AWS's documented example, and a bounded caller-owned cache", () => {
	// docs.aws.amazon.com, "Examples of how to derive a signing key for Signature Version 4".
	assert.equal(
		deriveSigningKey(SECRET, "20120215", "us-east-1", "iam").toString("hex"),
		"f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d",
	);
	const cache = new SigningKeyCache(2);
	const a = cache.get(SECRET, "20150830", "us-east-1", "lambda");
	assert.equal(
		cache.get(SECRET, "20150830", "us-east-1", "lambda"),
		a,
		"second lookup is a hit",
	);
	cache.get(SECRET, "20150831", "us-east-1", "lambda");
	cache.get("other", "20150830", "us-east-1", "lambda");
	assert.equal(cache.size, 2);
	assert.throws(() => new SigningKeyCache(0), RangeError);
	const w = signed();
	assert.ok(verifySigV4(parsedOf(w), CREDS, { keyCache: cache }).ok);
	assert.ok(verifySigV4(parsedOf(w), CREDS, { keyCache: cache }).ok);
	assert.equal(
		code(
			verifySigV4(
				parsedOf(w),
				{ secretAccessKey: "other" },
				{ keyCache: cache },
			),
		),
		"SIGNATURE_MISMATCH",
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

test("presignSigV4 with a url hands back the full URL, which verifies", () => {
	const p = presignSigV4(
		{ method: "GET", url: "https://fn.example.com:8443/f/x?b=2&a=1" },
		{ ...CREDS, sessionToken: "tok/en+" },
		{ ...SIGN, expiresIn: 30 },
	);
	assert.ok(p.url.startsWith("https://fn.example.com:8443/f/x?b=2&a=1&"));
	const u = new URL(p.url);
	const parsed = parsedOf({
		method: "GET",
		target: u.pathname + u.search,
		rawHeaders: ["Host", u.host],
		body: EMPTY,
	});
	assert.equal(parsed.securityToken, "tok/en+");
	assert.ok(verifySigV4(parsed, CREDS).ok);
	const s = signSigV4(
		{ method: "GET", url: new URL("https://fn.example.com/p?q=1") },
		CREDS,
		SIGN,
	);
	assert.match(
		s.headers.authorization ?? "",
		/SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}$/,
	);
});

test("non-ASCII header values: the UTF-8 bytes a client signed arrive as latin1 characters and still verify", () => {
	const s = signSigV4(
		{
			method: "GET",
			host: "fn.example.com",
			path: "/",
			headers: { "x-name": "José ✓" },
		},
		CREDS,
		SIGN,
	);
	// Node decodes header bytes as latin1: each UTF-8 byte becomes one character.
	const asReceived = Buffer.from("José ✓", "utf8").toString("latin1");
	const w: WireRequest = {
		method: "GET",
		target: "/",
		rawHeaders: [
			"Host",
			"fn.example.com",
			"X-Name",
			asReceived,
			...Object.entries(s.headers).flat(),
		],
		body: EMPTY,
	};
	const p = parsedOf(w);
	assert.equal(p.canonical.headerWidth, 1);
	assert.ok(verifySigV4(p, CREDS).ok);
});

test("gateway-side codes are in the table with AWS's wire names", () => {
	const unknown = sigv4Failure("UNKNOWN_ACCESS_KEY");
	assert.deepEqual(
		[unknown.wireCode, unknown.status, unknown.message],
		[
			"UnrecognizedClientException",
			403,
			"The security token included in the request is invalid.",
		],
	);
	const expired = sigv4Failure("EXPIRED_TOKEN");
	assert.deepEqual(
		[expired.wireCode, expired.status, expired.message],
		[
			"ExpiredTokenException",
			403,
			"The security token included in the request is expired",
		],
	);
	seen.add("UNKNOWN_ACCESS_KEY");
	seen.add("EXPIRED_TOKEN");
});

after(() => {
	// Every code in the table is reached by some test above.
	const missing = Object.keys(SIGV4_FAILURES).filter((c) => !seen.has(c));
	assert.deepEqual(
		missing,
		["OVERSIZE_AUTHORIZATION", "TOO_MANY_SIGNED_HEADERS"].filter((c) =>
			missing.includes(c),
		),
	);
});

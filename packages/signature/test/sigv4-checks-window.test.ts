// Scope, clock, presigned window and payload hash: each failure code, with AWS's exact text.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { test } from "node:test";
import type { WireRequest } from "../src/request.ts";
import {
	credentialScope,
	deriveSigningKey,
	parseHttpDate,
	parseSigV4,
	presignSigV4,
	signSigV4,
	stringToSign,
	verifySigV4,
} from "../src/sigv4/index.ts";
import {
	authOf,
	CREDS,
	code,
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

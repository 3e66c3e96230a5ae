// A mismatch: AWS's answer, the server's canonical request and string to sign, the client
// mistake that explains it, never secret material; and the signing key and its cache.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { WireRequest } from "../src/request.ts";
import {
	credentialScope,
	deriveSigningKey,
	SIGV4_FAILURES,
	SigningKeyCache,
	type SigV4VerifyOptions,
	signSigV4,
	sigv4Failure,
	stringToSign,
	verifySigV4,
} from "../src/sigv4/index.ts";
import {
	authOf,
	CREDS,
	code,
	EMPTY,
	fail,
	OPTS,
	parsedOf,
	SECRET,
	SIGN,
	signed,
	withHeader,
} from "./fixtures/sigv4-helpers.ts";

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

test("diagnose: false skips the re-signing but keeps the server's stages", () => {
	const result = verifySigV4(
		parsedOf(signed()),
		{ secretAccessKey: "wrong" },
		{ diagnose: false },
	);
	assert.equal(code(result), "SIGNATURE_MISMATCH");
	assert.ok(!result.ok);
	assert.equal(result.diagnosis?.likelyCause, undefined);
	assert.match(result.diagnosis?.canonicalRequest ?? "", /^POST\n\/f\n/);
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
});

test("every failure code in SIGV4_FAILURES is asserted by some SigV4 test", () => {
	const sources = readdirSync(import.meta.dirname)
		.filter((f) => f.startsWith("sigv4") && f.endsWith(".test.ts"))
		.map((f) => readFileSync(join(import.meta.dirname, f), "utf8"))
		.join("\n");
	const untested = Object.keys(SIGV4_FAILURES).filter(
		(c) => !sources.includes(`"${c}"`),
	);
	assert.deepEqual(untested, []);
});

// A mismatch diagnosis never carries a session token: header form, presigned form and ACS3.
// No failure message quotes a signature or a whole Authorization value, however the client
// garbled it; non-secret parts are quoted only as bounded snippets.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
	parseAcs3,
	parseFcSignature,
	parseSigV4,
	presignSigV4,
	signAcs3,
	signSigV4,
	verifyAcs3,
	verifySigV4,
	type WireRequest,
} from "../src/index.ts";
import {
	authorizationShape,
	keyIdSnippet,
	redactTokens,
	signedHeadersSnippet,
} from "../src/shared/redact.ts";

const TOKEN = "FQoGZXIvYXdzEXAMPLEsessiontokenVALUE0123456789";
const creds = {
	accessKeyId: "ASIAEXAMPLEEXAMPLE00",
	secretAccessKey: "right-secret",
	sessionToken: TOKEN,
};
const now = Date.UTC(2026, 10, 23, 12, 0, 0);
const opts = { region: "us-east-1", services: ["lambda"], now };

function mismatchDiagnosis(wire: WireRequest): string {
	const parsed = parseSigV4(wire, opts);
	assert.ok(parsed.ok, parsed.ok ? "" : parsed.message);
	const result = verifySigV4(parsed.request, {
		secretAccessKey: "wrong-secret",
	});
	assert.equal(result.ok, false);
	return JSON.stringify(result.ok ? null : result.diagnosis);
}

test("SigV4 header form: the token header is redacted in the diagnosis", () => {
	const s = signSigV4(
		{ method: "GET", host: "gw.example", path: "/function/f" },
		creds,
		{ region: "us-east-1", service: "lambda", now },
	);
	const wire: WireRequest = {
		method: "GET",
		target: "/function/f",
		rawHeaders: ["host", "gw.example", ...Object.entries(s.headers).flat()],
		body: new Uint8Array(),
	};
	const text = mismatchDiagnosis(wire);
	assert.doesNotMatch(text, new RegExp(TOKEN));
	assert.match(text, /x-amz-security-token:\[redacted\]/);
});

test("SigV4 presigned form: the token query parameter is redacted in the diagnosis", () => {
	const p = presignSigV4(
		{ method: "GET", host: "gw.example", path: "/function/f" },
		creds,
		{ region: "us-east-1", service: "lambda", now, expiresIn: 300 },
	);
	const u = new URL(p.url, "http://gw.example");
	const wire: WireRequest = {
		method: "GET",
		target: `${u.pathname}${u.search}`,
		rawHeaders: ["host", "gw.example"],
		body: new Uint8Array(),
	};
	const text = mismatchDiagnosis(wire);
	assert.doesNotMatch(text, new RegExp(TOKEN));
	assert.match(text, /X-Amz-Security-Token=\[redacted\]/);
});

test("ACS3: the x-acs-security-token header is redacted in the diagnosis", () => {
	const signed = signAcs3({
		method: "GET",
		target: "/function/f",
		headers: { host: "gw.example" },
		accessKeyId: "STS.example",
		accessKeySecret: "right-secret",
		securityToken: TOKEN,
		now,
	});
	const wire: WireRequest = {
		method: "GET",
		target: "/function/f",
		rawHeaders: [
			...Object.entries({
				host: "gw.example",
				...signed.headers,
				authorization: signed.authorization,
			}).flat(),
		],
		body: new Uint8Array(),
	};
	const parsed = parseAcs3(wire, { now });
	assert.ok(parsed.ok, parsed.ok ? "" : parsed.message);
	const result = verifyAcs3(parsed.request, {
		accessKeySecret: "wrong-secret",
	});
	assert.equal(result.ok, false);
	const text = JSON.stringify(result.ok ? null : result.diagnosis);
	assert.doesNotMatch(text, new RegExp(TOKEN));
	assert.match(text, /x-acs-security-token:\[redacted\]/);
});

test("redactTokens leaves everything else as it was, and an empty token as it was", () => {
	assert.equal(
		redactTokens("GET\n/\na=1\nhost:x\nx-acs-security-token:\n"),
		"GET\n/\na=1\nhost:x\nx-acs-security-token:\n",
	);
	assert.equal(
		redactTokens("A=1&X-Amz-Security-Token=abc%2F&Z=2"),
		"A=1&X-Amz-Security-Token=[redacted]&Z=2",
	);
	assert.equal(
		redactTokens("x-fc-security-token:abc\nx-fc-other:1"),
		"x-fc-security-token:[redacted]\nx-fc-other:1",
	);
});

test("ACS3: a client that signs its own Authorization header does not get it quoted in the diagnosis", () => {
	const date = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
	const authorization = `ACS3-HMAC-SHA256 Credential=LTAIexample,SignedHeaders=authorization;host;x-acs-date,Signature=${"5e".repeat(32)}`;
	const parsed = parseAcs3(
		{
			method: "GET",
			target: "/f",
			rawHeaders: [
				"host",
				"gw.example",
				"x-acs-date",
				date,
				"authorization",
				authorization,
			],
			body: new Uint8Array(),
		},
		{ now },
	);
	assert.ok(parsed.ok, parsed.ok ? "" : parsed.message);
	const result = verifyAcs3(parsed.request, { accessKeySecret: "s" });
	const text = JSON.stringify(result.ok ? null : result.diagnosis);
	assert.doesNotMatch(text, /5e5e5e5e/);
	assert.match(text, /authorization:\[redacted\]/);
});

test("redactTokens also hides Authorization, Proxy-Authorization and Cookie lines", () => {
	assert.equal(
		redactTokens(
			"authorization:AWS4 x\ncookie:s=1\nproxy-authorization:Basic y\nhost:h",
		),
		"authorization:[redacted]\ncookie:[redacted]\nproxy-authorization:[redacted]\nhost:h",
	);
});

test("the shape of an Authorization value names its components, never their values", () => {
	assert.equal(
		authorizationShape(
			"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=abc",
		),
		"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/lambda/aws4_request, SignedHeaders=…, Signature=…",
	);
	assert.equal(authorizationShape("Basic dXNlcjpwYXNz"), "Basic …");
	assert.equal(authorizationShape("Bearer"), "Bearer");
	assert.equal(
		authorizationShape("ACS3-HMAC-SHA256,Signature=abc"),
		"ACS3-HMAC-SHA256…",
	);
	// A missing comma cannot drag the signature into the credential's snippet.
	assert.equal(
		authorizationShape(
			"AWS4-HMAC-SHA256 Credential=AKID/d/r/s/aws4_request Signature=abc",
		),
		"AWS4-HMAC-SHA256 Credential=AKID/d/r/s/aws4_request…",
	);
	assert.equal(keyIdSnippet("LTAI5tExample"), "LTAI5tExample");
	assert.equal(keyIdSnippet(`AKID ${"x".repeat(10)}`), "AKID…");
	assert.equal(keyIdSnippet("A".repeat(200)).length, 65);
	assert.equal(
		signedHeadersSnippet(`host;x-amz-date;${"0a".repeat(32)}`),
		"host;x-amz-date;…",
	);
});

/** A request at `now` with the given Authorization and the date headers every scheme looks for. */
function wireWith(authorization: string): WireRequest {
	const d = new Date(now);
	return {
		method: "GET",
		target: "/f",
		rawHeaders: [
			"host",
			"gw.example",
			"x-amz-date",
			d.toISOString().replace(/[-:]|\.\d{3}/g, ""),
			"x-acs-date",
			d.toISOString().replace(/\.\d{3}Z$/, "Z"),
			"date",
			d.toUTCString(),
			"authorization",
			authorization,
		],
		body: new Uint8Array(),
	};
}

test("property: however the components are garbled, no failure quotes the signature", () => {
	const hex = fc
		.array(fc.constantFrom(..."0123456789abcdef"), {
			minLength: 64,
			maxLength: 64,
		})
		.map((cs) => cs.join(""));
	const separator = fc.constantFrom(",", ", ", " ", "", ",,", " ,", ";");
	fc.assert(
		fc.property(
			fc.constantFrom(
				"AWS4-HMAC-SHA256",
				"ACS3-HMAC-SHA256",
				"AWS4-HMAC-SHA512",
				"ACS3-HMAC-SM3",
				"Basic",
			),
			fc.constantFrom(" ", "", ",", "\t"),
			hex,
			fc.shuffledSubarray(["credential", "signedHeaders", "signature"], {
				minLength: 1,
			}),
			fc.array(separator, { minLength: 3, maxLength: 3 }),
			fc.boolean(),
			(algorithm, lead, sig, order, seps, bare) => {
				const credential = `Credential=AKIDEXAMPLE/${new Date(now).toISOString().slice(0, 10).replaceAll("-", "")}/us-east-1/lambda/aws4_request`;
				const parts: Record<string, string> = {
					credential,
					signedHeaders: "SignedHeaders=host;x-amz-date;x-acs-date",
					signature: bare ? sig : `Signature=${sig}`,
				};
				const value =
					algorithm +
					lead +
					order.map((k, i) => `${parts[k]}${seps[i] ?? ""}`).join("");
				const wire = wireWith(value);
				const results = [
					parseSigV4(wire, opts),
					parseAcs3(wire, { now }),
					parseFcSignature(wire, { now }),
				];
				for (const r of results) {
					if (r.ok) continue;
					const text = `${r.message}\n${JSON.stringify(r.diagnosis ?? {})}`;
					assert.ok(
						!text.includes(sig.slice(0, 16)),
						`${r.scheme} ${r.code} quotes the signature of ${JSON.stringify(value)}: ${text}`,
					);
				}
			},
		),
		{ numRuns: 500 },
	);
});

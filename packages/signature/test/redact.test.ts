// A mismatch diagnosis never carries a session token: header form, presigned form and ACS3.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
	parseAcs3,
	parseSigV4,
	presignSigV4,
	signAcs3,
	signSigV4,
	verifyAcs3,
	verifySigV4,
	type WireRequest,
} from "../src/index.ts";
import { redactTokens } from "../src/shared/redact.ts";

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

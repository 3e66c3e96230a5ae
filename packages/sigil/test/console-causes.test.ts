// Each common client mistake, made for real with @smithy/signature-v4 (the AWS SDK v3's signer)
// and checked by the debugger's SigV4 check: the verifier's sentence must reach the console with
// the code that names that mistake (likely-cause.ts), never the catch-all OTHER.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Sha256 } from "@aws-crypto/sha256-js";
import type { WireRequest } from "@sigil/signature";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { checkSigV4 } from "../src/console/check-sigv4.ts";
import { classifyCause } from "../src/console/likely-cause.ts";

const KEYS = {
	accessKeyId: "AKIAIOSFODNN7EXAMPLE",
	secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
const HOST = "127.0.0.1:8080";

interface Made {
	/** What was signed. */
	readonly signed: {
		path: string;
		query?: Record<string, string>;
		headers?: Record<string, string>;
		body?: string;
		host?: string;
	};
	/** What was sent instead (defaults: what was signed). */
	readonly sent?: { target?: string; body?: string; dropHeader?: string };
	readonly uriEscapePath?: boolean;
	/** Smithy sends and signs x-amz-content-sha256 unless told not to. */
	readonly applyChecksum?: boolean;
}

async function check(m: Made) {
	const signer = new SignatureV4({
		credentials: KEYS,
		region: "us-east-1",
		service: "sigil",
		sha256: Sha256,
		uriEscapePath: m.uriEscapePath ?? true,
		applyChecksum: m.applyChecksum ?? true,
	});
	const req = new HttpRequest({
		method: "POST",
		protocol: "http:",
		hostname: "127.0.0.1",
		port: 8080,
		path: m.signed.path,
		query: m.signed.query ?? {},
		headers: { host: m.signed.host ?? HOST, ...m.signed.headers },
		...(m.signed.body !== undefined && { body: m.signed.body }),
	});
	const s = await signer.sign(req);
	const q = new URLSearchParams(m.signed.query ?? {})
		.toString()
		.replaceAll("+", "%20");
	const rawHeaders = ["Host", HOST];
	for (const [k, v] of Object.entries(s.headers))
		if (k !== "host" && k !== m.sent?.dropHeader) rawHeaders.push(k, v);
	const body = Buffer.from(m.sent?.body ?? m.signed.body ?? "");
	const wire: WireRequest = {
		method: "POST",
		target: m.sent?.target ?? `${m.signed.path}${q ? `?${q}` : ""}`,
		rawHeaders,
		body,
	};
	return checkSigV4({
		wire,
		accessKeyId: KEYS.accessKeyId,
		secretAccessKey: KEYS.secretAccessKey,
		expect: { region: "us-east-1", services: ["sigil"] },
		now: Date.now(),
		maxSkewMs: 300_000,
	});
}

const mistakes: [string, Made, "mismatch" | "refused", string][] = [
	[
		"the port left out of the signed Host",
		{ signed: { path: "/p", host: "127.0.0.1" } },
		"mismatch",
		"HOST_PORT",
	],
	[
		"the path encoded once (S3 style)",
		{
			signed: { path: "/a%20b/c" },
			uriEscapePath: false,
			sent: { target: "/a%20b/c" },
		},
		"mismatch",
		"PATH_ENCODING",
	],
	[
		"'+' read as a space in the query",
		{
			signed: { path: "/p", query: { a: "b c" } },
			sent: { target: "/p?a=b+c" },
		},
		"mismatch",
		"QUERY_ENCODING",
	],
	[
		"an empty body signed, a body sent",
		{
			signed: { path: "/p", body: "" },
			sent: { body: '{"a":1}' },
			applyChecksum: false,
		},
		"mismatch",
		"BODY_CHANGED",
	],
	[
		"nothing common (another body)",
		{
			signed: { path: "/p", body: "one" },
			sent: { body: "two" },
			applyChecksum: false,
		},
		"mismatch",
		"UNKNOWN",
	],
	[
		"the body changed under a signed x-amz-content-sha256",
		{ signed: { path: "/p", body: "one" }, sent: { body: "two" } },
		"refused",
		"PAYLOAD_HASH",
	],
	[
		"UNSIGNED-PAYLOAD where the route wants the body's hash",
		{
			signed: {
				path: "/p",
				headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
			},
			applyChecksum: false,
		},
		"refused",
		"PAYLOAD_HASH",
	],
];

for (const [name, made, outcome, code] of mistakes)
	test(`${name}: ${outcome}, likely cause ${code}`, async () => {
		const checked = await check(made);
		assert.equal(
			checked.outcome,
			outcome,
			`${checked.code} ${checked.message}`,
		);
		assert.equal(checked.likelyCause?.code, code, checked.likelyCause?.text);
	});

test("the sentences of ACS3, payload HMAC and the gateway map to their codes", () => {
	const cases: [string, string][] = [
		[
			"the client encoded the path and query differently: it matches the other verification mode",
			"ACS3_MODE",
		],
		["the request was signed for method PUT but sent with another", "METHOD"],
		[
			"the body was signed with a trailing newline that was not sent",
			"TRAILING_NEWLINE",
		],
		[
			"the sender's secret ends with a newline (secret read from a file); strip it on one side",
			"SECRET_NEWLINE",
		],
		[
			"the user this session was issued to no longer exists (deleted, or deleted and created again under the same name); sessions end with their principal",
			"SESSION",
		],
		[
			"The client added X-Amz-Security-Token to the URL after signing; it must be part of the signed query.",
			"SECURITY_TOKEN",
		],
		["something no table knows", "OTHER"],
	];
	for (const [text, code] of cases)
		assert.equal(classifyCause(text).code, code, text);
});

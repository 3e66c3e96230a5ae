// The AWS SigV4 signing suite (aws-c-auth copy in shared/conformance/sigv4/v4, read-only):
// for each of the 38 cases and both forms, every stage of our signer against the files, then our
// verifier against the signed requests at the pinned time. Plus our own vectors for what the
// suite lacks (bare keys, empty values, '+', reserved path characters, duplicate keys), each
// checked against @smithy/signature-v4.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import {
	canonicalHeaders,
	canonicalQueryString,
	canonicalUri,
	parseQuery,
	parseSigV4,
	presignSigV4,
	type SigV4Credentials,
	signSigV4,
	verifySigV4,
} from "../src/sigv4/index.ts";
import { headerRecord, parseHttpText, toWire } from "./fixtures/sigv4-wire.ts";

// shared/ sits beside the repository (here and in CI): repo/packages/signature/test → ../../../../shared.
const SUITE = join(
	import.meta.dirname,
	"..",
	"..",
	"..",
	"..",
	"shared",
	"conformance",
	"sigv4",
	"v4",
);
const cases = readdirSync(SUITE, { withFileTypes: true })
	.filter((e) => e.isDirectory())
	.map((e) => e.name)
	.sort();

interface Context {
	credentials: {
		access_key_id: string;
		secret_access_key: string;
		token?: string;
	};
	expiration_in_seconds: number;
	normalize: boolean;
	region: string;
	service: string;
	sign_body: boolean;
	timestamp: string;
	omit_session_token?: boolean;
}

const read = (name: string, file: string): string =>
	readFileSync(join(SUITE, name, file), "utf8");
const STAGES = [
	"method",
	"canonical URI",
	"canonical query",
	"canonical headers / signed headers / payload hash",
];

/** Compares two canonical requests and names the first stage that differs. */
function assertCanonical(
	actual: string,
	expected: string,
	where: string,
): void {
	if (actual === expected) return;
	const a = actual.split("\n");
	const e = expected.split("\n");
	const line = a.findIndex((l, i) => l !== e[i]);
	const stage = STAGES[Math.min(line === -1 ? 3 : line, 3)];
	assert.fail(
		`${where}: canonical request differs at ${stage} (line ${line + 1}): ${JSON.stringify(a[line])} != ${JSON.stringify(e[line])}`,
	);
}

function splitTarget(target: string): { path: string; query: string } {
	const q = target.indexOf("?");
	return q === -1
		? { path: target, query: "" }
		: { path: target.slice(0, q), query: target.slice(q + 1) };
}

test("the suite has the 38 v4 cases the provenance file describes", () => {
	assert.equal(cases.length, 38);
});

for (const name of cases) {
	const ctx = JSON.parse(read(name, "context.json")) as Context;
	const now = Date.parse(ctx.timestamp);
	const request = parseHttpText(read(name, "request.txt"));
	const { path, query } = splitTarget(request.target);
	const headers = headerRecord(request.rawHeaders);
	const creds: SigV4Credentials = {
		accessKeyId: ctx.credentials.access_key_id,
		secretAccessKey: ctx.credentials.secret_access_key,
		...(ctx.credentials.token !== undefined && ctx.omit_session_token !== true
			? { sessionToken: ctx.credentials.token }
			: {}),
	};
	const signOpts = {
		region: ctx.region,
		service: ctx.service,
		now,
		normalizePath: ctx.normalize,
	};
	const input = {
		method: request.method,
		path,
		query,
		headers,
		body: request.body,
	};
	const verifyOpts = {
		region: "us-east-1",
		services: ["service"],
		now,
		normalizePath: ctx.normalize,
	};
	const secret = { secretAccessKey: ctx.credentials.secret_access_key };

	test(`${name} header form: each stage, the signature and the Authorization header`, () => {
		const signed = signSigV4(input, creds, {
			...signOpts,
			signBodyHash: ctx.sign_body,
		});
		const expectedCanonical = read(name, "header-canonical-request.txt");
		assertCanonical(
			signed.canonicalRequest,
			expectedCanonical,
			`${name}/header`,
		);
		assert.equal(
			signed.stringToSign,
			read(name, "header-string-to-sign.txt"),
			`${name}/header: string to sign`,
		);
		assert.equal(
			signed.signature,
			read(name, "header-signature.txt"),
			`${name}/header: signature`,
		);
		const expectedAuth = parseHttpText(
			read(name, "header-signed-request.txt"),
		).rawHeaders;
		assert.equal(
			signed.headers.authorization,
			expectedAuth[expectedAuth.indexOf("Authorization") + 1],
			`${name}/header: Authorization`,
		);
		// The step functions on their own give the same lines as the file.
		const lines = expectedCanonical.split("\n");
		assert.equal(
			canonicalUri(path, { normalize: ctx.normalize }),
			lines[1],
			`${name}: canonicalUri stage`,
		);
		assert.equal(
			canonicalQueryString(parseQuery(query)),
			lines[2],
			`${name}: canonicalQueryString stage`,
		);
		const signedNames = (lines[lines.length - 2] as string).split(";");
		const withDate = [...request.rawHeaders, "X-Amz-Date", "20150830T123600Z"];
		if (creds.sessionToken !== undefined)
			withDate.push("X-Amz-Security-Token", creds.sessionToken);
		if (ctx.sign_body)
			withDate.push("x-amz-content-sha256", lines[lines.length - 1] as string);
		assert.equal(
			canonicalHeaders(withDate, signedNames).text,
			`${lines.slice(3, 3 + signedNames.length).join("\n")}\n`,
			`${name}: canonicalHeaders stage`,
		);
	});

	test(`${name} query form: each stage and the signature`, () => {
		const signed = presignSigV4(input, creds, {
			...signOpts,
			expiresIn: ctx.expiration_in_seconds,
		});
		assertCanonical(
			signed.canonicalRequest,
			read(name, "query-canonical-request.txt"),
			`${name}/query`,
		);
		assert.equal(
			signed.stringToSign,
			read(name, "query-string-to-sign.txt"),
			`${name}/query: string to sign`,
		);
		assert.equal(
			signed.signature,
			read(name, "query-signature.txt"),
			`${name}/query: signature`,
		);
		// Our own presigned URL verifies too (the suite's order of parameters differs from ours).
		const wire = { ...toWire(request), target: `${path}?${signed.query}` };
		const parsed = parseSigV4(wire, verifyOpts);
		assert.ok(parsed.ok, `${name}/query: ${parsed.ok ? "" : parsed.message}`);
		assert.ok(
			verifySigV4(parsed.request, secret).ok,
			`${name}/query: our presigned URL does not verify`,
		);
	});

	test(`${name}: our verifier on the suite's signed requests`, () => {
		for (const form of ["header", "query"] as const) {
			const wire = toWire(
				parseHttpText(read(name, `${form}-signed-request.txt`)),
			);
			const parsed = parseSigV4(wire, verifyOpts);
			if (name === "post-sts-header-after" && form === "header") {
				// The token was added after signing; Sigil requires x-amz-security-token to be signed.
				assert.equal(
					parsed.ok ? "ok" : parsed.code,
					"HEADER_NOT_SIGNED",
					`${name}/${form}`,
				);
				assert.equal(
					parsed.ok ? "" : parsed.message,
					"'x-amz-security-token' must be a 'SignedHeader' in the AWS Authorization.",
				);
				continue;
			}
			assert.ok(
				parsed.ok,
				`${name}/${form}: parse failed: ${parsed.ok ? "" : `${parsed.code} ${parsed.message}`}`,
			);
			const result = verifySigV4(parsed.request, secret);
			if (name === "post-sts-header-after" && form === "query") {
				// The token sits in the URL but not in the canonical query: a standard verifier refuses it.
				assert.equal(result.ok ? "ok" : result.code, "SIGNATURE_MISMATCH");
				assert.match(
					result.ok ? "" : (result.diagnosis?.likelyCause ?? ""),
					/X-Amz-Security-Token to the URL after signing/,
				);
				continue;
			}
			assert.ok(
				result.ok,
				`${name}/${form}: ${result.ok ? "" : `${result.code}: ${result.diagnosis?.likelyCause}`}`,
			);
			assert.equal(parsed.request.accessKeyId, "AKIDEXAMPLE");
		}
	});
}

test("raw spaces and UTF-8 cannot cross a socket: percent-encoded on the wire they are double-encoded, and the diagnosis says so", () => {
	for (const [name, encoded] of [
		["get-space-normalized", "/example%20space/"],
		["get-utf8", "/%E1%88%B4"],
	] as const) {
		const signed = parseHttpText(read(name, "header-signed-request.txt"));
		const parsed = parseSigV4(
			{ ...toWire(signed), target: encoded },
			{
				region: "us-east-1",
				services: ["service"],
				now: Date.parse("2015-08-30T12:36:00Z"),
			},
		);
		assert.ok(parsed.ok);
		const result = verifySigV4(parsed.request, {
			secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		});
		assert.equal(result.ok ? "ok" : result.code, "SIGNATURE_MISMATCH", name);
		assert.equal(
			result.ok ? "" : result.diagnosis?.likelyCause,
			"The client encoded the path once (S3 style); non-S3 services encode it twice.",
		);
	}
});

// Our own vectors: what the suite lacks. Each: the wire path/query, smithy's input for the same
// request, and the canonical URI and query we expect; the signature must equal smithy's.
const VECTORS: Array<{
	name: string;
	path: string;
	query: string;
	smithyQuery: Record<string, string | string[]>;
	uri: string;
	canonicalQuery: string;
}> = [
	{
		name: "bare key",
		path: "/",
		query: "flag&a=1",
		smithyQuery: { flag: "", a: "1" },
		uri: "/",
		canonicalQuery: "a=1&flag=",
	},
	{
		name: "empty value",
		path: "/",
		query: "a=&b=2",
		smithyQuery: { a: "", b: "2" },
		uri: "/",
		canonicalQuery: "a=&b=2",
	},
	{
		name: "plus and space",
		path: "/",
		query: "q=a%2Bb&r=c+d&s=x%20y",
		smithyQuery: { q: "a+b", r: "c+d", s: "x y" },
		uri: "/",
		canonicalQuery: "q=a%2Bb&r=c%2Bd&s=x%20y",
	},
	{
		name: "reserved path characters",
		path: "/a%3Ab/c%40d/%24e!'()*",
		query: "",
		smithyQuery: {},
		uri: "/a%253Ab/c%2540d/%2524e%21%27%28%29%2A",
		canonicalQuery: "",
	},
	{
		name: "duplicate keys",
		path: "/f",
		query: "k=2&k=1&k=10&j=z",
		smithyQuery: { k: ["2", "1", "10"], j: "z" },
		uri: "/f",
		canonicalQuery: "j=z&k=1&k=10&k=2",
	},
	{
		name: "encoded slash and unreserved escapes",
		path: "/a%2Fb/%7Euser",
		query: "x=%7e&y=%2f",
		smithyQuery: { x: "~", y: "/" },
		uri: "/a%252Fb/%257Euser",
		canonicalQuery: "x=~&y=%2F",
	},
];

for (const v of VECTORS) {
	test(`own vector: ${v.name} — canonical form, same signature as @smithy/signature-v4, verifies`, async () => {
		const now = Date.parse("2026-11-23T10:00:00Z");
		const creds = {
			accessKeyId: "AKIAIOSFODNN7EXAMPLE",
			secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		};
		const ours = signSigV4(
			{ method: "GET", host: "fn.example:8443", path: v.path, query: v.query },
			creds,
			{ region: "us-east-1", service: "lambda", now },
		);
		const lines = ours.canonicalRequest.split("\n");
		assert.equal(lines[1], v.uri);
		assert.equal(lines[2], v.canonicalQuery);
		const smithy = new SignatureV4({
			credentials: creds,
			region: "us-east-1",
			service: "lambda",
			sha256: Sha256,
			applyChecksum: false,
		});
		const theirs = await smithy.sign(
			new HttpRequest({
				method: "GET",
				protocol: "https:",
				hostname: "fn.example",
				port: 8443,
				path: v.path,
				query: v.smithyQuery,
				headers: { host: "fn.example:8443" },
			}),
			{ signingDate: new Date(now) },
		);
		assert.equal(ours.headers.authorization, theirs.headers.authorization);
		const wire = {
			method: "GET",
			target: v.query === "" ? v.path : `${v.path}?${v.query}`,
			rawHeaders: [
				"Host",
				"fn.example:8443",
				"X-Amz-Date",
				ours.headers["x-amz-date"] as string,
				"Authorization",
				ours.headers.authorization as string,
			],
			body: new Uint8Array(),
		};
		const parsed = parseSigV4(wire, {
			region: "us-east-1",
			services: ["lambda"],
			now,
		});
		assert.ok(parsed.ok);
		assert.ok(verifySigV4(parsed.request, creds).ok);
	});
}

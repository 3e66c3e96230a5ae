// Security of the console's gateway side: every console answer carries the strict headers,
// no path leads out of dist, the real build has nothing inline, and the signature debugger
// never answers a secret, a signing key or the signature the gateway expected — nor anything
// to an unsigned caller.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { deriveSigningKey } from "@sigil/signature";
import { CONTENT_SECURITY_POLICY } from "../src/console/security-headers.ts";
import { DEFAULT_CONSOLE_DIR } from "../src/console/static-assets.ts";
import {
	type ConsoleFixture,
	makeConsoleFixture,
	OUTSIDE_SECRET,
	type RawAnswer,
	rawRequest,
} from "./helpers/console-fixture.ts";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { OK_HANDLER } from "./helpers/iam.ts";
import { asRaw, debugCall, signRequest } from "./helpers/pasted-request.ts";
import { credentialsOf, query } from "./iam-query.ts";

let gw: TestGateway;
let fixture: ConsoleFixture;
const HMAC_SECRET = "console-security-hmac-secret-91c2";

before(async () => {
	fixture = await makeConsoleFixture();
	gw = await startTestGateway({ consoleDir: fixture.dist });
});
after(async () => {
	await gw?.stop();
});

function assertConsoleHeaders(res: RawAnswer, what: string): void {
	assert.equal(
		res.headers["content-security-policy"],
		CONTENT_SECURITY_POLICY,
		what,
	);
	assert.equal(res.headers["x-content-type-options"], "nosniff", what);
	assert.equal(res.headers["referrer-policy"], "no-referrer", what);
	assert.equal(res.headers["x-frame-options"], "DENY", what);
	assert.equal(
		res.headers["access-control-allow-origin"],
		undefined,
		`${what}: same origin, no CORS`,
	);
}

describe("the Content-Security-Policy", () => {
	test("is strict: nothing inline, nothing from elsewhere, no framing, no base or form targets", () => {
		const directives = new Map(
			CONTENT_SECURITY_POLICY.split(";").map((d) => {
				const [name, ...values] = d.trim().split(/\s+/);
				return [name as string, values];
			}),
		);
		assert.deepEqual(directives.get("default-src"), ["'none'"]);
		for (const name of ["script-src", "style-src", "connect-src"])
			assert.deepEqual(directives.get(name), ["'self'"], name);
		assert.deepEqual(directives.get("img-src"), ["'self'", "data:"]);
		assert.deepEqual(directives.get("frame-ancestors"), ["'none'"]);
		assert.deepEqual(directives.get("base-uri"), ["'none'"]);
		assert.deepEqual(directives.get("form-action"), ["'none'"]);
		assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe|\*|https?:/);
	});

	const requests: [string, string, Record<string, string>?, string?][] = [
		["GET", "/"],
		["HEAD", "/"],
		["GET", "/console"],
		["GET", "/console/"],
		["HEAD", "/console/"],
		["GET", "/console/index.html"],
		["GET", "/console/assets/index-AbCd1234.js"],
		["GET", "/console/favicon.svg"],
		["GET", "/console/functions/hello"],
		["GET", "/console/missing.js"],
		["POST", "/console/", { "content-type": "application/json" }, "{}"],
		["DELETE", "/console/index.html"],
		[
			"OPTIONS",
			"/console/",
			{
				origin: "https://evil.example",
				"access-control-request-method": "GET",
			},
		],
		["POST", "/console/", {}, "x".repeat(10_000)],
		["GET", "/console/..%2f..%2fsecret.txt"],
		["GET", "/console/%00.js"],
		["GET", "/console/link-out.txt"],
		["GET", "/console/.env"],
	];
	for (const [method, path, headers, body] of requests)
		test(`on ${method} ${path}`, async () => {
			const res = await rawRequest(gw.url, method, path, headers, body);
			assertConsoleHeaders(res, `${method} ${path} → ${res.status}`);
		});

	test("on a 304", async () => {
		const first = await rawRequest(gw.url, "GET", "/console/");
		const res = await rawRequest(gw.url, "GET", "/console/", {
			"if-none-match": String(first.headers.etag),
		});
		assert.equal(res.status, 304);
		assertConsoleHeaders(res, "304");
	});
});

describe("paths out of dist", () => {
	const hostile = [
		"/console/../secret.txt",
		"/console/assets/../../secret.txt",
		"/console/%2e%2e/secret.txt",
		"/console/%2E%2E/%2E%2E/secret.txt",
		"/console/..%2fsecret.txt",
		"/console/..%2Fsecret.txt",
		"/console/assets%2f..%2f..%2fsecret.txt",
		"/console/..%5csecret.txt",
		"/console/..\\secret.txt",
		"/console//secret.txt",
		"/console/%00",
		"/console/index.html%00.js",
		"/console/link-out.txt",
		"/console/linkdir/secret.txt",
		"/console/.env",
		"/console/%2eenv",
		"/console/%252e%252e/secret.txt",
		"/console/%c0%ae%c0%ae/secret.txt",
	];
	for (const path of hostile)
		test(`${path} never answers a file outside dist`, async () => {
			const res = await rawRequest(gw.url, "GET", path);
			assert.ok(
				!res.body.includes(OUTSIDE_SECRET),
				`${path} → ${res.status} leaked`,
			);
			assert.notEqual(res.status, 200, `${path} → 200`);
		});

	test("a symlink inside dist that stays inside is served", async () => {
		const { symlink } = await import("node:fs/promises");
		await symlink(
			join(fixture.dist, "favicon.svg"),
			join(fixture.dist, "icon-link.svg"),
		);
		const res = await rawRequest(gw.url, "GET", "/console/icon-link.svg");
		assert.equal(res.status, 200);
		assert.equal(res.body, "<svg/>");
	});
});

describe("the real console build", () => {
	test("index.html has no inline script, style or handler, and loads nothing from elsewhere", () => {
		const index = join(DEFAULT_CONSOLE_DIR, "index.html");
		assert.ok(
			existsSync(index),
			`no console build at ${index}: run \`npm run build:console\` (npm install does)`,
		);
		const html = readFileSync(index, "utf8");
		for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
			assert.match(m[1] as string, /\bsrc=/, "every script is a file");
			assert.equal((m[2] as string).trim(), "", "no inline script");
		}
		assert.doesNotMatch(html, /<style\b/i, "no inline style element");
		assert.doesNotMatch(html, /\sstyle=/i, "no style attribute");
		assert.doesNotMatch(html, /\son[a-z]+=/i, "no event handler attribute");
		assert.doesNotMatch(
			html,
			/(?:src|href)=["']?(?:https?:)?\/\//i,
			"nothing from another origin",
		);
	});
});

describe("the signature debugger", () => {
	before(async () => {
		await gw.putSecret("sec-hook", HMAC_SECRET);
		await gw.deploy(
			"sec-hooked",
			{ runtime: "node", trigger: { auth: "hmac", secrets: ["sec-hook"] } },
			{ "index.mjs": OK_HANDLER },
		);
	});

	/** Everything an answer must never hold for a request signed at `date` with `secret`. */
	function forbidden(
		secret: string,
		date: Date,
		expectedSignature?: string,
	): string[] {
		const day = date.toISOString().slice(0, 10).replaceAll("-", "");
		const out = [
			secret,
			deriveSigningKey(secret, day, "us-east-1", "sigil").toString("hex"),
		];
		for (const region of ["eu-west-1", "us-east-1"])
			for (const service of ["sigil", "lambda"])
				out.push(
					deriveSigningKey(secret, day, region, service).toString("hex"),
				);
		if (expectedSignature) out.push(expectedSignature);
		return out;
	}

	const signatureOf = (headers: readonly [string, string][]) =>
		/Signature=([0-9a-f]{64})/.exec(
			headers.find(([k]) => k.toLowerCase() === "authorization")?.[1] ?? "",
		)?.[1] as string;

	test("a mismatch answers neither the secret, the signing key nor the signature the gateway expected", async () => {
		const date = new Date();
		const wrong = await signRequest(gw.url, {
			signedHost: "127.0.0.1",
			signingDate: date,
		});
		// What a correct client would have sent: its signature is the one the gateway expected.
		const right = await signRequest(gw.url, { signingDate: date });
		const expected = signatureOf(right.headers);
		assert.notEqual(expected, signatureOf(wrong.headers));
		const { status, text } = await debugCall(gw, { raw: asRaw(wrong) });
		assert.equal(status, 200, text);
		assert.match(text, /"outcome":"mismatch"/);
		for (const secret of forbidden(ROOT_KEY.secretAccessKey, date, expected))
			assert.ok(
				!text.includes(secret),
				`the answer holds ${secret.slice(0, 12)}…`,
			);
	});

	test("a wrong region, a valid request and a refused one say nothing secret either", async () => {
		const date = new Date();
		for (const o of [{ region: "eu-west-1" }, {}, { service: "lambda" }]) {
			const r = await signRequest(gw.url, { ...o, signingDate: date });
			const { text } = await debugCall(gw, { raw: asRaw(r) });
			for (const secret of forbidden(ROOT_KEY.secretAccessKey, date))
				assert.ok(!text.includes(secret), JSON.stringify(o));
		}
	});

	test("a session's secret and token never come back", async () => {
		const { xml } = await query(gw, "sts", { Action: "GetSessionToken" });
		const session = credentialsOf(xml);
		const date = new Date();
		const r = await signRequest(gw.url, {
			credentials: session,
			signedHost: "127.0.0.1",
			signingDate: date,
		});
		const { status, text } = await debugCall(gw, { raw: asRaw(r) }, session);
		assert.equal(status, 200, text);
		for (const secret of [
			...forbidden(session.secretAccessKey, date),
			session.sessionToken as string,
		])
			assert.ok(!text.includes(secret), `holds ${secret.slice(0, 12)}…`);
	});

	test("payload HMAC: neither the trigger's secret nor the HMAC it expected", async () => {
		const host = new URL(gw.url).host;
		const body = '{"a":1}';
		const expected = createHmac("sha256", HMAC_SECRET)
			.update(body)
			.digest("hex");
		const sent = createHmac("sha256", HMAC_SECRET)
			.update(`${body}\n`)
			.digest("hex");
		const raw = `POST /function/sec-hooked HTTP/1.1\nHost: ${host}\nHmac: sha256=${sent}\n\n${body}`;
		const { text } = await debugCall(gw, { raw });
		assert.match(text, /TRAILING_NEWLINE/);
		assert.ok(!text.includes(HMAC_SECRET));
		assert.ok(!text.includes(expected));
	});

	test("answers are not cached", async () => {
		const r = await signRequest(gw.url);
		const res = await fetch(`${gw.url}/sigil/v1/signature-debug`, {
			method: "POST",
		});
		assert.equal(res.headers.get("cache-control"), null, "(an error)");
		const { signedFetch } = await import("./helpers/gateway.ts");
		const ok = await signedFetch(gw.url, "POST", "/sigil/v1/signature-debug", {
			body: JSON.stringify({ raw: asRaw(r) }),
			headers: { "content-type": "application/json" },
		});
		assert.equal(ok.status, 200);
		assert.equal(ok.headers.get("cache-control"), "no-store");
	});

	test("refused unsigned, or signed with a wrong secret, with no diagnosis of the pasted request", async () => {
		const r = await signRequest(gw.url, { signedHost: "127.0.0.1" });
		const body = JSON.stringify({ raw: asRaw(r) });
		const unsigned = await fetch(`${gw.url}/sigil/v1/signature-debug`, {
			method: "POST",
			body,
			headers: { "content-type": "application/json" },
		});
		assert.equal(unsigned.status, 403);
		const text = await unsigned.text();
		assert.doesNotMatch(text, /canonicalRequest|likelyCause|HOST_PORT/);
		const forged = await debugCall(
			gw,
			{ raw: asRaw(r) },
			{
				accessKeyId: ROOT_KEY.accessKeyId,
				secretAccessKey: "not-the-secret-at-all",
			},
		);
		assert.equal(forged.status, 403);
		assert.doesNotMatch(forged.text, /canonicalRequest|likelyCause|HOST_PORT/);
	});
});

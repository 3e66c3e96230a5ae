// POST /sigil/v1/signature-debug through a real gateway: requests signed by real peer signers
// (@smithy/signature-v4, @alicloud/openapi-util, a payload HMAC), pasted as raw HTTP or curl,
// or picked from the auth log; who may ask about which key.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import OpenApiUtil from "@alicloud/openapi-util";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import {
	cp,
	createAccount,
	createUser,
	type Keys,
	OK_HANDLER,
	putUserPolicy,
} from "./helpers/iam.ts";
import {
	asCurl,
	asRaw,
	debugCall,
	send,
	signRequest,
} from "./helpers/pasted-request.ts";
import { credentialsOf, query } from "./iam-query.ts";

let gw: TestGateway;
let host: string;
let other: { accountId: string; keys: Keys };
let debugger_: { arn: string; keys: Keys };
let nobody: { arn: string; keys: Keys };

const HMAC_SECRET = "hmac-trigger-secret-7d1e";

before(async () => {
	gw = await startTestGateway();
	host = new URL(gw.url).host;
	other = await createAccount(gw, "other");
	debugger_ = await createUser(gw, "debugger");
	await putUserPolicy(gw, "debugger", "debug-own-keys", [
		{
			Effect: "Allow",
			Action: "sigil:DebugSignature",
			// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
			Resource: "arn:aws:iam::*:user/${aws:username}",
		},
	]);
	nobody = await createUser(gw, "nobody");
	await gw.putSecret("hook-secret", HMAC_SECRET);
	await gw.deploy(
		"acs",
		{ runtime: "node", trigger: { auth: "acs3" } },
		{ "index.mjs": OK_HANDLER },
	);
	await gw.deploy(
		"hooked",
		{ runtime: "node", trigger: { auth: "hmac", secrets: ["hook-secret"] } },
		{ "index.mjs": OK_HANDLER },
	);
});
after(async () => {
	await gw?.stop();
});

describe("SigV4", () => {
	test("a correctly signed raw request is valid, with the gateway's canonical request", async () => {
		const r = await signRequest(gw.url, { path: "/sigil/v1/whoami" });
		const { status, json } = await debugCall(gw, { raw: asRaw(r) });
		assert.equal(status, 200, JSON.stringify(json));
		assert.equal(json.outcome, "valid");
		assert.equal(json.code, "OK");
		assert.equal(json.scheme, "sigv4");
		assert.equal(json.form, "header");
		assert.equal(json.accessKeyId, ROOT_KEY.accessKeyId);
		assert.equal(json.likelyCause, null);
		assert.equal(json.differences, null);
		assert.match(
			String(json.canonicalRequest),
			/^GET\n\/sigil\/v1\/whoami\n\n/,
		);
		assert.match(
			String(json.stringToSign),
			/^AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-east-1\/sigil\/aws4_request\n[0-9a-f]{64}$/,
		);
	});

	test("signed for the wrong region: refused, the likely cause names both regions", async () => {
		const r = await signRequest(gw.url, { region: "eu-west-1" });
		const { json } = await debugCall(gw, { raw: asRaw(r) });
		assert.equal(json.outcome, "refused");
		assert.equal(json.code, "SCOPE_REGION");
		const cause = json.likelyCause as { code: string; text: string };
		assert.equal(cause.code, "REGION");
		assert.match(cause.text, /'eu-west-1'/);
		assert.match(cause.text, /'us-east-1'/);
		assert.match(cause.text, /only the scope is wrong/);
		// The string to sign the gateway expected carries its own region.
		assert.match(
			String(json.stringToSign),
			/\/us-east-1\/sigil\/aws4_request\n/,
		);
	});

	test("signed for the wrong service: refused, the cause names the service this path takes", async () => {
		const r = await signRequest(gw.url, { service: "lambda" });
		const { json } = await debugCall(gw, { raw: asRaw(r) });
		assert.equal(json.code, "SCOPE_SERVICE");
		const cause = json.likelyCause as { code: string; text: string };
		assert.equal(cause.code, "SERVICE");
		assert.match(cause.text, /'lambda'.*'sigil'/);
	});

	test("Host signed without the port: a mismatch whose likely cause is the port", async () => {
		const r = await signRequest(gw.url, { signedHost: "127.0.0.1" });
		assert.equal(await send(r), 403, "the gateway itself refuses it");
		const { json } = await debugCall(gw, { raw: asRaw(r) });
		assert.equal(json.outcome, "mismatch");
		assert.equal(json.code, "SIGNATURE_MISMATCH");
		const cause = json.likelyCause as { code: string; text: string };
		assert.equal(cause.code, "HOST_PORT");
		assert.match(cause.text, /without its port/);
		assert.match(String(json.canonicalRequest), new RegExp(`\nhost:${host}\n`));
	});

	test("a pasted client canonical request that differs in one header: that line, and only it", async () => {
		const r = await signRequest(gw.url, { signedHost: "127.0.0.1" });
		const first = await debugCall(gw, { raw: asRaw(r) });
		const gatewayCr = String(first.json.canonicalRequest);
		const lines = gatewayCr.split("\n");
		const hostLine = lines.indexOf(`host:${host}`);
		assert.ok(hostLine > 2);
		lines[hostLine] = "host:127.0.0.1";
		const clientCr = lines.join("\n");
		const { json } = await debugCall(gw, {
			raw: asRaw(r),
			clientCanonicalRequest: `${clientCr}\n`,
		});
		assert.deepEqual(json.differences, [
			{
				in: "canonicalRequest",
				line: hostLine + 1,
				part: "header:host",
				client: "host:127.0.0.1",
				gateway: `host:${host}`,
			},
		]);
		// The same text as the gateway's: no differences at all.
		const same = await debugCall(gw, {
			raw: asRaw(r),
			clientCanonicalRequest: gatewayCr,
		});
		assert.deepEqual(same.json.differences, []);
	});

	test("a header the client did not sign shows as missing on its side, not as shifted lines", async () => {
		const r = await signRequest(gw.url);
		const { json: valid } = await debugCall(gw, { raw: asRaw(r) });
		const lines = String(valid.canonicalRequest).split("\n");
		const date = lines.findIndex((l) => l.startsWith("x-amz-date:"));
		const client = lines.filter((_, i) => i !== date).join("\n");
		const { json } = await debugCall(gw, {
			raw: asRaw(r),
			clientCanonicalRequest: client,
		});
		const diffs = json.differences as { part: string; client: string | null }[];
		assert.deepEqual(
			diffs.map((d) => [d.part, d.client]),
			[["header:x-amz-date", null]],
		);
	});

	test("a client string to sign with another scope: the scope line differs", async () => {
		const r = await signRequest(gw.url);
		const { json: valid } = await debugCall(gw, { raw: asRaw(r) });
		const sts = String(valid.stringToSign).replace(
			"/us-east-1/",
			"/us-west-2/",
		);
		const { json } = await debugCall(gw, {
			raw: asRaw(r),
			clientStringToSign: sts,
		});
		const diffs = json.differences as {
			in: string;
			part: string;
			line: number;
		}[];
		assert.deepEqual(
			diffs.map((d) => [d.in, d.part, d.line]),
			[["stringToSign", "scope", 3]],
		);
	});

	test("a presigned URL is checked in its query form", async () => {
		const r = await signRequest(gw.url, { presign: true });
		const { json } = await debugCall(gw, { raw: asRaw(r) });
		assert.equal(json.outcome, "valid", JSON.stringify(json));
		assert.equal(json.form, "query");
		const bad = await signRequest(gw.url, {
			presign: true,
			region: "ap-south-1",
		});
		const { json: refused } = await debugCall(gw, { raw: asRaw(bad) });
		assert.equal((refused.likelyCause as { code: string }).code, "REGION");
	});

	test("a request signed an hour ago is checked as of its own date, the offset reported", async () => {
		const r = await signRequest(gw.url, {
			signingDate: new Date(Date.now() - 3600_000),
		});
		const { json } = await debugCall(gw, { raw: asRaw(r) });
		assert.equal(json.outcome, "valid");
		const details = json.details as { clockOffsetSeconds: number };
		assert.ok(
			details.clockOffsetSeconds <= -3590,
			String(details.clockOffsetSeconds),
		);
	});

	test("a Lambda API request is checked against service lambda, as the route takes it", async () => {
		const r = await signRequest(gw.url, {
			method: "POST",
			path: "/2015-03-31/functions/hooked/invocations",
			service: "lambda",
			body: "{}",
		});
		const { json } = await debugCall(gw, { raw: asRaw(r) });
		assert.equal(json.outcome, "valid", JSON.stringify(json));
	});

	test("the same request pasted as a curl command gives the same answer", async () => {
		const r = await signRequest(gw.url, {
			method: "POST",
			path: "/function/hooked/x",
			service: "lambda",
			body: '{"a":1}',
			headers: { "content-type": "application/json" },
			signedHost: "127.0.0.1",
		});
		const raw = await debugCall(gw, { raw: asRaw(r) });
		const curl = await debugCall(gw, { curl: asCurl(r) });
		assert.equal(curl.status, 200, curl.text);
		assert.equal(curl.json.outcome, "mismatch");
		assert.deepEqual(curl.json.likelyCause, raw.json.likelyCause);
		assert.equal(curl.json.canonicalRequest, raw.json.canonicalRequest);
	});

	test("session credentials: the console's own kind of caller, and a pasted request signed with them", async () => {
		const { xml } = await query(
			gw,
			"sts",
			{ Action: "GetSessionToken" },
			debugger_.keys,
		);
		const session = credentialsOf(xml);
		const r = await signRequest(gw.url, { credentials: session });
		const { status, json, text } = await debugCall(
			gw,
			{ raw: asRaw(r) },
			session,
		);
		assert.equal(status, 200, text);
		assert.equal(json.outcome, "valid");
		assert.match(
			String(json.canonicalRequest),
			/\nx-amz-security-token:\[redacted\]\n/,
		);
		assert.ok(
			!text.includes(session.sessionToken as string),
			"the token is never echoed",
		);
	});
});

describe("agreement with the gateway", () => {
	const variants: [string, Parameters<typeof signRequest>[1]][] = [
		["correct", {}],
		["host without port", { signedHost: "127.0.0.1" }],
		["wrong region", { region: "eu-west-1" }],
		["wrong service", { service: "lambda" }],
		[
			"wrong secret",
			{
				credentials: {
					accessKeyId: ROOT_KEY.accessKeyId,
					secretAccessKey: "not-the-right-secret-0000000000000000000",
				},
			},
		],
		["presigned", { presign: true }],
		[
			"presigned, host without port",
			{ presign: true, signedHost: "127.0.0.1" },
		],
		[
			"a query and an x-amz header",
			{
				query: { "a b": "c+d", z: "~" },
				headers: { "x-amz-meta-thing": "v" },
			},
		],
		[
			"a signed body (simulate)",
			{
				method: "POST",
				path: "/sigil/v1/simulate",
				body: JSON.stringify({
					principal: "*",
					action: "lambda:InvokeFunction",
					resource: "*",
				}),
				headers: { "content-type": "application/json" },
			},
		],
	];
	for (const [name, o] of variants)
		test(`${name}: "valid" exactly when the gateway accepts the request`, async () => {
			const r = await signRequest(gw.url, { path: "/sigil/v1/whoami", ...o });
			// The path is one the gateway serves: what it answers is its authentication's verdict.
			const status = await send(r);
			const { json } = await debugCall(gw, { raw: asRaw(r) });
			const accepted = status !== 401 && status !== 403;
			assert.ok(
				["valid", "mismatch", "refused"].includes(String(json.outcome)),
				JSON.stringify(json),
			);
			assert.equal(
				json.outcome === "valid",
				accepted,
				`gateway ${status}, debugger ${json.outcome} ${json.code}`,
			);
		});
});

describe("curl --aws-sigv4, the real one", () => {
	/** Runs Debian's curl with -v; answers the status and the transcript curl wrote. */
	async function curlVerbose(
		provider: string,
	): Promise<{ status: number; transcript: string }> {
		const { stdout, stderr } = await promisify(execFile)("curl", [
			"-sS",
			"-v",
			"-o",
			"/dev/null",
			"-w",
			"%{http_code}",
			"--aws-sigv4",
			provider,
			"--user",
			`${ROOT_KEY.accessKeyId}:${ROOT_KEY.secretAccessKey}`,
			`${gw.url}/sigil/v1/whoami`,
		]);
		return { status: Number(stdout), transcript: stderr };
	}

	test("curl's own -v transcript pasted as raw: valid when the gateway accepted it", async () => {
		const { status, transcript } = await curlVerbose("aws:amz:us-east-1:sigil");
		assert.equal(status, 200, transcript);
		const { json, text } = await debugCall(gw, { raw: transcript });
		assert.equal(json.outcome, "valid", text);
	});

	test("curl signing for another region: the gateway refuses, the debugger names the region", async () => {
		const { status, transcript } = await curlVerbose(
			"aws:amz:eu-central-1:sigil",
		);
		assert.equal(status, 403);
		const { json } = await debugCall(gw, { raw: transcript });
		const cause = json.likelyCause as { code: string; text: string };
		assert.equal(cause.code, "REGION");
		assert.match(cause.text, /'eu-central-1'/);
	});
});

describe("botocore's debug log", () => {
	test("its canonical request and string to sign pasted with the request: the host line and the hash differ", async () => {
		const script = new URL("./fixtures/botocore-sign.py", import.meta.url)
			.pathname;
		// botocore signs the URL's host; the request then goes to the gateway's port.
		const { stdout } = await promisify(execFile)("python3", [
			script,
			"http://127.0.0.1/sigil/v1/whoami",
			ROOT_KEY.accessKeyId,
			ROOT_KEY.secretAccessKey,
		]);
		const signed = JSON.parse(stdout) as {
			headers: Record<string, string>;
			canonical: string;
			sts: string;
		};
		const raw = `GET /sigil/v1/whoami HTTP/1.1\r\nHost: ${host}\r\n${Object.entries(
			signed.headers,
		)
			.map(([k, v]) => `${k}: ${v}\r\n`)
			.join("")}\r\n`;
		const { json, text } = await debugCall(gw, {
			raw,
			clientCanonicalRequest: signed.canonical,
			clientStringToSign: signed.sts,
		});
		assert.equal(json.outcome, "mismatch", text);
		assert.equal((json.likelyCause as { code: string }).code, "HOST_PORT");
		const diffs = json.differences as {
			in: string;
			part: string;
			client: string;
			gateway: string;
		}[];
		assert.deepEqual(
			diffs.map((d) => [d.in, d.part]),
			[
				["canonicalRequest", "header:host"],
				["stringToSign", "hash"],
			],
		);
		assert.equal(diffs[0]?.client, "host:127.0.0.1");
		assert.equal(diffs[0]?.gateway, `host:${host}`);
	});
});

describe("ACS3 and payload HMAC", () => {
	function acs3Raw(secret: string, fn = "acs"): string {
		const headers: Record<string, string> = {
			"x-acs-date": new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
			host,
		};
		const request = {
			method: "GET",
			pathname: `/function/${fn}`,
			headers,
			query: {},
		} as unknown as Parameters<typeof OpenApiUtil.default.getAuthorization>[0];
		headers.authorization = OpenApiUtil.default.getAuthorization(
			request,
			"ACS3-HMAC-SHA256",
			"",
			ROOT_KEY.accessKeyId,
			secret,
		);
		return `GET /function/${fn} HTTP/1.1\n${Object.entries(headers)
			.map(([k, v]) => `${k}: ${v}`)
			.join("\n")}\n\n`;
	}

	test("ACS3 signed by @alicloud/openapi-util: valid; with another secret: a mismatch", async () => {
		const ok = await debugCall(gw, { raw: acs3Raw(ROOT_KEY.secretAccessKey) });
		assert.equal(ok.status, 200, ok.text);
		assert.equal(ok.json.scheme, "acs3");
		assert.equal(ok.json.outcome, "valid");
		assert.match(
			String(ok.json.stringToSign),
			/^ACS3-HMAC-SHA256\n[0-9a-f]{64}$/,
		);
		const bad = await debugCall(gw, { raw: acs3Raw("not-the-secret") });
		assert.equal(bad.json.outcome, "mismatch");
		assert.equal((bad.json.likelyCause as { code: string }).code, "UNKNOWN");
	});

	test("a right ACS3 signature on a route that takes another scheme is refused, naming both", async () => {
		for (const [fn, takes] of [
			["hooked", "hmac"],
			["nowhere-at-all", "sigv4"],
		] as const) {
			const { json } = await debugCall(gw, {
				raw: acs3Raw(ROOT_KEY.secretAccessKey, fn),
			});
			assert.equal(json.outcome, "refused", fn);
			assert.equal(json.code, "WRONG_SCHEME");
			const cause = json.likelyCause as { code: string; text: string };
			assert.equal(cause.code, "SCHEME");
			assert.match(
				cause.text,
				new RegExp(`signed with acs3.*requires ${takes}`),
			);
		}
	});

	function hmacRaw(body: string, signedBody: string): string {
		const mac = createHmac("sha256", HMAC_SECRET)
			.update(signedBody)
			.digest("hex");
		return `POST /function/hooked HTTP/1.1\nHost: ${host}\nHmac: sha256=${mac}\nContent-Length: ${body.length}\n\n${body}`;
	}

	test("payload HMAC: the function's trigger secret decides; a body signed with its newline is named", async () => {
		const ok = await debugCall(gw, { raw: hmacRaw('{"x":1}', '{"x":1}') });
		assert.equal(ok.status, 200, ok.text);
		assert.equal(ok.json.scheme, "hmac");
		assert.equal(ok.json.outcome, "valid");
		assert.equal(ok.json.canonicalRequest, null);
		const bad = await debugCall(gw, { raw: hmacRaw('{"x":1}', '{"x":1}\n') });
		assert.equal(bad.json.outcome, "mismatch");
		assert.equal(
			(bad.json.likelyCause as { code: string }).code,
			"TRAILING_NEWLINE",
		);
	});
});

describe("the auth log", () => {
	test("a refused request picked by its request id gives the diagnosis recorded for it", async () => {
		const r = await signRequest(gw.url, {
			signedHost: "127.0.0.1",
			path: "/sigil/v1/functions",
		});
		assert.equal(await send(r), 403);
		await gw.gateway.store.audit.flush();
		const { records } = await cp<{
			records: { requestId: string; outcome: string; accessKeyId: string }[];
		}>(gw, "GET", "/logs?limit=50");
		const refused = records.filter(
			(x) =>
				x.outcome === "SIGNATURE_MISMATCH" &&
				x.accessKeyId === ROOT_KEY.accessKeyId,
		);
		const record = refused.at(-1);
		assert.ok(record, "the refusal is in the log");
		const { status, json, text } = await debugCall(gw, {
			auditId: record.requestId,
		});
		assert.equal(status, 200, text);
		assert.equal(json.outcome, "mismatch");
		assert.equal((json.likelyCause as { code: string }).code, "HOST_PORT");
		assert.match(
			String(json.canonicalRequest),
			/^GET\n\/sigil\/v1\/functions\n/,
		);
	});

	test("an id that is not in the caller's log is not found", async () => {
		const { status, json } = await debugCall(gw, {
			auditId: "00000000-0000-0000-0000-000000000000",
		});
		assert.equal(status, 404);
		assert.equal(
			(json.error as { code: string }).code,
			"DEBUG_SUBJECT_NOT_FOUND",
		);
	});
});

describe("who may ask", () => {
	test("another account's key and a key that exists nowhere get the same not-found answer", async () => {
		const theirs = await signRequest(gw.url, { credentials: other.keys });
		const none = await signRequest(gw.url, {
			credentials: {
				accessKeyId: "AKIAZZZZZZZZZZZZZZZZ",
				secretAccessKey: "x".repeat(40),
			},
		});
		const a = await debugCall(gw, { raw: asRaw(theirs) });
		const b = await debugCall(gw, { raw: asRaw(none) });
		assert.equal(a.status, 404);
		assert.equal(b.status, 404);
		const shape = (j: Record<string, unknown>, id: string) => {
			const e = j.error as { code: string; message: string };
			return [e.code, e.message.replace(id, "KEY")];
		};
		assert.deepEqual(
			shape(a.json, other.keys.accessKeyId),
			shape(b.json, "AKIAZZZZZZZZZZZZZZZZ"),
		);
		assert.equal(
			shape(a.json, other.keys.accessKeyId)[0],
			"DEBUG_SUBJECT_NOT_FOUND",
		);
		assert.ok(!a.text.includes("canonicalRequest"));
	});

	test("the other account's own admin may debug the very same request", async () => {
		const theirs = await signRequest(gw.url, { credentials: other.keys });
		const { json } = await debugCall(gw, { raw: asRaw(theirs) }, other.keys);
		assert.equal(json.outcome, "valid");
	});

	test("a user without sigil:DebugSignature is denied, even for their own key", async () => {
		const own = await signRequest(gw.url, { credentials: nobody.keys });
		const { status, json } = await debugCall(
			gw,
			{ raw: asRaw(own) },
			nobody.keys,
		);
		assert.equal(status, 403);
		const e = json.error as { code: string; message: string };
		assert.equal(e.code, "ACCESS_DENIED");
		assert.match(e.message, /sigil:DebugSignature/);
		assert.match(e.message, /user\/nobody/);
	});

	test("allowed on their own user only: their key yes, the root key and another user's no", async () => {
		const mine = await signRequest(gw.url, { credentials: debugger_.keys });
		assert.equal(
			(await debugCall(gw, { raw: asRaw(mine) }, debugger_.keys)).json.outcome,
			"valid",
		);
		const roots = await signRequest(gw.url);
		const denied = await debugCall(gw, { raw: asRaw(roots) }, debugger_.keys);
		assert.equal(denied.status, 403);
		assert.match((denied.json.error as { message: string }).message, /:root/);
		const nobodys = await signRequest(gw.url, { credentials: nobody.keys });
		assert.equal(
			(await debugCall(gw, { raw: asRaw(nobodys) }, debugger_.keys)).status,
			403,
		);
	});

	test("a payload-HMAC function of another account is not found", async () => {
		const raw = `POST /function/hooked HTTP/1.1\nHost: ${host}\nHmac: sha256=${"0".repeat(64)}\n\n{}`;
		const { status, json } = await debugCall(gw, { raw }, other.keys);
		assert.equal(status, 400);
		assert.equal((json.error as { code: string }).code, "DEBUG_NO_SIGNATURE");
	});
});

describe("input", () => {
	const cases: [string, unknown, number, string][] = [
		["not JSON", "{", 400, "DEBUG_INPUT_INVALID"],
		["none of raw/curl/auditId", {}, 400, "DEBUG_INPUT_INVALID"],
		[
			"two of them",
			{ raw: "GET / HTTP/1.1\n\n", curl: "curl x" },
			400,
			"DEBUG_INPUT_INVALID",
		],
		[
			"an unknown field",
			{ raw: "GET / HTTP/1.1\n\n", region: "x" },
			400,
			"DEBUG_INPUT_INVALID",
		],
		["a non-string", { raw: 42 }, 400, "DEBUG_INPUT_INVALID"],
		[
			"a paste over 64 KiB",
			{ raw: `GET / HTTP/1.1\n\n${"a".repeat(65 * 1024)}` },
			400,
			"DEBUG_INPUT_INVALID",
		],
		[
			"a raw text that is no request",
			{ raw: "hello there" },
			400,
			"DEBUG_REQUEST_UNPARSABLE",
		],
		[
			"a header line without a colon",
			{ raw: "GET / HTTP/1.1\nHost x\n\n" },
			400,
			"DEBUG_REQUEST_UNPARSABLE",
		],
		[
			"curl with --aws-sigv4",
			{ curl: "curl --aws-sigv4 aws:amz:us-east-1:lambda http://x/" },
			400,
			"DEBUG_CURL_UNSUPPORTED",
		],
		[
			"curl with an unknown option",
			{ curl: "curl --proxy http://p http://x/" },
			400,
			"DEBUG_CURL_UNSUPPORTED",
		],
		[
			"curl with a $VARIABLE",
			{ curl: 'curl -H "Authorization: $AUTH" http://x/' },
			400,
			"DEBUG_REQUEST_UNPARSABLE",
		],
		[
			"a request with no signature",
			{ raw: "GET /sigil/v1/whoami HTTP/1.1\nHost: x\n\n" },
			400,
			"DEBUG_NO_SIGNATURE",
		],
	];
	for (const [name, body, status, code] of cases)
		test(`${name} → ${status} ${code}`, async () => {
			const r = await debugCall(gw, body);
			assert.equal(r.status, status, r.text);
			assert.equal((r.json.error as { code: string }).code, code);
		});

	test("curl --aws-sigv4 for another region: refused, but the region is named, and no secret repeated", async () => {
		const r = await debugCall(gw, {
			curl: "curl --aws-sigv4 aws:amz:eu-west-1:sigil --user AKIAIOSFODNN7EXAMPLE:s3cr3t-value-xyz http://h/sigil/v1/whoami",
		});
		assert.equal(r.status, 400);
		const e = r.json.error as { code: string; message: string };
		assert.equal(e.code, "DEBUG_CURL_UNSUPPORTED");
		assert.match(
			e.message,
			/region 'eu-west-1' while this gateway's is 'us-east-1'/,
		);
		assert.ok(!r.text.includes("s3cr3t-value-xyz"));
		const same = await debugCall(gw, {
			curl: "curl --aws-sigv4 aws:amz:us-east-1:sigil http://h/",
		});
		assert.doesNotMatch(
			(same.json.error as { message: string }).message,
			/while this gateway/,
		);
	});

	test("a body over 128 KiB is refused before it is read", async () => {
		const r = await debugCall(gw, { raw: "x".repeat(130 * 1024) });
		assert.equal(r.status, 413);
	});
});

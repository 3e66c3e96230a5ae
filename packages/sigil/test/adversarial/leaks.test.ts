// Adversarial: nothing secret leaks. A hostile or careless client sends an Authorization header
// whose signature carries a recognizable marker (in every shape the parsers meet: an ACS3 value
// at a SigV4 endpoint, a SigV4 value with a component lacking '=', a well-formed ACS3 value that
// lists `authorization` among its signed headers so the mismatch diagnosis would print it). The
// marker must appear in no response (body or headers), no audit record (`GET /sigil/v1/logs` as
// root) and no gateway log line. A function that throws must show only its own frames.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
	ROOT_KEY,
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "../helpers/gateway.ts";

/** 64 lower-case hex digits, so every parser gets as far as it can; the marker is recognizable. */
const SIG_MARK = "5ec7e75ec7e7";
const SIGNATURE = `${SIG_MARK}${"a".repeat(64 - SIG_MARK.length)}`;
/** x-acs-date as Alibaba's SDKs send it: ISO 8601 UTC without milliseconds. */
const acsDate = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
/** x-amz-date (ISO 8601 basic) and its scope date, now. */
const amzDate = () => new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");

/** A textual marker for the parts a client may garble (not hex, cannot be a valid signature). */
const TEXT_MARK = "LEAKYSECRETzq9";

const WHOAMI = `export const handler = async () => ({ ok: true });`;
const THROWS = `
function deepInside(n) {
	if (n === 0) throw new TypeError("boom from the function");
	return deepInside(n - 1);
}
export const handler = async (event) => {
	if (event.log) console.error("caught", new Error("logged error"));
	if (event.reject) Promise.reject(new Error("background rejection"));
	return deepInside(2);
};`;

/** A function that looks at its own stacks through the CallSite API, as source-map-support and depd do. */
const INTROSPECTS = `
export const handler = async () => {
	const prior = Error.prepareStackTrace;
	Error.prepareStackTrace = (_e, sites) => sites;
	const sites = new Error("x").stack;
	Error.prepareStackTrace = (e, sites) => \`\${e}\\n\${sites.map((s) => "    at " + s).join("\\n")}\`;
	const formatted = new Error("y").stack;
	Error.prepareStackTrace = prior;
	return { files: sites.map((s) => s.getFileName()), formatted, plain: new Error("z").stack };
};`;

let gw: TestGateway;
before(async () => {
	gw = await startTestGateway();
	await gw.deploy(
		"fc",
		{ runtime: "node", trigger: { auth: "acs3" } },
		{ "index.mjs": WHOAMI },
	);
	await gw.deploy(
		"iam",
		{ runtime: "node", trigger: { auth: "aws_iam" } },
		{ "index.mjs": WHOAMI },
	);
	await gw.deploy(
		"introspects",
		{ runtime: "node", trigger: { auth: "none" } },
		{ "index.mjs": INTROSPECTS },
	);
	await gw.deploy(
		"thrower",
		{ runtime: "node", trigger: { auth: "none" } },
		{ "index.mjs": THROWS },
	);
});
after(() => gw.stop());

async function capture(
	res: Response,
): Promise<{ status: number; text: string }> {
	const body = await res.text();
	const headers = JSON.stringify([...res.headers]);
	return { status: res.status, text: `${headers}\n${body}` };
}

/** Audit records after `after` (the account root signs for), as text. */
async function auditText(after = 0): Promise<string> {
	const res = await gw.signed(
		"GET",
		`/sigil/v1/logs?limit=1000&after=${after}`,
	);
	assert.equal(res.status, 200);
	return await res.text();
}

async function lastAuditId(): Promise<number> {
	const res = await gw.signed("GET", "/sigil/v1/logs?limit=1000");
	const { records } = (await res.json()) as { records: { id: number }[] };
	return records.at(-1)?.id ?? 0;
}

function assertNoMarker(where: string, text: string): void {
	for (const marker of [SIG_MARK, TEXT_MARK]) {
		assert.ok(
			!text.includes(marker),
			`${where} shows the marker ${marker}:\n${text.slice(0, 4000)}`,
		);
	}
}

/**
 * Sends a raw request with the given Authorization and checks what it produced: the answer,
 * the audit records and the gateway's log lines written since it was sent. Returns the status
 * and the new audit records' text.
 */
async function probe(
	path: string,
	authorization: string,
	extra: Record<string, string> = {},
): Promise<{ status: number; audit: string }> {
	const since = await lastAuditId();
	const logFrom = gw.logs.length;
	const res = await fetch(new URL(path, gw.url), {
		headers: { authorization, ...extra },
	});
	const answer = await capture(res);
	assert.ok(answer.status >= 400, `${path} answered ${answer.status}`);
	assertNoMarker(`the answer to ${path}`, answer.text);
	const audit = await auditText(since);
	assertNoMarker("the audit log", audit);
	assertNoMarker("the gateway log", gw.logs.slice(logFrom).join("\n"));
	return { status: answer.status, audit };
}

const ACS3_VALUE = `ACS3-HMAC-SHA256 Credential=${ROOT_KEY.accessKeyId},SignedHeaders=host;x-acs-date,Signature=${SIGNATURE}${TEXT_MARK}`;

describe("Authorization values are never echoed", () => {
	test("an ACS3 value at a SigV4 function URL (the SigV4 parser used to quote the whole header)", async () => {
		await probe("/function/iam", ACS3_VALUE, {
			"x-acs-date": acsDate(),
		});
	});

	test("an ACS3 value at the control plane", async () => {
		await probe("/sigil/v1/functions", ACS3_VALUE);
	});

	test("an ACS3 value at an ACS3 function, garbled in each field", async () => {
		const date = { "x-acs-date": acsDate() };
		await probe("/function/fc", ACS3_VALUE, date);
		await probe(
			"/function/fc",
			`ACS3-HMAC-SHA256 Credential=${ROOT_KEY.accessKeyId},SignedHeaders=host;x-acs-date Signature=${SIGNATURE}`,
			date,
		);
		await probe(
			"/function/fc",
			`ACS3-HMAC-SHA256 Credential=${ROOT_KEY.accessKeyId} Signature=${SIGNATURE},SignedHeaders=host,x`,
			date,
		);
		await probe("/function/fc", `ACS3-HMAC-SHA256,${SIGNATURE}`);
		await probe("/function/fc", `FC ${ROOT_KEY.accessKeyId}:${TEXT_MARK}`, {
			date: new Date().toUTCString(),
		});
	});

	test("a well-formed ACS3 value that signs its own Authorization header: the owner's diagnosis hides it", async () => {
		const { status, audit } = await probe(
			"/function/fc",
			`ACS3-HMAC-SHA256 Credential=${ROOT_KEY.accessKeyId},SignedHeaders=authorization;host;x-acs-date,Signature=${SIGNATURE}`,
			{ "x-acs-date": acsDate() },
		);
		assert.equal(status, 403, "got as far as the signature comparison");
		assert.match(
			audit,
			/SIGNATURE_MISMATCH.*canonicalRequest/,
			"the mismatch (and its diagnosis) was recorded for the key's owner",
		);
	});

	test("SigV4 values: a component without '=', a missing comma, a garbled credential and algorithm", async () => {
		const now = amzDate();
		const scope = `${ROOT_KEY.accessKeyId}/${now.slice(0, 8)}/us-east-1/lambda/aws4_request`;
		const date = { "x-amz-date": now };
		await probe(
			"/function/iam",
			`AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, ${TEXT_MARK}${SIGNATURE}`,
			date,
		);
		await probe(
			"/function/iam",
			`AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date Signature=${SIGNATURE}`,
			date,
		);
		await probe(
			"/function/iam",
			`AWS4-HMAC-SHA256 Credential=${scope} Signature=${SIGNATURE}, SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}`,
			date,
		);
		await probe(
			"/function/iam",
			`AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date;${SIGNATURE}, Signature=${SIGNATURE}`,
			date,
		);
		await probe(
			"/function/iam",
			`AWS4-HMAC-SHA256 Credential=${scope} Signature=${SIGNATURE}${TEXT_MARK}, SignedHeaders=host;x-amz-date`,
			date,
		);
		await probe(
			"/function/iam",
			`AWS4-HMAC-SHA256,Signature=${SIGNATURE},Credential=${scope}`,
			date,
		);
	});

	test("an unknown key id is recorded as a bounded snippet, not the caller's 5 KB of text", async () => {
		const now = amzDate();
		const keyId = `AKIA${"K".repeat(5000)}`;
		const { audit } = await probe(
			"/function/iam",
			`AWS4-HMAC-SHA256 Credential=${keyId}/${now.slice(0, 8)}/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}`,
			{ "x-amz-date": now },
		);
		const { records } = JSON.parse(audit) as {
			records: { outcome: string; accessKeyId: string | null }[];
		};
		const record = records.find((r) => r.outcome === "ACCESS_KEY_UNKNOWN");
		assert.ok(record, audit.slice(0, 2000));
		assert.ok(
			(record.accessKeyId ?? "").length <= 65,
			`recorded ${(record.accessKeyId ?? "").length} characters`,
		);
	});

	test("Basic credentials sent to a SigV4 endpoint are not quoted back", async () => {
		const basic = Buffer.from(`user:${TEXT_MARK}`).toString("base64");
		await probe("/function/iam", `Basic ${basic}`);
		const res = await fetch(new URL("/function/iam", gw.url), {
			headers: { authorization: `Basic ${basic}` },
		});
		assert.ok(!(await res.text()).includes(basic));
	});
});

describe("a function's error shows only the function's own frames", () => {
	const gatewayFrame =
		/packages\/sigil|worker-entry|worker-pool|node-runtime|runtime\/|node:internal/;

	function assertOwnFrames(where: string, text: string): void {
		assert.doesNotMatch(text, gatewayFrame, `${where}: ${text}`);
		assert.ok(
			!text.includes(gw.dataDir),
			`${where} shows the data dir: ${text}`,
		);
	}

	test("Lambda Invoke: {errorType, errorMessage, trace} and the log tail", async () => {
		const res = await signedFetch(
			gw.url,
			"POST",
			"/2015-03-31/functions/thrower/invocations",
			{
				service: "lambda",
				body: JSON.stringify({ log: true }),
				headers: { "x-amz-log-type": "Tail" },
			},
		);
		assert.equal(res.status, 200);
		assert.equal(res.headers.get("x-amz-function-error"), "Unhandled");
		const err = (await res.json()) as {
			errorType: string;
			errorMessage: string;
			trace: string[];
		};
		assert.equal(err.errorType, "TypeError");
		assert.equal(err.errorMessage, "boom from the function");
		assert.ok(err.trace.length >= 3, JSON.stringify(err.trace));
		for (const frame of err.trace) {
			assertOwnFrames("trace", frame);
			assert.match(frame, /\bindex\.mjs:\d+:\d+/, frame);
		}
		assert.match(err.trace[0] ?? "", /deepInside/);
		const tail = Buffer.from(
			res.headers.get("x-amz-log-result") ?? "",
			"base64",
		).toString("utf8");
		assert.match(tail, /logged error/);
		assert.match(tail, /Invoke Error/);
		assertOwnFrames("log tail", tail);
	});

	test("function URL: the caller's answer and the gateway's log", async () => {
		const logFrom = gw.logs.length;
		const res = await fetch(new URL("/function/thrower", gw.url), {
			method: "POST",
			body: JSON.stringify({ log: true, reject: true }),
		});
		assert.ok(res.status >= 500);
		assertOwnFrames("answer", await res.text());
		await new Promise((r) => setTimeout(r, 100));
		assertOwnFrames("gateway log", gw.logs.slice(logFrom).join("\n"));
	});

	test("a function's own Error.prepareStackTrace (source-map-support, depd) sees only its own call sites", async () => {
		const res = await fetch(new URL("/function/introspects", gw.url));
		assert.equal(res.status, 200);
		const seen = (await res.json()) as {
			files: string[];
			formatted: string;
			plain: string;
		};
		// The call sites themselves: only the handler's (its own absolute path, which
		// import.meta.url tells it anyway), none of the worker's that called it.
		assert.equal(seen.files.length, 1, JSON.stringify(seen.files));
		assert.match(seen.files[0] ?? "", /\/index\.mjs$/);
		assertOwnFrames("formatted stack", seen.formatted);
		assertOwnFrames("default stack", seen.plain);
		assert.match(seen.formatted, /^Error: y\n {4}at .*index\.mjs:\d+:\d+/);
		assert.match(seen.plain, /^Error: z\n {4}at .*index\.mjs:\d+:\d+\)?$/);
	});

	// The deploy loads new code in a sandboxed instance first (registry.ts loadProbe): a module
	// that does not load is refused there, and the refusal shows the function's own frames only.
	// (A stored revision that fails later at a request: runtime-own-frames.test.ts.)
	test("a module that does not load is refused at deploy, naming only the function's frames", async () => {
		const logFrom = gw.logs.length;
		for (const source of [
			"export const handler = async () => {\n  return ]\n};\n",
			"const boom = () => { throw new Error('no config'); };\nboom();\nexport const handler = async () => 1;\n",
		]) {
			const res = await gw.signed("PUT", "/sigil/v1/functions/broken", {
				body: JSON.stringify({
					config: { runtime: "node", trigger: { auth: "none" } },
					code: {
						files: [
							{
								path: "index.mjs",
								mode: 0o644,
								data: Buffer.from(source).toString("base64"),
							},
						],
					},
				}),
				headers: { "content-type": "application/json" },
			});
			assert.equal(res.status, 400);
			const text = await res.text();
			assert.match(text, /HANDLER_LOAD_FAILED/);
			assertOwnFrames("deploy refusal", text);
		}
		assert.match(
			await (await gw.signed("GET", "/sigil/v1/functions/broken")).text(),
			/FUNCTION_NOT_FOUND|NOT_FOUND/,
			"nothing was deployed",
		);
		assertOwnFrames("gateway log", gw.logs.slice(logFrom).join("\n"));
	});
});

// A real gateway on port 0, real SQLite, real worker threads; callers signed by real peer
// clients. Each scheme: accepted when right, refused in its own dialect when wrong, and the
// function never runs on a refusal.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import {
	ROOT_KEY,
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";

// Counts its own runs so a test can prove a refused request never reached it.
const COUNTER = `
let runs = 0;
export const handler = async (event) => {
	runs++;
	return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ runs, caller: event.requestContext.authorizer?.iam ?? null, body: event.body ?? null, path: event.rawPath, headers: event.headers }) };
};`;

let gw: TestGateway;

before(async () => {
	gw = await startTestGateway();
	await gw.putSecret("hook-key", "SECRET");
	await gw.putSecret("hook-key-next", "ROTATED");
	await gw.deploy(
		"open",
		{
			runtime: "node",
			trigger: {
				auth: "none",
				cors: {
					allowOrigins: ["https://app.example"],
					allowMethods: ["POST"],
					allowHeaders: ["content-type"],
					maxAge: 600,
				},
			},
		},
		{ "index.mjs": COUNTER },
	);
	await gw.deploy(
		"iam",
		{ runtime: "node", trigger: { auth: "aws_iam" } },
		{ "index.mjs": COUNTER },
	);
	await gw.deploy(
		"hmac",
		{
			runtime: "node",
			trigger: {
				auth: "hmac",
				secrets: ["hook-key", "hook-key-next"],
				algorithms: ["sha256", "sha1"],
			},
		},
		{ "index.mjs": COUNTER },
	);
	await gw.deploy(
		"small",
		{ runtime: "node", trigger: { auth: "none", maxBodyBytes: 16 } },
		{ "index.mjs": COUNTER },
	);
});
after(() => gw.stop());

async function runs(name: string): Promise<number> {
	// The open function reports its own count; the others are read through the audit log.
	const res = await gw.signed(
		"GET",
		`/sigil/v1/logs?function=${name}&limit=1000`,
	);
	const { records } = (await res.json()) as { records: { outcome: string }[] };
	return records.filter((r) => r.outcome === "OK").length;
}

describe("auth: none", () => {
	test("anyone may call; the function sees no caller", async () => {
		const res = await fetch(`${gw.url}/function/open/sub/path?x=1`, {
			method: "POST",
			body: "hi",
		});
		assert.equal(res.status, 200);
		assert.ok(res.headers.get("x-sigil-request-id"));
		const json = (await res.json()) as {
			caller: unknown;
			body: string;
			path: string;
		};
		assert.equal(json.caller, null);
		assert.equal(json.body, "hi");
		assert.equal(json.path, "/sub/path");
	});

	test("a client that goes away mid-body: the function does not run, the gateway serves on", async () => {
		const runsOf = async () =>
			(
				(await (await fetch(`${gw.url}/function/open`)).json()) as {
					runs: number;
				}
			).runs;
		const before = await runsOf();
		const postsBefore = gw.logs.filter(
			(l) =>
				l.includes('"at":"request"') &&
				l.includes('"method":"POST"') &&
				l.includes('"path":"/function/open"'),
		).length;
		const { port } = new URL(gw.url);
		for (let i = 0; i < 5; i++)
			await new Promise<void>((resolve, reject) => {
				const socket = connect(Number(port), "127.0.0.1", () => {
					socket.write(
						"POST /function/open HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789",
					);
					setTimeout(() => {
						socket.destroy();
						resolve();
					}, 20);
				});
				socket.on("error", reject);
			});
		// Only the counting GETs ran: none of the cut-off POSTs reached the function.
		assert.equal(await runsOf(), before + 1);
		// And none is left waiting for the rest of its body (a read that never settles): each
		// cut-off request finished, with its request log line.
		const cutOff = () =>
			gw.logs.filter(
				(l) =>
					l.includes('"at":"request"') &&
					l.includes('"method":"POST"') &&
					l.includes('"path":"/function/open"'),
			).length;
		const deadline = Date.now() + 2_000;
		while (cutOff() < postsBefore + 5 && Date.now() < deadline)
			await new Promise((r) => setTimeout(r, 20));
		assert.equal(cutOff(), postsBefore + 5);
	});

	test("faas-cli's NAME.openfaas-fn form reaches the same function", async () => {
		const res = await fetch(`${gw.url}/function/open.openfaas-fn`);
		assert.equal(res.status, 200);
	});

	test("CORS preflight is answered from the trigger config, before authentication", async () => {
		const res = await fetch(`${gw.url}/function/open`, {
			method: "OPTIONS",
			headers: {
				origin: "https://app.example",
				"access-control-request-method": "POST",
			},
		});
		assert.equal(res.status, 204);
		assert.equal(
			res.headers.get("access-control-allow-origin"),
			"https://app.example",
		);
		assert.equal(res.headers.get("access-control-max-age"), "600");
		const denied = await fetch(`${gw.url}/function/open`, {
			method: "OPTIONS",
			headers: {
				origin: "https://evil.example",
				"access-control-request-method": "POST",
			},
		});
		assert.equal(denied.headers.get("access-control-allow-origin"), null);
	});

	test("a body over the trigger's limit is refused with 413 before the function runs", async () => {
		const res = await fetch(`${gw.url}/function/small`, {
			method: "POST",
			body: "x".repeat(17),
		});
		assert.equal(res.status, 413);
		const json = (await res.json()) as { error: { code: string } };
		assert.equal(json.error.code, "BODY_TOO_LARGE");
	});

	test("an unknown function is answered as a protected one, so names do not leak", async () => {
		const unknown = await fetch(`${gw.url}/function/nope`);
		const protectedFn = await fetch(`${gw.url}/function/iam`);
		assert.equal(unknown.status, 403);
		assert.equal(unknown.status, protectedFn.status);
		assert.equal(
			unknown.headers.get("x-amzn-errortype"),
			protectedFn.headers.get("x-amzn-errortype"),
		);
		assert.ok(unknown.headers.get("x-amzn-requestid"));
	});
});

describe("auth: aws_iam (SigV4, service lambda)", () => {
	test("a request signed by @smithy/signature-v4 is accepted and the function sees the verified caller", async () => {
		const res = await signedFetch(gw.url, "POST", "/function/iam/a?b=c&b=a", {
			service: "lambda",
			body: '{"x":1}',
			headers: { "content-type": "application/json" },
		});
		assert.equal(res.status, 200, await res.clone().text());
		const json = (await res.json()) as {
			caller: { accessKey: string; accountId: string; userArn: string };
		};
		assert.equal(json.caller.accessKey, ROOT_KEY.accessKeyId);
		assert.equal(
			json.caller.userArn,
			`arn:aws:iam::${gw.gateway.rootAccountId}:root`,
		);
	});

	test("no signature → 403 in AWS's dialect", async () => {
		const res = await fetch(`${gw.url}/function/iam`);
		assert.equal(res.status, 403);
		assert.equal(
			res.headers.get("x-amzn-errortype"),
			"MissingAuthenticationTokenException",
		);
		assert.ok(res.headers.get("x-amzn-requestid"));
		assert.equal(
			((await res.json()) as { message: string }).message,
			"Missing Authentication Token",
		);
	});

	test("wrong secret → InvalidSignatureException, the diagnosis goes to the owner's log only", async () => {
		const before = await runs("iam");
		const res = await signedFetch(gw.url, "GET", "/function/iam", {
			service: "lambda",
			credentials: {
				accessKeyId: ROOT_KEY.accessKeyId,
				secretAccessKey: "not-the-secret",
			},
		});
		assert.equal(res.status, 403);
		assert.equal(
			res.headers.get("x-amzn-errortype"),
			"InvalidSignatureException",
		);
		const text = await res.text();
		assert.match(text, /does not match/);
		assert.doesNotMatch(
			text,
			/canonical/i,
			"no canonical request for anonymous callers",
		);
		assert.equal(await runs("iam"), before, "the function did not run");
		const logs = (await (
			await gw.signed("GET", "/sigil/v1/logs?function=iam")
		).json()) as {
			records: {
				outcome: string;
				detail: { diagnosis?: { canonicalRequest?: string } };
			}[];
		};
		const failure = logs.records.find(
			(r) => r.outcome === "SIGNATURE_MISMATCH",
		);
		assert.ok(
			failure?.detail.diagnosis?.canonicalRequest,
			"owner sees the canonical request",
		);
	});

	test("unknown key → UnrecognizedClientException", async () => {
		const res = await signedFetch(gw.url, "GET", "/function/iam", {
			service: "lambda",
			credentials: {
				accessKeyId: "AKIAUNKNOWNUNKNOWN12",
				secretAccessKey: "x",
			},
		});
		assert.equal(res.status, 403);
		assert.equal(
			res.headers.get("x-amzn-errortype"),
			"UnrecognizedClientException",
		);
	});

	test("a clock 10 minutes off → Signature expired", async () => {
		const res = await signedFetch(gw.url, "GET", "/function/iam", {
			service: "lambda",
			signingDate: new Date(Date.now() - 10 * 60_000),
		});
		assert.equal(res.status, 403);
		assert.match(
			((await res.json()) as { message: string }).message,
			/^Signature expired/,
		);
	});

	test("a body changed after signing is refused", async () => {
		const u = new URL("/function/iam", gw.url);
		// Sign one body, send another: the payload hash no longer matches.
		const { SignatureV4 } = await import("@smithy/signature-v4");
		const { Sha256 } = await import("@aws-crypto/sha256-js");
		const { HttpRequest } = await import("@smithy/protocol-http");
		const signer = new SignatureV4({
			credentials: ROOT_KEY,
			region: "us-east-1",
			service: "lambda",
			sha256: Sha256,
		});
		const s = await signer.sign(
			new HttpRequest({
				method: "POST",
				hostname: u.hostname,
				port: Number(u.port),
				path: u.pathname,
				headers: { host: u.host },
				body: "original",
			}),
		);
		const headers = Object.fromEntries(
			Object.entries(s.headers).filter(([k]) => k !== "host"),
		);
		const res = await fetch(u, { method: "POST", headers, body: "tampered" });
		// The SDK also sends x-amz-content-sha256, so the body hash check catches it first.
		assert.equal(res.status, 400, await res.clone().text());
		assert.match(
			((await res.json()) as { message: string }).message,
			/x-amz-content-sha256/,
		);
	});

	test("a disabled key is refused, and works again once enabled", async () => {
		const created = (await (
			await gw.signed("POST", "/sigil/v1/keys")
		).json()) as {
			AccessKey: { AccessKeyId: string; SecretAccessKey: string };
		};
		const creds = {
			accessKeyId: created.AccessKey.AccessKeyId,
			secretAccessKey: created.AccessKey.SecretAccessKey,
		};
		assert.equal(
			(
				await signedFetch(gw.url, "GET", "/function/iam", {
					service: "lambda",
					credentials: creds,
				})
			).status,
			200,
		);
		assert.equal(
			(await gw.signed("POST", `/sigil/v1/keys/${creds.accessKeyId}/disable`))
				.status,
			200,
		);
		const refused = await signedFetch(gw.url, "GET", "/function/iam", {
			service: "lambda",
			credentials: creds,
		});
		assert.equal(refused.status, 403);
		assert.equal(
			refused.headers.get("x-amzn-errortype"),
			"UnrecognizedClientException",
		);
		assert.equal(
			(await gw.signed("POST", `/sigil/v1/keys/${creds.accessKeyId}/enable`))
				.status,
			200,
		);
		assert.equal(
			(
				await signedFetch(gw.url, "GET", "/function/iam", {
					service: "lambda",
					credentials: creds,
				})
			).status,
			200,
		);
		const keys = (await (await gw.signed("GET", "/sigil/v1/keys")).json()) as {
			AccessKeyMetadata: { AccessKeyId: string; LastUsedScheme?: string }[];
		};
		assert.equal(
			keys.AccessKeyMetadata.find((k) => k.AccessKeyId === creds.accessKeyId)
				?.LastUsedScheme,
			"sigv4",
		);
	});
});

describe("auth: hmac (faas-cli --sign, X-Hub-Signature-256)", () => {
	const sign = (alg: string, key: string, body: string) =>
		`${alg}=${createHmac(alg, key).update(body).digest("hex")}`;

	test("sha256= as faas-cli ≥ 0.17.1 sends it is accepted, and the header reaches the function", async () => {
		const res = await fetch(`${gw.url}/function/hmac`, {
			method: "POST",
			body: "hello world",
			headers: { Hmac: sign("sha256", "SECRET", "hello world") },
		});
		assert.equal(res.status, 200);
		const json = (await res.json()) as { headers: Record<string, string> };
		assert.equal(
			json.headers.hmac,
			"sha256=94c6c3f1c24861dcc0b495022a8af53c1d7cf9b4f089ea51bbf3f7ff05f50dfb",
		);
	});

	test("the rotated secret and sha1= (opted in) work too", async () => {
		assert.equal(
			(
				await fetch(`${gw.url}/function/hmac`, {
					method: "POST",
					body: "x",
					headers: { Hmac: sign("sha256", "ROTATED", "x") },
				})
			).status,
			200,
		);
		assert.equal(
			(
				await fetch(`${gw.url}/function/hmac`, {
					method: "POST",
					body: "x",
					headers: { Hmac: sign("sha1", "SECRET", "x") },
				})
			).status,
			200,
		);
	});

	test("a secret's new value is the only one accepted from the next request on", async () => {
		// The gateway keeps trigger secrets in memory (no store read per request): a put must
		// drop the old value at once, or a leaked secret would outlive its rotation.
		await gw.putSecret("rotating-key", "BEFORE");
		await gw.deploy(
			"hmac-rotating",
			{
				runtime: "node",
				trigger: { auth: "hmac", secrets: ["rotating-key"] },
			},
			{ "index.mjs": COUNTER },
		);
		const call = (key: string) =>
			fetch(`${gw.url}/function/hmac-rotating`, {
				method: "POST",
				body: "x",
				headers: { Hmac: sign("sha256", key, "x") },
			}).then((r) => r.status);
		assert.equal(await call("BEFORE"), 200);
		assert.equal(await call("BEFORE"), 200); // now remembered
		await gw.putSecret("rotating-key", "AFTER");
		assert.equal(await call("BEFORE"), 401);
		assert.equal(await call("AFTER"), 200);
	});

	test("a wrong key is a JSON 401 and the function does not run", async () => {
		const before = await runs("hmac");
		const res = await fetch(`${gw.url}/function/hmac`, {
			method: "POST",
			body: "x",
			headers: { Hmac: sign("sha256", "WRONG", "x") },
		});
		assert.equal(res.status, 401);
		const json = (await res.json()) as {
			error: { code: string; requestId: string };
		};
		assert.ok(json.error.code);
		assert.ok(json.error.requestId);
		assert.equal(await runs("hmac"), before);
	});

	test("no header is a 401", async () => {
		assert.equal(
			(await fetch(`${gw.url}/function/hmac`, { method: "POST", body: "x" }))
				.status,
			401,
		);
	});
});

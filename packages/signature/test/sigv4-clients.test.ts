// Real clients over a real socket: the AWS SDK v3 Lambda client, aws4fetch and curl --aws-sigv4
// call a node:http server on port 0 whose handler verifies exactly what arrived (req.url,
// req.rawHeaders, the body bytes) — the same WireRequest the gateway builds.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { AwsClient } from "aws4fetch";
import type { WireRequest } from "../src/request.ts";
import {
	parseSigV4,
	SigningKeyCache,
	verifySigV4,
} from "../src/sigv4/index.ts";

const CREDS = {
	accessKeyId: "AKIAIOSFODNN7EXAMPLE",
	secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
const cache = new SigningKeyCache();
interface Seen {
	readonly code: string;
	readonly path?: string;
	readonly form?: string;
}
const seen: Seen[] = [];
let server: Server;
let base = "";

before(async () => {
	server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const wire: WireRequest = {
				method: req.method ?? "",
				target: req.url ?? "",
				rawHeaders: req.rawHeaders,
				body: Buffer.concat(chunks),
			};
			const parsed = parseSigV4(wire, {
				region: "us-east-1",
				services: ["lambda", "execute-api"],
				now: Date.now(),
			});
			const result = parsed.ok
				? verifySigV4(parsed.request, CREDS, { keyCache: cache })
				: parsed;
			seen.push(
				result.ok && parsed.ok
					? {
							code: "ok",
							path: parsed.request.canonicalPath,
							form: parsed.request.form,
						}
					: { code: result.ok ? "?" : result.code },
			);
			res.writeHead(result.ok ? 200 : result.status, {
				"content-type": "application/json",
				"x-amz-function-error": result.ok ? "" : "Unhandled",
			});
			res.end(
				JSON.stringify(
					result.ok ? { verified: true } : { message: result.message },
				),
			);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test("AWS SDK v3 LambdaClient Invoke (with and without a session token) verifies", async () => {
	for (const credentials of [
		CREDS,
		{ ...CREDS, sessionToken: "FwoGZXIvYXdzEBYaDH/token+=" },
	]) {
		seen.length = 0;
		const client = new LambdaClient({
			region: "us-east-1",
			endpoint: base,
			credentials,
			maxAttempts: 1,
		});
		const out = await client.send(
			new InvokeCommand({
				FunctionName: "hello-fn",
				Qualifier: "$LATEST",
				Payload: new TextEncoder().encode('{"a":"ü"}'),
			}),
		);
		client.destroy();
		assert.deepEqual(seen, [
			{
				code: "ok",
				path: "/2015-03-31/functions/hello-fn/invocations",
				form: "header",
			},
		]);
		assert.equal(new TextDecoder().decode(out.Payload), '{"verified":true}');
	}
});

test("aws4fetch over the socket: header form and presigned URL, with spaces and UTF-8 in the path", async () => {
	seen.length = 0;
	const aws = new AwsClient({
		...CREDS,
		service: "execute-api",
		region: "us-east-1",
		retries: 0,
	});
	const url = `${base}/fn/a b/ሴ/./x?b=2&a=1&flag`;
	const r1 = await aws.fetch(url, { method: "POST", body: "payload" });
	assert.equal(r1.status, 200, await r1.text());
	const presigned = await aws.sign(`${base}/fn/report?x=1`, {
		method: "GET",
		aws: { signQuery: true },
	});
	const r2 = await fetch(presigned.url);
	assert.equal(r2.status, 200, await r2.text());
	assert.deepEqual(seen, [
		{ code: "ok", path: "/fn/a b/ሴ/x", form: "header" },
		{ code: "ok", path: "/fn/report", form: "query" },
	]);
});

test("curl --aws-sigv4 verifies; a tampered body is refused", async () => {
	seen.length = 0;
	const run = promisify(execFile);
	const { stdout } = await run("curl", [
		"-s",
		"--aws-sigv4",
		"aws:amz:us-east-1:lambda",
		"--user",
		`${CREDS.accessKeyId}:${CREDS.secretAccessKey}`,
		"-H",
		"content-type: application/json",
		"--data",
		'{"x":1}',
		`${base}/2015-03-31/functions/f/invocations`,
	]);
	assert.equal(stdout, '{"verified":true}');
	const { stdout: wrong } = await run("curl", [
		"-s",
		"--aws-sigv4",
		"aws:amz:us-east-1:lambda",
		"--user",
		`${CREDS.accessKeyId}:not-the-secret`,
		`${base}/2015-03-31/functions/f/invocations`,
	]);
	assert.match(wrong, /does not match/);
	assert.deepEqual(
		seen.map((s) => s.code),
		["ok", "SIGNATURE_MISMATCH"],
	);
});

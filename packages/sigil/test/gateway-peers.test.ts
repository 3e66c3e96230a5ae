// Wire compatibility: requests signed by the tools people already have reach a function behind
// the matching trigger: aws4, aws4fetch, curl --aws-sigv4 (SigV4, service lambda), and
// Alibaba's @alicloud/openapi-util (ACS3-HMAC-SHA256) as FC's documentation uses it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import OpenApiUtil from "@alicloud/openapi-util";
import aws4 from "aws4";
import { AwsClient } from "aws4fetch";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";

const WHOAMI = `export const handler = async (event) => ({ caller: event.requestContext.authorizer?.iam ?? null, body: event.body ?? null, query: event.rawQueryString });`;

let gw: TestGateway;
before(async () => {
	gw = await startTestGateway();
	await gw.deploy(
		"iam",
		{ runtime: "node", trigger: { auth: "aws_iam" } },
		{ "index.mjs": WHOAMI },
	);
	await gw.deploy(
		"apigw",
		{
			runtime: "node",
			trigger: { auth: "aws_iam", services: ["execute-api", "lambda"] },
		},
		{ "index.mjs": WHOAMI },
	);
	await gw.deploy(
		"fc",
		{ runtime: "node", trigger: { auth: "acs3" } },
		{ "index.mjs": WHOAMI },
	);
});
after(() => gw.stop());

type Caller = {
	caller: { accessKey: string } | null;
	body: string | null;
	query: string;
};

test("aws4 (the Node library behind many tools) signs; the gateway accepts", async () => {
	const u = new URL("/function/iam/x?b=2&a=1", gw.url);
	const opts = aws4.sign(
		{
			host: u.host,
			path: `${u.pathname}${u.search}`,
			method: "POST",
			body: "payload",
			service: "lambda",
			region: "us-east-1",
			headers: { "content-type": "text/plain" },
		},
		ROOT_KEY,
	);
	const res = await fetch(u, {
		method: "POST",
		headers: opts.headers as Record<string, string>,
		body: "payload",
	});
	assert.equal(res.status, 200, await res.clone().text());
	const json = (await res.json()) as Caller;
	assert.equal(json.caller?.accessKey, ROOT_KEY.accessKeyId);
	assert.equal(json.body, "payload");
});

test("aws4fetch signs a request and a presigned URL; both are accepted", async () => {
	const client = new AwsClient({
		...ROOT_KEY,
		service: "lambda",
		region: "us-east-1",
	});
	const res = await client.fetch(`${gw.url}/function/iam?q=a%20b`, {
		method: "PUT",
		body: "x",
	});
	assert.equal(res.status, 200, await res.clone().text());
	const presigned = await client.sign(`${gw.url}/function/iam?flag`, {
		method: "GET",
		aws: { signQuery: true },
	});
	const res2 = await fetch(presigned.url, { method: "GET" });
	assert.equal(res2.status, 200, await res2.clone().text());
});

test("curl --aws-sigv4 works unchanged", async () => {
	const { stdout } = await promisify(execFile)("curl", [
		"-sS",
		"--aws-sigv4",
		"aws:amz:us-east-1:lambda",
		"--user",
		`${ROOT_KEY.accessKeyId}:${ROOT_KEY.secretAccessKey}`,
		"-d",
		"from curl",
		"-H",
		"content-type: text/plain",
		`${gw.url}/function/iam/curl?z=1`,
	]);
	const json = JSON.parse(stdout) as Caller;
	assert.equal(json.caller?.accessKey, ROOT_KEY.accessKeyId);
	assert.equal(json.body, "from curl");
});

test("a trigger may accept the execute-api scope as API Gateway callers sign it", async () => {
	const client = new AwsClient({
		...ROOT_KEY,
		service: "execute-api",
		region: "us-east-1",
	});
	assert.equal((await client.fetch(`${gw.url}/function/apigw`)).status, 200);
	const wrongService = await client.fetch(`${gw.url}/function/iam`);
	assert.equal(wrongService.status, 403);
	assert.match(
		((await wrongService.json()) as { message: string }).message,
		/service/,
	);
});

function acs3Headers(
	method: string,
	path: string,
	query: Record<string, string>,
	secret = ROOT_KEY.secretAccessKey,
): Record<string, string> {
	const headers: Record<string, string> = {
		"x-acs-date": new Date().toISOString(),
		"x-acs-security-token": "",
	};
	const request = {
		method,
		pathname: path,
		headers,
		query,
	} as unknown as Parameters<typeof OpenApiUtil.default.getAuthorization>[0];
	headers.authorization = OpenApiUtil.default.getAuthorization(
		request,
		"ACS3-HMAC-SHA256",
		"",
		ROOT_KEY.accessKeyId,
		secret,
	);
	return headers;
}

test("ACS3-HMAC-SHA256 signed by @alicloud/openapi-util, as FC's docs do it, is accepted", async () => {
	const headers = acs3Headers("POST", "/function/fc/hello", { foo: "bar" });
	const res = await fetch(`${gw.url}/function/fc/hello?foo=bar`, {
		method: "POST",
		headers,
		body: "hello world",
	});
	assert.equal(res.status, 200, await res.clone().text());
	assert.equal(
		((await res.json()) as Caller).caller?.accessKey,
		ROOT_KEY.accessKeyId,
	);
});

test("FC's answers: wrong secret → SignatureNotMatch, no date → MissingRequiredHeader, both with x-fc-request-id", async () => {
	const bad = await fetch(`${gw.url}/function/fc`, {
		headers: acs3Headers("GET", "/function/fc", {}, "wrong-secret"),
	});
	assert.equal(bad.status, 403);
	assert.ok(bad.headers.get("x-fc-request-id"));
	assert.equal(
		((await bad.json()) as { ErrorCode: string }).ErrorCode,
		"SignatureNotMatch",
	);
	const headers = acs3Headers("GET", "/function/fc", {});
	delete headers["x-acs-date"];
	const missing = await fetch(`${gw.url}/function/fc`, { headers });
	const body = (await missing.json()) as {
		ErrorCode: string;
		ErrorMessage: string;
	};
	assert.equal(body.ErrorCode, "MissingRequiredHeader");
	// Seed 001's troubleshooting text, word for word.
	assert.equal(
		body.ErrorMessage,
		"required HTTP header Date was not specified",
	);
	assert.equal(missing.status, 400);
	assert.ok(missing.headers.get("x-fc-request-id"));
});

// Issue 11: every Lambda path Sigil does not implement answers in Lambda's error shape
// (UnknownOperationException in `x-amzn-ErrorType`, a request id, `{"Type","message"}`), so the
// SDK v3 and botocore (the AWS CLI) raise a named error instead of `UnknownError` / `Code='404'`.
// IAM and STS Actions Sigil does not implement answer InvalidAction in the query protocol's XML.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import {
	GetFunctionCodeSigningConfigCommand,
	LambdaClient,
	ListEventSourceMappingsCommand,
	ListLayersCommand,
} from "@aws-sdk/client-lambda";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { awsCliMissing } from "./helpers/system-tools.ts";

const run = promisify(execFile);

let gw: TestGateway;
let client: LambdaClient;
let dir: string;

before(async () => {
	gw = await startTestGateway();
	client = new LambdaClient({
		endpoint: gw.url,
		region: "us-east-1",
		credentials: ROOT_KEY,
		maxAttempts: 1,
	});
	dir = await mkdtemp(join(tmpdir(), "sigil-unknown-"));
});
after(async () => {
	client.destroy();
	await gw.stop();
	await rm(dir, { recursive: true, force: true });
});

describe("Lambda paths Sigil does not implement", () => {
	test("the SDK v3 raises UnknownOperationException with the request id", async () => {
		for (const command of [
			new ListLayersCommand({}),
			new ListEventSourceMappingsCommand({}),
			new GetFunctionCodeSigningConfigCommand({ FunctionName: "nope" }),
		]) {
			await assert.rejects(
				// biome-ignore lint/suspicious/noExplicitAny: three command types, one client call.
				client.send(command as any),
				(
					err: Error & {
						$metadata?: { httpStatusCode?: number; requestId?: string };
					},
				) => {
					assert.equal(
						err.name,
						"UnknownOperationException",
						command.constructor.name,
					);
					assert.equal(err.$metadata?.httpStatusCode, 404);
					assert.match(err.$metadata?.requestId ?? "", /\S/);
					assert.match(err.message, /Unknown operation/);
					return true;
				},
			);
		}
	});

	test("every Lambda API version prefix answers in Lambda's shape, signed or not, any method", async () => {
		for (const path of [
			"/2015-03-31/event-source-mappings/",
			"/2016-08-19/nothing",
			"/2017-03-31/functions/f/tags",
			"/2017-10-31/functions/f/anything",
			"/2018-10-31/layers",
			"/2019-09-25/functions/f/event-invoke-config",
			"/2019-09-30/functions/f/provisioned-concurrency",
			"/2020-04-22/code-signing-configs/",
			"/2020-06-30/functions/f/code-signing-config",
			"/2021-10-31/functions/f/nothing",
		]) {
			for (const res of [
				await gw.signed("GET", path, { service: "lambda" }),
				await fetch(`${gw.url}${path}`, { method: "POST" }),
			]) {
				assert.equal(res.status, 404, path);
				assert.equal(
					res.headers.get("x-amzn-errortype"),
					"UnknownOperationException",
					path,
				);
				assert.match(res.headers.get("x-amzn-requestid") ?? "", /\S/);
				const body = (await res.json()) as Record<string, unknown>;
				assert.equal(body.Type, "User");
				assert.match(String(body.message), /Unknown operation/);
			}
		}
	});

	test("a known Lambda path with a method it does not take is an unknown operation too", async () => {
		const res = await gw.signed("GET", "/2015-03-31/functions/f/invocations", {
			service: "lambda",
		});
		assert.equal(res.status, 404);
		assert.equal(
			res.headers.get("x-amzn-errortype"),
			"UnknownOperationException",
		);
	});

	test("other unrouted paths keep Sigil's own 404", async () => {
		const res = await fetch(`${gw.url}/nowhere/2015-03-31`);
		assert.equal(res.status, 404);
		assert.equal(res.headers.get("x-amzn-errortype"), null);
		const body = (await res.json()) as { error: { code: string } };
		assert.equal(body.error.code, "ROUTE_NOT_FOUND");
	});

	test("IAM and STS: an unknown Action is InvalidAction in the query protocol's XML", async () => {
		for (const [service, version] of [
			["iam", "2010-05-08"],
			["sts", "2011-06-15"],
		] as const) {
			const res = await gw.signed("POST", "/", {
				service,
				body: `Action=FrobnicateWidgets&Version=${version}`,
				headers: { "content-type": "application/x-www-form-urlencoded" },
			});
			assert.equal(res.status, 400, service);
			const xml = await res.text();
			assert.match(xml, /<Code>InvalidAction<\/Code>/, service);
			assert.match(xml, /<RequestId>[^<]+<\/RequestId>/, service);
		}
	});
});

describe("aws lambda … (botocore) on an operation Sigil does not implement", {
	skip: awsCliMissing(),
}, () => {
	test("list-layers fails with the named error, not Code='404'", async () => {
		const failed = await run(
			"aws",
			["lambda", "list-layers", "--endpoint-url", gw.url, "--output", "json"],
			{
				env: {
					PATH: process.env.PATH,
					HOME: dir,
					AWS_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
					AWS_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
					AWS_DEFAULT_REGION: "us-east-1",
					AWS_CONFIG_FILE: join(dir, "none"),
					AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
					AWS_MAX_ATTEMPTS: "1",
				},
				timeout: 30_000,
			},
		).then(
			() => undefined,
			(err: { stderr: string }) => err.stderr,
		);
		assert.ok(failed !== undefined, "the CLI must fail");
		assert.match(
			failed,
			/\(UnknownOperationException\) when calling the ListLayers operation: Unknown operation/,
		);
	});
});

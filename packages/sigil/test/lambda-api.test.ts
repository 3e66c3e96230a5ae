// The Lambda Invoke API through the real AWS SDK v3 client (@aws-sdk/client-lambda) against a
// real gateway: every invocation type, log tails, client context, function errors and timeouts
// in Lambda's words, name/partial-ARN/ARN forms, qualifiers, payload quotas, and the
// cross-account default (another account's ARN without policies → AccessDeniedException; with
// them, see iam-scenarios.test.ts).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
	type AsyncTestGateway,
	otherAccount,
	startAsyncGateway,
} from "./async-helpers.ts";
import { ROOT_KEY, signedFetch } from "./helpers/gateway.ts";

const ECHO = `
export const handler = async (event, context) => {
	console.log("echo says hello");
	if (event.fail) throw new TypeError("asked to fail");
	if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
	return { event, requestId: context.awsRequestId, clientContext: context.clientContext ?? null };
};`;

let gw: AsyncTestGateway;
let client: LambdaClient;
let account: string;

before(async () => {
	gw = await startAsyncGateway();
	account = gw.gateway.rootAccountId;
	await gw.deploy(
		"echo",
		{ runtime: "node", timeout: "1s" },
		{ "index.mjs": ECHO },
	);
	client = new LambdaClient({
		endpoint: gw.url,
		region: "us-east-1",
		credentials: ROOT_KEY,
		maxAttempts: 1,
	});
});
after(async () => {
	client.destroy();
	await gw.stop();
});

const text = (p: Uint8Array | undefined) =>
	Buffer.from(p ?? new Uint8Array()).toString("utf8");

async function rejection(
	p: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
	try {
		await p;
	} catch (err) {
		const e = err as Error & { $metadata?: { httpStatusCode?: number } };
		return {
			name: e.name,
			message: e.message,
			status: e.$metadata?.httpStatusCode,
		};
	}
	assert.fail("expected the call to be refused");
}

describe("RequestResponse", () => {
	test("runs the function and answers its payload with the executed version", async () => {
		const r = await client.send(
			new InvokeCommand({
				FunctionName: "echo",
				Payload: Buffer.from('{"n":1}'),
			}),
		);
		assert.equal(r.StatusCode, 200);
		assert.equal(r.ExecutedVersion, "$LATEST");
		assert.equal(r.FunctionError, undefined);
		const body = JSON.parse(text(r.Payload));
		assert.deepEqual(body.event, { n: 1 });
		assert.equal(
			body.requestId,
			r.$metadata.requestId,
			"awsRequestId is the request id the caller sees",
		);
	});

	test("an empty payload is the event {}", async () => {
		const r = await client.send(new InvokeCommand({ FunctionName: "echo" }));
		assert.deepEqual(JSON.parse(text(r.Payload)).event, {});
	});

	test("LogType Tail returns the base64 log tail; client context reaches the function", async () => {
		const cc = Buffer.from(JSON.stringify({ custom: { app: "t" } })).toString(
			"base64",
		);
		const r = await client.send(
			new InvokeCommand({
				FunctionName: "echo",
				LogType: "Tail",
				ClientContext: cc,
				Payload: Buffer.from("{}"),
			}),
		);
		assert.match(
			Buffer.from(r.LogResult ?? "", "base64").toString(),
			/echo says hello/,
		);
		assert.deepEqual(JSON.parse(text(r.Payload)).clientContext, {
			custom: { app: "t" },
		});
	});

	test("a client context that is not base64 JSON is refused", async () => {
		const e = await rejection(
			client.send(
				new InvokeCommand({
					FunctionName: "echo",
					ClientContext: "bm90IGpzb24=",
				}),
			),
		);
		assert.equal(e.name, "InvalidRequestContentException");
		assert.match(
			e.message,
			/Client context must be a valid Base64-encoded JSON object/,
		);
	});

	test("a thrown error is a 200 with X-Amz-Function-Error: Unhandled and {errorType, errorMessage, trace}", async () => {
		const r = await client.send(
			new InvokeCommand({
				FunctionName: "echo",
				Payload: Buffer.from('{"fail":true}'),
			}),
		);
		assert.equal(r.StatusCode, 200);
		assert.equal(r.FunctionError, "Unhandled");
		const err = JSON.parse(text(r.Payload));
		assert.equal(err.errorType, "TypeError");
		assert.equal(err.errorMessage, "asked to fail");
		assert.ok(Array.isArray(err.trace));
	});

	test("a timeout is what Lambda answers: 200, Unhandled, Sandbox.Timedout 'Task timed out after 1.00 seconds'", async () => {
		const r = await client.send(
			new InvokeCommand({
				FunctionName: "echo",
				Payload: Buffer.from('{"sleep":3000}'),
			}),
		);
		assert.equal(r.StatusCode, 200);
		assert.equal(r.FunctionError, "Unhandled");
		const err = JSON.parse(text(r.Payload));
		assert.equal(err.errorType, "Sandbox.Timedout");
		assert.equal(
			err.errorMessage,
			`RequestId: ${r.$metadata.requestId} Error: Task timed out after 1.00 seconds`,
		);
	});

	test("a payload that is not JSON is InvalidRequestContentException", async () => {
		const e = await rejection(
			client.send(
				new InvokeCommand({
					FunctionName: "echo",
					Payload: Buffer.from("{nope"),
				}),
			),
		);
		assert.equal(e.name, "InvalidRequestContentException");
		assert.equal(e.status, 400);
		assert.match(e.message, /^Could not parse request body into json/);
	});

	test("over 6 MB is RequestEntityTooLargeException (413)", async () => {
		const big = Buffer.from(JSON.stringify({ s: "x".repeat(6 * 1024 * 1024) }));
		const e = await rejection(
			client.send(new InvokeCommand({ FunctionName: "echo", Payload: big })),
		);
		assert.equal(e.name, "RequestEntityTooLargeException");
		assert.equal(e.status, 413);
	});
});

describe("function names, qualifiers and accounts", () => {
	test("partial ARN and full ARN (colons percent-encoded in the path) address the same function", async () => {
		for (const name of [
			`${account}:function:echo`,
			`arn:aws:lambda:us-east-1:${account}:function:echo`,
		]) {
			const r = await client.send(
				new InvokeCommand({
					FunctionName: name,
					Payload: Buffer.from('{"via":1}'),
				}),
			);
			assert.equal(r.StatusCode, 200, name);
			assert.deepEqual(JSON.parse(text(r.Payload)).event, { via: 1 });
		}
	});

	test("Qualifier $LATEST works; any other qualifier is ResourceNotFoundException", async () => {
		const ok = await client.send(
			new InvokeCommand({ FunctionName: "echo", Qualifier: "$LATEST" }),
		);
		assert.equal(ok.StatusCode, 200);
		const e = await rejection(
			client.send(new InvokeCommand({ FunctionName: "echo", Qualifier: "7" })),
		);
		assert.equal(e.name, "ResourceNotFoundException");
		assert.equal(
			e.message,
			`Function not found: arn:aws:lambda:us-east-1:${account}:function:echo:7`,
		);
	});

	test("an unknown function is 404 ResourceNotFoundException with Lambda's text and shape", async () => {
		const res = await signedFetch(
			gw.url,
			"POST",
			"/2015-03-31/functions/missing/invocations",
			{
				service: "lambda",
				body: "{}",
			},
		);
		assert.equal(res.status, 404);
		assert.equal(
			res.headers.get("x-amzn-errortype"),
			"ResourceNotFoundException",
		);
		assert.deepEqual(await res.json(), {
			Type: "User",
			message: `Function not found: arn:aws:lambda:us-east-1:${account}:function:missing`,
		});
	});

	test("another account's ARN is AccessDeniedException; its own name is not found there", async () => {
		const e = await rejection(
			client.send(
				new InvokeCommand({
					FunctionName: "arn:aws:lambda:us-east-1:123456789012:function:echo",
				}),
			),
		);
		assert.equal(e.name, "AccessDeniedException");
		assert.equal(e.status, 403);
		assert.match(
			e.message,
			/^User: arn:aws:iam::\d{12}:root is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:echo because no resource-based policy allows the lambda:InvokeFunction action$/,
		);
		const other = await otherAccount(gw.gateway);
		const theirs = new LambdaClient({
			endpoint: gw.url,
			region: "us-east-1",
			credentials: other.credentials,
			maxAttempts: 1,
		});
		try {
			const byName = await rejection(
				theirs.send(new InvokeCommand({ FunctionName: "echo" })),
			);
			assert.equal(byName.name, "ResourceNotFoundException");
			assert.match(
				byName.message,
				new RegExp(`:${other.accountId}:function:echo$`),
			);
			const byArn = await rejection(
				theirs.send(
					new InvokeCommand({
						FunctionName: `arn:aws:lambda:us-east-1:${account}:function:echo`,
					}),
				),
			);
			assert.equal(byArn.name, "AccessDeniedException");
		} finally {
			theirs.destroy();
		}
	});

	test("a request signed for another service than lambda is refused before any handler", async () => {
		const res = await signedFetch(
			gw.url,
			"POST",
			"/2015-03-31/functions/echo/invocations",
			{
				service: "sigil",
				body: "{}",
			},
		);
		assert.equal(res.status, 403);
	});
});

describe("Event and DryRun", () => {
	test("DryRun is 204 and runs nothing; it still checks the name", async () => {
		const r = await client.send(
			new InvokeCommand({ FunctionName: "echo", InvocationType: "DryRun" }),
		);
		assert.equal(r.StatusCode, 204);
		const e = await rejection(
			client.send(
				new InvokeCommand({ FunctionName: "ghost", InvocationType: "DryRun" }),
			),
		);
		assert.equal(e.name, "ResourceNotFoundException");
	});

	test("Event is 202, durable, and the job runs with the same request id", async () => {
		const r = await client.send(
			new InvokeCommand({
				FunctionName: "echo",
				InvocationType: "Event",
				Payload: Buffer.from('{"later":true}'),
			}),
		);
		assert.equal(r.StatusCode, 202);
		const id = r.$metadata.requestId as string;
		const job = await gw.waitForJob(id, ["succeeded"]);
		assert.equal(job.kind, "event");
		assert.equal(job.attempts, 1);
		const result = JSON.parse(
			Buffer.from(job.result ?? "", "base64").toString(),
		);
		assert.deepEqual(result.event, { later: true });
		assert.equal(result.requestId, id);
	});

	test("an Event payload over 256 KB is RequestEntityTooLargeException with Lambda's text", async () => {
		const big = Buffer.from(JSON.stringify({ s: "x".repeat(256 * 1024) }));
		const e = await rejection(
			client.send(
				new InvokeCommand({
					FunctionName: "echo",
					InvocationType: "Event",
					Payload: big,
				}),
			),
		);
		assert.equal(e.name, "RequestEntityTooLargeException");
		assert.equal(
			e.message,
			`${big.length} byte payload is too large for the Event invocation type (limit 262144 bytes)`,
		);
	});

	test("an unknown invocation type is InvalidParameterValueException", async () => {
		const res = await signedFetch(
			gw.url,
			"POST",
			"/2015-03-31/functions/echo/invocations",
			{
				service: "lambda",
				body: "{}",
				headers: { "x-amz-invocation-type": "Later" },
			},
		);
		assert.equal(res.status, 400);
		assert.equal(
			res.headers.get("x-amzn-errortype"),
			"InvalidParameterValueException",
		);
		await res.arrayBuffer();
	});
});

describe("InvokeAsync (2014-11-13)", () => {
	test("answers 202 {Status: 202} and the job runs", async () => {
		const res = await signedFetch(
			gw.url,
			"POST",
			"/2014-11-13/functions/echo/invoke-async/",
			{
				service: "lambda",
				body: '{"old":"api"}',
			},
		);
		assert.equal(res.status, 202);
		assert.deepEqual(await res.json(), { Status: 202 });
		const id = res.headers.get("x-amzn-requestid") as string;
		const job = await gw.waitForJob(id, ["succeeded"]);
		assert.deepEqual(
			JSON.parse(Buffer.from(job.result ?? "", "base64").toString()).event,
			{ old: "api" },
		);
	});

	test("unsigned: 403 Missing Authentication Token, and nothing is queued", async () => {
		const before = await gw.gateway.store.jobs.countQueued();
		const res = await fetch(
			`${gw.url}/2014-11-13/functions/echo/invoke-async/`,
			{ method: "POST", body: "{}" },
		);
		assert.equal(res.status, 403);
		assert.deepEqual(await res.json(), {
			message: "Missing Authentication Token",
		});
		assert.equal(await gw.gateway.store.jobs.countQueued(), before);
	});
});

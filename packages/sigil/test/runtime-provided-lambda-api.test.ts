// Issue 9 through Lambda's own control plane, with the AWS SDK v3: CreateFunction with
// Runtime provided.al2023 runs the zip's bootstrap (shell + curl) warm against the Runtime API;
// python3.x with a Handler other than handler.handle is Lambda's handler(event, context) on the
// warm Python host; GetFunctionConfiguration reports what runs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
	CreateFunctionCommand,
	DeleteFunctionCommand,
	GetFunctionConfigurationCommand,
	InvokeCommand,
	LambdaClient,
} from "@aws-sdk/client-lambda";
import { writeZip } from "../src/functions/zip.ts";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { iamOk, trustPolicy } from "./iam-query.ts";

let gw: TestGateway;
let client: LambdaClient;
let role = "";

before(async () => {
	gw = await startTestGateway();
	client = new LambdaClient({
		endpoint: gw.url,
		region: "us-east-1",
		credentials: ROOT_KEY,
		maxAttempts: 1,
	});
	// An execution role of the gateway's own account that Lambda may assume.
	await iamOk(gw, {
		Action: "CreateRole",
		RoleName: "warm-runtimes-exec",
		AssumeRolePolicyDocument: trustPolicy({ Service: "lambda.amazonaws.com" }),
	});
	role = `arn:aws:iam::${gw.gateway.rootAccountId}:role/warm-runtimes-exec`;
});
after(async () => {
	client.destroy();
	await gw.stop();
});

async function invoke(name: string, payload: unknown) {
	const r = await client.send(
		new InvokeCommand({
			FunctionName: name,
			Payload: Buffer.from(JSON.stringify(payload)),
		}),
	);
	const text = Buffer.from(r.Payload ?? []).toString();
	assert.equal(r.FunctionError, undefined, text);
	return JSON.parse(text);
}

const BOOTSTRAP = `#!/bin/sh
set -eu
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
H="$(mktemp)"
while true; do
  EVENT="$(curl -sS -D "$H" "$API/invocation/next")"
  ID="$(grep -i '^lambda-runtime-aws-request-id:' "$H" | tr -d '\\r' | cut -d' ' -f2)"
  curl -sS -X POST "$API/invocation/$ID/response" -d "{\\"handler\\":\\"$_HANDLER\\",\\"pid\\":$$,\\"event\\":$EVENT}" >/dev/null
done
`;

describe("Lambda's control plane and the warm runtimes", () => {
	test("provided.al2023 runs the zip's bootstrap (shell + curl), warm", async () => {
		const c = await client.send(
			new CreateFunctionCommand({
				FunctionName: "lambda-provided",
				Runtime: "provided.al2023",
				Role: role,
				Handler: "function.handler",
				Code: {
					ZipFile: writeZip([
						{ path: "bootstrap", data: BOOTSTRAP, mode: 0o100755 },
					]),
				},
			}),
		);
		assert.equal(c.Runtime, "provided.al2023");
		assert.equal(c.Handler, "function.handler");
		const a = await invoke("lambda-provided", { n: 1 });
		assert.equal(a.handler, "function.handler");
		assert.deepEqual(a.event, { n: 1 });
		const b = await invoke("lambda-provided", { n: 2 });
		assert.equal(b.pid, a.pid);
		const got = await client.send(
			new GetFunctionConfigurationCommand({ FunctionName: "lambda-provided" }),
		);
		assert.equal(got.Runtime, "provided.al2023");
		await client.send(
			new DeleteFunctionCommand({ FunctionName: "lambda-provided" }),
		);
	});

	test("a bootstrap zipped without its execute bit is refused at create", async () => {
		await assert.rejects(
			client.send(
				new CreateFunctionCommand({
					FunctionName: "lambda-provided-x",
					Runtime: "provided.al2",
					Role: role,
					Handler: "bootstrap",
					Code: {
						ZipFile: writeZip([{ path: "bootstrap", data: BOOTSTRAP }]),
					},
				}),
			),
			(err: Error) =>
				err.name === "InvalidParameterValueException" &&
				/not executable/.test(err.message),
		);
	});

	test("python3.x with Handler lambda_function.lambda_handler is Lambda's handler(event, context), warm", async () => {
		const c = await client.send(
			new CreateFunctionCommand({
				FunctionName: "lambda-py",
				Runtime: "python3.12",
				Role: role,
				Handler: "lambda_function.lambda_handler",
				MemorySize: 512,
				Code: {
					ZipFile: writeZip([
						{
							path: "lambda_function.py",
							data: "import os\ndef lambda_handler(event, context):\n    return {'event': event, 'id': context.aws_request_id, 'mem': context.memory_limit_in_mb, 'pid': os.getpid()}\n",
						},
					]),
				},
			}),
		);
		assert.equal(c.Handler, "lambda_function.lambda_handler");
		assert.match(c.Runtime ?? "", /^python3\.\d+$/);
		const a = await invoke("lambda-py", { n: 1 });
		assert.deepEqual(a.event, { n: 1 });
		assert.equal(a.mem, "512");
		assert.match(a.id, /\S+/);
		const b = await invoke("lambda-py", { n: 2 });
		assert.equal(b.pid, a.pid);
		await client.send(new DeleteFunctionCommand({ FunctionName: "lambda-py" }));
	});
});

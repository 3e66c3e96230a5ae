// InvokeWithResponseStream through the real AWS SDK v3 (InvokeWithResponseStreamCommand,
// iterating its EventStream) and boto3 (invoke_with_response_stream, iterating EventStream)
// against a real gateway: chunks arrive while the handler still runs, InvokeComplete carries
// a mid-stream error, a timeout, a size cut and LogResult, a non-streaming handler is
// answered in one chunk, DryRun and qualifiers behave as on Invoke, and the route refuses
// what it does not do (InvocationType Event) by name. The AWS CLI v1 here has no
// invoke-with-response-stream command (botocore's event streams are not exposed by it).
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import {
	InvokeCommand,
	InvokeWithResponseStreamCommand,
	type InvokeWithResponseStreamCommandOutput,
	LambdaClient,
	PublishVersionCommand,
} from "@aws-sdk/client-lambda";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";
import { createUser, putUserPolicy } from "./helpers/iam.ts";

const run = promisify(execFile);

const CODE = `const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const gated = awslambda.streamifyResponse(async (event, stream) => {
	console.log("gated starts");
	stream.setContentType("text/plain");
	stream.write("first;");
	// The test's gate answers only once the test has read the first chunk.
	await (await fetch(event.gate)).text();
	stream.end("second");
});
export const chunks = awslambda.streamifyResponse(async (event, stream) => {
	for (let i = 0; i < 3; i++) { stream.write("chunk " + i + ";"); await sleep(5); }
	stream.end();
});
export const throwsLate = awslambda.streamifyResponse(async (event, stream) => {
	stream.write("partial;");
	await sleep(10);
	throw new TypeError("broke midway");
});
export const hang = awslambda.streamifyResponse(async (event, stream) => {
	stream.write("started;");
	await new Promise(() => {});
});
export const huge = awslambda.streamifyResponse(async (event, stream) => {
	const MiB = Buffer.alloc(1024 * 1024, 120);
	for (let i = 0; i < 30; i++) await new Promise((ok, fail) => stream.write(MiB, (e) => (e ? fail(e) : ok())));
	stream.end();
});
export const plain = async (event) => ({ plain: true, event });
export const plainThrows = async () => { throw new RangeError("not streamed, still failed"); };
`;

let gw: TestGateway;
let client: LambdaClient;
/** A local server whose /gate/N answers when the test opens gate N. */
let gates: Server;
let gatesUrl = "";
const waiting = new Map<string, ServerResponse>();
const opened = new Set<string>();
function openGate(name: string) {
	opened.add(name);
	waiting.get(name)?.end("open");
}
const names = [
	"gated",
	"chunks",
	"throwsLate",
	"hang",
	"huge",
	"plain",
	"plainThrows",
];

before(async () => {
	gates = createServer((req, res) => {
		const name = req.url ?? "";
		if (opened.has(name)) res.end("open");
		else waiting.set(name, res);
	});
	await new Promise<void>((r) => gates.listen(0, "127.0.0.1", r));
	gatesUrl = `http://127.0.0.1:${(gates.address() as AddressInfo).port}`;
	gw = await startTestGateway();
	for (const n of names)
		await gw.deploy(
			n.toLowerCase(),
			{
				runtime: "node",
				entry: `index.${n}`,
				timeout: n === "hang" ? "1s" : "10s",
			},
			{ "index.mjs": CODE },
		);
	client = new LambdaClient({
		endpoint: gw.url,
		region: "us-east-1",
		credentials: ROOT_KEY,
		maxAttempts: 1,
	});
});
after(async () => {
	client?.destroy();
	await gw?.stop();
	gates.closeAllConnections();
	gates.close();
});

type Events = NonNullable<InvokeWithResponseStreamCommandOutput["EventStream"]>;
async function drain(stream: Events | undefined) {
	const chunks: string[] = [];
	let complete:
		| { ErrorCode?: string; ErrorDetails?: string; LogResult?: string }
		| undefined;
	for await (const e of stream ?? []) {
		if (e.PayloadChunk)
			chunks.push(Buffer.from(e.PayloadChunk.Payload ?? []).toString());
		if (e.InvokeComplete) complete = e.InvokeComplete;
	}
	return { chunks, complete };
}
const invoke = (FunctionName: string, extra: object = {}) =>
	client.send(
		new InvokeWithResponseStreamCommand({
			FunctionName,
			Payload: Buffer.from("{}"),
			...extra,
		}),
	);

describe("InvokeWithResponseStream through the SDK v3", () => {
	test("the first PayloadChunk arrives while the handler still runs; InvokeComplete ends it", async () => {
		const gate = "/gate/1";
		const r = await invoke("gated", {
			Payload: Buffer.from(JSON.stringify({ gate: gatesUrl + gate })),
		});
		assert.equal(r.StatusCode, 200);
		assert.equal(r.ExecutedVersion, "$LATEST");
		assert.equal(r.ResponseStreamContentType, "text/plain");
		const it = (r.EventStream as Events)[Symbol.asyncIterator]();
		const first = await it.next();
		assert.equal(
			Buffer.from(first.value?.PayloadChunk?.Payload ?? []).toString(),
			"first;",
		);
		// The handler waits for this gate: the chunk above cannot come from a finished invocation.
		openGate(gate);
		const rest: string[] = [];
		let complete: unknown;
		for (let e = await it.next(); !e.done; e = await it.next()) {
			if (e.value.PayloadChunk)
				rest.push(Buffer.from(e.value.PayloadChunk.Payload ?? []).toString());
			if (e.value.InvokeComplete) complete = e.value.InvokeComplete;
		}
		assert.equal(rest.join(""), "second");
		assert.deepEqual(complete, {});
	});

	test("the writes arrive in order, in PayloadChunks (pieces that wait together may share one)", async () => {
		const { chunks, complete } = await drain(
			(await invoke("chunks")).EventStream,
		);
		assert.equal(chunks.join(""), "chunk 0;chunk 1;chunk 2;");
		assert.ok(chunks.length >= 1 && chunks.length <= 3);
		assert.deepEqual(complete, {});
	});

	test("a throw after writing: the chunks so far, then InvokeComplete with the error", async () => {
		const r = await invoke("throwslate");
		assert.equal(r.StatusCode, 200);
		const { chunks, complete } = await drain(r.EventStream);
		assert.equal(chunks.join(""), "partial;");
		assert.equal(complete?.ErrorCode, "TypeError");
		assert.equal(complete?.ErrorDetails, "broke midway");
	});

	test("a handler that never ends: InvokeComplete says Sandbox.Timedout", async () => {
		const { chunks, complete } = await drain(
			(await invoke("hang")).EventStream,
		);
		assert.equal(chunks.join(""), "started;");
		assert.equal(complete?.ErrorCode, "Sandbox.Timedout");
		assert.match(
			complete?.ErrorDetails ?? "",
			/Task timed out after 1\.00 seconds/,
		);
	});

	test("past 20 MB the stream is cut: Function.ResponseSizeTooLarge, no byte over", async () => {
		const { chunks, complete } = await drain(
			(await invoke("huge")).EventStream,
		);
		const total = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0);
		assert.ok(total <= 20 * 1024 * 1024, `${total} bytes reached the client`);
		assert.ok(total >= 19 * 1024 * 1024, `only ${total} bytes before the cut`);
		assert.equal(complete?.ErrorCode, "Function.ResponseSizeTooLarge");
	});

	test("a handler that does not stream is answered whole in one chunk", async () => {
		const r = await invoke("plain", { Payload: Buffer.from('{"n":1}') });
		assert.equal(r.ResponseStreamContentType, "application/json");
		const { chunks, complete } = await drain(r.EventStream);
		assert.deepEqual(JSON.parse(chunks.join("")), {
			plain: true,
			event: { n: 1 },
		});
		assert.deepEqual(complete, {});
		const failed = await drain((await invoke("plainthrows")).EventStream);
		assert.deepEqual(failed.chunks, []);
		assert.equal(failed.complete?.ErrorCode, "RangeError");
		assert.equal(failed.complete?.ErrorDetails, "not streamed, still failed");
	});

	test("plain Invoke of a streaming handler answers its bytes whole; a throw midway is Unhandled", async () => {
		const r = await client.send(
			new InvokeCommand({ FunctionName: "chunks", Payload: Buffer.from("{}") }),
		);
		assert.equal(r.FunctionError, undefined);
		assert.equal(
			Buffer.from(r.Payload ?? []).toString(),
			"chunk 0;chunk 1;chunk 2;",
		);
		const failed = await client.send(
			new InvokeCommand({
				FunctionName: "throwslate",
				Payload: Buffer.from("{}"),
			}),
		);
		assert.equal(failed.FunctionError, "Unhandled");
		assert.equal(
			JSON.parse(Buffer.from(failed.Payload ?? []).toString()).errorMessage,
			"broke midway",
		);
	});

	test("LogType Tail puts the log in InvokeComplete's LogResult", async () => {
		const gate = "/gate/tail";
		openGate(gate);
		const { complete } = await drain(
			(
				await invoke("gated", {
					LogType: "Tail",
					Payload: Buffer.from(JSON.stringify({ gate: gatesUrl + gate })),
				})
			).EventStream,
		);
		const log = Buffer.from(complete?.LogResult ?? "", "base64").toString();
		assert.match(log, /gated starts/);
		assert.match(log, /REPORT RequestId:/);
	});

	test("DryRun answers 204 without running; Event and TenantId are refused by name", async () => {
		const r = await invoke("chunks", { InvocationType: "DryRun" });
		assert.equal(r.StatusCode, 204);
		await assert.rejects(
			invoke("chunks", { TenantId: "t1" }),
			(e: Error) =>
				e.name === "InvalidParameterValueException" &&
				/TenantId/.test(e.message),
		);
		await assert.rejects(
			invoke("chunks", { InvocationType: "Event" }),
			(e: Error) =>
				e.name === "InvalidParameterValueException" &&
				/RequestResponse, DryRun/.test(e.message),
		);
	});

	test("an unknown function is ResourceNotFoundException; a bad signature is refused before anything runs", async () => {
		await assert.rejects(
			invoke("nope"),
			(e: Error) => e.name === "ResourceNotFoundException",
		);
		const bad = new LambdaClient({
			endpoint: gw.url,
			region: "us-east-1",
			credentials: { ...ROOT_KEY, secretAccessKey: "wrong" },
			maxAttempts: 1,
		});
		try {
			await assert.rejects(
				bad.send(
					new InvokeWithResponseStreamCommand({ FunctionName: "chunks" }),
				),
				(e: Error) => e.name === "InvalidSignatureException",
			);
		} finally {
			bad.destroy();
		}
	});
});

describe("who may stream what", () => {
	test("the resource authorized is the one streamed: a policy on chunks:1 allows that version only", async () => {
		const v = await client.send(
			new PublishVersionCommand({ FunctionName: "chunks" }),
		);
		const arn = `arn:aws:lambda:us-east-1:${gw.gateway.rootAccountId}:function:chunks`;
		const user = await createUser(gw, "streamer");
		await putUserPolicy(gw, "streamer", "v-only", [
			{
				Effect: "Allow",
				Action: "lambda:InvokeFunction",
				Resource: `${arn}:${v.Version}`,
			},
		]);
		const them = new LambdaClient({
			endpoint: gw.url,
			region: "us-east-1",
			credentials: user.keys,
			maxAttempts: 1,
		});
		const send = (extra: object) =>
			them.send(
				new InvokeWithResponseStreamCommand({
					FunctionName: "chunks",
					...extra,
				}),
			);
		try {
			const r = await send({ Qualifier: v.Version });
			assert.equal(r.ExecutedVersion, v.Version);
			assert.equal(
				(await drain(r.EventStream)).chunks.join(""),
				"chunk 0;chunk 1;chunk 2;",
			);
			for (const extra of [
				{},
				{ Qualifier: "$LATEST" },
				{ FunctionName: "plain" },
			])
				await assert.rejects(
					send(extra),
					(e: Error) => e.name === "AccessDeniedException",
				);
		} finally {
			them.destroy();
		}
	});
});

function boto3Python(): string | undefined {
	for (const candidate of ["python3", "/usr/bin/python3"]) {
		try {
			execFileSync(candidate, ["-c", "import boto3"], {
				stdio: "ignore",
				timeout: 30_000,
			});
			return candidate;
		} catch {}
	}
	return undefined;
}
const python = boto3Python();

const BOTO = `
import json, os, boto3
lam = boto3.client("lambda", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1")
out = {}
for name in ["chunks", "throwslate"]:
    r = lam.invoke_with_response_stream(FunctionName=name, Payload=b"{}")
    chunks, complete = [], None
    for e in r["EventStream"]:
        if "PayloadChunk" in e: chunks.append(e["PayloadChunk"]["Payload"].decode())
        if "InvokeComplete" in e: complete = e["InvokeComplete"]
    out[name] = {"status": r["StatusCode"], "chunks": chunks, "complete": complete}
print(json.dumps(out))
`;

describe("InvokeWithResponseStream through boto3", {
	skip: python || process.env.CI ? false : "no python3 with boto3 here",
}, () => {
	test("boto3 iterates the same chunks and InvokeComplete", async () => {
		if (!python)
			throw new Error(
				"no python3 with boto3: `npm run setup` installs python3-boto3",
			);
		const { stdout } = await run(python, ["-c", BOTO], {
			env: {
				PATH: process.env.PATH,
				HOME: gw.dataDir,
				ENDPOINT: gw.url,
				AWS_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
				AWS_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
				AWS_CONFIG_FILE: "/nonexistent",
				AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
				AWS_MAX_ATTEMPTS: "1",
			},
			timeout: 60_000,
		});
		const out = JSON.parse(stdout);
		assert.equal(out.chunks.status, 200);
		assert.equal(out.chunks.chunks.join(""), "chunk 0;chunk 1;chunk 2;");
		assert.deepEqual(out.chunks.complete, {});
		assert.equal(out.throwslate.chunks.join(""), "partial;");
		assert.equal(out.throwslate.complete.ErrorCode, "TypeError");
		assert.equal(out.throwslate.complete.ErrorDetails, "broke midway");
	});
});

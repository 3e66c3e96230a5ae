// Function URLs with InvokeMode RESPONSE_STREAM through a real gateway and real HTTP clients
// (fetch, a raw socket, curl): HttpResponseStream.from's status, headers and cookies, a chunked
// body whose first bytes arrive while the handler still runs, a BUFFERED URL unchanged, a
// non-streaming handler still answered (buffered), a throw after the headers cuts the
// connection (no clean end a client could take for a whole body), a client that stops
// reading holds the handler back, one that leaves ends the invocation; and the mode set with
// the SDK's UpdateFunctionUrlConfig, refused when it is not one of Lambda's.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import {
	GetFunctionUrlConfigCommand,
	LambdaClient,
	UpdateFunctionUrlConfigCommand,
} from "@aws-sdk/client-lambda";
import {
	ROOT_KEY,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";

const run = promisify(execFile);

const CODE = `const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MiB = Buffer.alloc(1024 * 1024, 120);
const gate = (path) => fetch(process.env.GATES + path).then((r) => r.text());
export const http = awslambda.streamifyResponse(async (event, stream) => {
	const out = awslambda.HttpResponseStream.from(stream, {
		statusCode: 201,
		headers: { "content-type": "text/plain", "x-streamed": "yes" },
		cookies: ["a=1", "b=2"],
	});
	out.write("hello ");
	if (event.rawPath === "/gated") await gate("/open-when-read");
	out.end("world");
});
export const plain = async () => ({ statusCode: 202, headers: { "x-plain": "1" }, body: "not streamed" });
export const throwsLate = awslambda.streamifyResponse(async (event, stream) => {
	const out = awslambda.HttpResponseStream.from(stream, { statusCode: 200, headers: { "content-type": "text/plain" } });
	out.write("partial");
	await sleep(20);
	throw new TypeError("broke midway");
});
export const nineteen = awslambda.streamifyResponse(async (event, stream) => {
	for (let i = 1; i <= 19; i++) {
		await new Promise((ok, fail) => stream.write(MiB, (e) => (e ? fail(e) : ok())));
		await gate("/progress/" + i);
	}
	stream.end();
});
export const leaves = awslambda.streamifyResponse(async (event, stream) => {
	try {
		for (;;) await new Promise((ok, fail) => stream.write(MiB, (e) => (e ? fail(e) : ok())));
	} catch (err) {
		await gate("/cancelled");
	}
});
export const crlf = awslambda.streamifyResponse(async (event, stream) => {
	const out = awslambda.HttpResponseStream.from(stream, { statusCode: 200, headers: { "x-a": "b\\r\\nx-injected: 1" } });
	out.end("body");
});
export const badType = awslambda.streamifyResponse(async (event, stream) => {
	try { stream.setContentType("text/plain\\r\\nx-injected: 1"); } catch (err) { stream.end(err.name); return; }
	stream.end("accepted");
});
export const forever = awslambda.streamifyResponse(async (event, stream) => {
	try {
		for (;;) await new Promise((ok, fail) => stream.write(MiB, (e) => (e ? fail(e) : ok())));
	} catch (err) {
		await gate("/forever-stopped");
	}
});
export const prelude = awslambda.streamifyResponse(async (event, stream) => {
	stream.setContentType("application/vnd.awslambda.http-integration-response");
	stream.write("x".repeat(70 * 1024));
	stream.end();
});
`;

let gw: TestGateway;
let gates: Server;
let gatesUrl = "";
const hits: string[] = [];
const held = new Map<string, ServerResponse>();
const release = (path: string) => held.get(path)?.end("ok");

before(async () => {
	gates = createServer((req, res) => {
		const path = req.url ?? "";
		hits.push(path);
		if (path === "/open-when-read") held.set(path, res);
		else res.end("ok");
	});
	await new Promise<void>((r) => gates.listen(0, "127.0.0.1", r));
	gatesUrl = `http://127.0.0.1:${(gates.address() as AddressInfo).port}`;
	gw = await startTestGateway();
	const stream = { auth: "none", invokeMode: "RESPONSE_STREAM" };
	const deploy = (name: string, entry: string, trigger: object) =>
		gw.deploy(
			name,
			{
				runtime: "node",
				entry: `index.${entry}`,
				timeout: "20s",
				environment: { GATES: gatesUrl },
				trigger,
			},
			{ "index.mjs": CODE },
		);
	await deploy("http", "http", stream);
	await deploy("http-buffered", "http", { auth: "none" });
	await deploy("plain", "plain", stream);
	await deploy("throws-late", "throwsLate", stream);
	await deploy("nineteen", "nineteen", stream);
	await deploy("leaves", "leaves", stream);
	await deploy("prelude", "prelude", stream);
	await deploy("crlf", "crlf", stream);
	await deploy("forever", "forever", stream);
	await deploy("bad-type", "badType", stream);
});
after(async () => {
	await gw?.stop();
	gates.closeAllConnections();
	gates.close();
});

/** A raw HTTP/1.1 GET on its own socket: what arrives, as it arrives. */
function rawGet(path: string) {
	const { port } = new URL(gw.url);
	const socket = connect(Number(port), "127.0.0.1");
	socket.write(
		`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
	);
	return socket;
}

describe("a RESPONSE_STREAM function URL", () => {
	test("HttpResponseStream.from's status, headers and cookies; a chunked body", async () => {
		const res = await fetch(`${gw.url}/function/http/`);
		assert.equal(res.status, 201);
		assert.equal(res.headers.get("content-type"), "text/plain");
		assert.equal(res.headers.get("x-streamed"), "yes");
		assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"]);
		assert.equal(res.headers.get("transfer-encoding"), "chunked");
		assert.equal(res.headers.get("content-length"), null);
		assert.equal(await res.text(), "hello world");
	});

	test("the first bytes reach the client while the handler still runs", async () => {
		const socket = rawGet("/function/http/gated");
		let seen = "";
		while (!seen.includes("hello ")) {
			const [chunk] = await once(socket, "data");
			seen += chunk.toString();
		}
		// The handler waits on this gate, which opens only now: "hello " came before the end.
		assert.ok(!seen.includes("world"));
		for (let i = 0; i < 400 && !held.has("/open-when-read"); i++)
			await new Promise((r) => setTimeout(r, 10));
		release("/open-when-read");
		socket.on("data", (c: Buffer) => {
			seen += c.toString();
		});
		await once(socket, "end");
		assert.match(seen, /^HTTP\/1\.1 201/);
		assert.match(seen, /world/);
		assert.match(seen, /\r\n0\r\n\r\n$/, "the chunked body ends cleanly");
	});

	test("the same handler on a BUFFERED URL: one answer with its length", async () => {
		const res = await fetch(`${gw.url}/function/http-buffered/`);
		assert.equal(res.status, 201);
		assert.equal(res.headers.get("content-length"), "11");
		assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"]);
		assert.equal(await res.text(), "hello world");
	});

	test("a handler that does not stream is answered whole (Lambda buffers it)", async () => {
		const res = await fetch(`${gw.url}/function/plain/`);
		assert.equal(res.status, 202);
		assert.equal(res.headers.get("x-plain"), "1");
		assert.equal(await res.text(), "not streamed");
	});

	test("a throw after the headers cuts the connection: no clean end of the body", async () => {
		const res = await fetch(`${gw.url}/function/throws-late/`);
		assert.equal(res.status, 200);
		await assert.rejects(res.text());
		// curl says the transfer was cut (18: partial file), it does not end with success.
		const r = await run("curl", [
			"-sS",
			`${gw.url}/function/throws-late/`,
		]).then(
			() => 0,
			(e: { code?: number }) => e.code,
		);
		assert.ok(r === 18 || r === 56, `curl exited ${r}`);
	});

	test("a prelude without its delimiter is refused (bounded), never buffered without end", async () => {
		const res = await fetch(`${gw.url}/function/prelude/`);
		assert.equal(res.status, 502);
		assert.match(await res.text(), /invalid response/);
	});

	test("a handler that writes forever is cut at 20 MB: the client gets no more and no clean end", async () => {
		const res = await fetch(`${gw.url}/function/forever/`);
		assert.equal(res.status, 200);
		let bytes = 0;
		await assert.rejects(async () => {
			for await (const c of res.body as AsyncIterable<Uint8Array>)
				bytes += c.length;
		});
		assert.ok(bytes <= 20 * 1024 * 1024, `${bytes} bytes reached the client`);
		assert.ok(bytes >= 19 * 1024 * 1024, `only ${bytes} bytes before the cut`);
		// The handler's pending write failed: it stopped, it did not run on to its timeout.
		for (let i = 0; i < 500 && !hits.includes("/forever-stopped"); i++)
			await new Promise((r) => setTimeout(r, 20));
		assert.ok(hits.includes("/forever-stopped"));
	});

	test("a header or content type smuggling CRLF is refused, never sent", async () => {
		const res = await fetch(`${gw.url}/function/crlf/`);
		assert.equal(res.headers.get("x-injected"), null);
		assert.equal(res.status, 502);
		await res.text();
		const typed = await fetch(`${gw.url}/function/bad-type/`);
		assert.equal(typed.headers.get("x-injected"), null);
		assert.equal(await typed.text(), "TypeError");
	});

	test("a client that stops reading holds the handler back; then it gets every byte", async () => {
		const socket = rawGet("/function/nineteen/");
		await once(socket, "data");
		socket.pause();
		await new Promise((r) => setTimeout(r, 1500));
		const progress = hits.filter((h) => h.startsWith("/progress/")).length;
		assert.ok(
			progress < 19,
			`the handler wrote all 19 MiB to a client that read nothing (${progress})`,
		);
		let bytes = 0;
		socket.on("data", (c: Buffer) => {
			bytes += c.length;
		});
		socket.resume();
		await once(socket, "end");
		assert.ok(bytes >= 18 * 1024 * 1024, `got ${bytes}`);
		assert.equal(hits.filter((h) => h.startsWith("/progress/")).length, 19);
	});

	test("a client that disconnects ends the invocation (the handler's writes fail)", async () => {
		const socket = rawGet("/function/leaves/");
		await once(socket, "data");
		socket.destroy();
		for (let i = 0; i < 500 && !hits.includes("/cancelled"); i++)
			await new Promise((r) => setTimeout(r, 20));
		assert.ok(
			hits.includes("/cancelled"),
			"the handler never learnt the client left",
		);
	});
});

describe("InvokeMode through the Lambda API", () => {
	test("UpdateFunctionUrlConfig sets RESPONSE_STREAM, Get reports it, and the URL streams", async () => {
		const client = new LambdaClient({
			endpoint: gw.url,
			region: "us-east-1",
			credentials: ROOT_KEY,
			maxAttempts: 1,
		});
		try {
			const up = await client.send(
				new UpdateFunctionUrlConfigCommand({
					FunctionName: "http-buffered",
					InvokeMode: "RESPONSE_STREAM",
				}),
			);
			assert.equal(up.InvokeMode, "RESPONSE_STREAM");
			const got = await client.send(
				new GetFunctionUrlConfigCommand({ FunctionName: "http-buffered" }),
			);
			assert.equal(got.InvokeMode, "RESPONSE_STREAM");
			const res = await fetch(`${got.FunctionUrl}`);
			assert.equal(res.headers.get("transfer-encoding"), "chunked");
			assert.equal(await res.text(), "hello world");
			await assert.rejects(
				client.send(
					new UpdateFunctionUrlConfigCommand({
						FunctionName: "http-buffered",
						InvokeMode: "STREAMING" as "BUFFERED",
					}),
				),
				(e: Error) =>
					e.name === "InvalidParameterValueException" &&
					/RESPONSE_STREAM, BUFFERED/.test(e.message),
			);
			const back = await client.send(
				new UpdateFunctionUrlConfigCommand({
					FunctionName: "http-buffered",
					InvokeMode: "BUFFERED",
				}),
			);
			assert.equal(back.InvokeMode, "BUFFERED");
		} finally {
			client.destroy();
		}
	});
});

// Response streaming in the Node runtime (awslambda.streamifyResponse): chunks reach the gateway
// while the handler still runs, pipeline() works, HttpResponseStream.from's prelude becomes a
// function URL's status and headers, and the bounds hold against hostile handlers — one that
// writes forever is cut at the size limit with the gateway's buffer bounded, one that never
// ends times out, one whose reader stops is held back (backpressure), one whose reader leaves
// is cancelled, one that writes after end or throws after its headers, one that forges stream
// frames past its window. Each in a worker thread, its own process, and the sandbox.
import assert from "node:assert/strict";
import { once } from "node:events";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import {
	createNodeRuntime,
	type NodeInstances,
	type NodeRuntime,
	type NodeRuntimeSpec,
} from "../src/runtime/node-runtime.ts";
import {
	DEFAULT_LIMITS,
	detectSandbox,
	functionUid,
} from "../src/runtime/sandbox.ts";
import {
	type HttpInvocation,
	RuntimeError,
	STREAM_RESPONSE_BYTES,
	type StreamAnswer,
} from "../src/runtime/types.ts";
import {
	STREAM_PIECE_BYTES,
	STREAM_WINDOW_BYTES,
} from "../src/runtime/worker-protocol.ts";

const CODE = `import { existsSync, writeSync } from "node:fs";
import { once } from "node:events";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MiB = Buffer.alloc(1024 * 1024, 120);

export const gated = awslambda.streamifyResponse(async (event, stream) => {
	stream.write("first;");
	while (!existsSync(process.env.LAMBDA_TASK_ROOT + "/release-" + event.gate)) await sleep(5);
	stream.end("second");
});
export const piped = awslambda.streamifyResponse(async (event, stream) => {
	await pipeline(Readable.from(["a", "b", "c"]), stream);
});
export const http = awslambda.streamifyResponse(async (event, stream) => {
	const out = awslambda.HttpResponseStream.from(stream, {
		statusCode: 201,
		headers: { "content-type": "text/plain", "x-streamed": "yes" },
		cookies: ["a=1", "b=2"],
	});
	out.write("hello ");
	out.end("world");
});
export const plain = async () => ({ statusCode: 202, body: "not streamed" });
export const forever = awslambda.streamifyResponse(async (event, stream) => {
	for (;;) if (!stream.write(MiB)) await once(stream, "drain");
});
export const flood = awslambda.streamifyResponse(async (event, stream) => {
	// Ignores backpressure: the instance buffers it (its own heap), the gateway must not.
	for (let i = 0; i < 16; i++) { stream.write(MiB); await new Promise((r) => setImmediate(r)); }
	stream.end();
});
export const sixteen = awslambda.streamifyResponse(async (event, stream) => {
	for (let i = 0; i < 16; i++) {
		const block = Buffer.alloc(1024 * 1024, 97 + i);
		if (!stream.write(block)) await once(stream, "drain");
	}
	stream.end();
});
export const hang = awslambda.streamifyResponse(async (event, stream) => {
	stream.write("started;");
	await new Promise(() => {});
});
export const afterEnd = awslambda.streamifyResponse(async (event, stream) => {
	stream.end("done");
	stream.write("too late");
	await sleep(20);
});
export const throwsLate = awslambda.streamifyResponse(async (event, stream) => {
	const out = awslambda.HttpResponseStream.from(stream, { statusCode: 201, headers: { "x-a": "1" } });
	out.write("partial");
	await sleep(20);
	throw new TypeError("broke midway");
});
export const leaves = awslambda.streamifyResponse(async (event, stream) => {
	try {
		for (;;) if (!stream.write(MiB)) await once(stream, "drain");
	} catch (err) {
		console.log("stream ended by the gateway: " + err.message);
	}
});
export const listens = awslambda.streamifyResponse(async (event, stream) => {
	stream.write("x");
	const [err] = await once(stream, "error");
	console.log("told: " + err.message);
});
export const numbered = awslambda.streamifyResponse(async (event, stream) => {
	for (let i = 0; i < 50; i++) {
		stream.write(event.tag + i + ";" + "x".repeat(event.pad ?? 0));
		if (i % 10 === 0) await sleep(1);
	}
	stream.end();
});
export const silent = awslambda.streamifyResponse(async () => { await new Promise(() => {}); });
export const forge = awslambda.streamifyResponse(async (event, stream) => {
	// Writes stream frames for invocation 1 on the gateway's pipe, ignoring the window.
	const frame = (v) => { const b = Buffer.from(JSON.stringify(v)); const h = Buffer.alloc(4); h.writeUInt32BE(b.length); return Buffer.concat([h, b]); };
	// fd 3 is non-blocking (the host's socket): a full pipe is EAGAIN, retried.
	const send = async (f) => {
		for (let off = 0; off < f.length; ) {
			try { off += writeSync(3, f, off); } catch (e) { if (e.code !== "EAGAIN") throw e; await sleep(1); }
		}
	};
	await send(frame([{ type: "streamStart", id: 1, contentType: "x/y" }]));
	const piece = Buffer.alloc(65536, 1).toString("base64");
	for (let i = 0; i < 40; i++) await send(frame([{ type: "chunk", id: 1, data: piece }]));
	await new Promise(() => {});
});
`;

let dir: string;
const open: NodeRuntime[] = [];
before(async () => {
	dir = await mkdtemp(join(tmpdir(), "sigil-streaming-"));
	await writeFile(join(dir, "index.mjs"), CODE);
	await chmod(dir, 0o755);
	await chmod(join(dir, "index.mjs"), 0o644);
});
after(async () => {
	await Promise.all(open.map((r) => r.close(0)));
	await rm(dir, { recursive: true, force: true });
});

let seq = 0;
const event = (
	payload: unknown = {},
	maxResponseBytes = STREAM_RESPONSE_BYTES,
) => ({
	requestId: `st-${++seq}`,
	functionName: "fn",
	payload: Buffer.from(JSON.stringify(payload)),
	maxResponseBytes,
});
const httpInv = (over: Partial<HttpInvocation> = {}): HttpInvocation => ({
	requestId: `sh-${++seq}`,
	functionName: "fn",
	method: "GET",
	path: "/",
	rawQuery: "",
	rawHeaders: ["host", "fn.example"],
	body: Buffer.alloc(0),
	sourceIp: "127.0.0.1",
	host: "fn.example",
	receivedAt: Date.now(),
	acceptStream: true,
	invokeMode: "RESPONSE_STREAM",
	...over,
});

function streamed(a: StreamAnswer) {
	assert.equal(a.kind, "stream", "the handler's answer should stream");
	return a as Extract<StreamAnswer, { kind: "stream" }>;
}
async function readAll(body: Readable): Promise<Buffer> {
	const parts: Buffer[] = [];
	for await (const p of body) parts.push(p as Buffer);
	return Buffer.concat(parts);
}
/** What has arrived by the time the body first has bytes to read (the reader then stops). */
async function firstChunk(body: Readable): Promise<Buffer> {
	if (body.readableLength === 0) await once(body, "readable");
	return body.read() as Buffer;
}
const failsWith = (code: string) => (e: unknown) =>
	e instanceof RuntimeError && e.code === code;

const probe = await detectSandbox();
const ALL_MODES: [string, () => NodeInstances | undefined][] = [
	["thread", () => undefined],
	["process", () => ({ kind: "process" })],
	[
		"sandbox",
		() => {
			if (!probe.ok)
				throw new Error(`the sandbox is missing here: ${probe.reason}`);
			const uid = functionUid("streaming-test");
			return {
				kind: "process",
				sandbox: {
					host: probe.host,
					policy: {
						network: "full",
						uid,
						gid: uid,
						limits: { ...DEFAULT_LIMITS, memoryMb: 1024 + 2 * 128 },
					},
					identity: { functionName: "fn", memoryMb: 128, region: "us-east-1" },
				},
			};
		},
	],
];

const only = process.env.STREAMING_MODE;
const modes = ALL_MODES.filter(([m]) => only === undefined || m === only);
for (const [mode, instances] of modes) {
	describe(`response streaming: ${mode}`, () => {
		function runtime(handler: string, over: Partial<NodeRuntimeSpec> = {}) {
			const how = instances();
			const rt = createNodeRuntime({
				name: "fn",
				codeDir: dir,
				handler,
				env: {},
				timeoutMs: 10_000,
				memoryMb: 128,
				...(how !== undefined && { instances: how }),
				...over,
			});
			open.push(rt);
			return rt;
		}

		it("forwards the first chunk while the handler is still running", async () => {
			const rt = runtime("index.gated");
			const gate = `${mode}-${seq}`;
			const a = streamed(await rt.invokeStream(event({ gate })));
			assert.equal(a.contentType, "application/octet-stream");
			// The handler waits for this file, so this chunk cannot come from a finished invocation.
			assert.equal((await firstChunk(a.body)).toString(), "first;");
			await writeFile(join(dir, `release-${gate}`), "");
			assert.equal((await readAll(a.body)).toString(), "second");
			const r = await a.outcome;
			assert.equal(r.functionError, undefined);
		});

		it("pipeline() into the response stream works", async () => {
			const a = streamed(await runtime("index.piped").invokeStream(event()));
			assert.equal((await readAll(a.body)).toString(), "abc");
			await a.outcome;
		});

		it("HttpResponseStream.from becomes the function URL's status, headers and cookies", async () => {
			const r = await runtime("index.http").invokeHttp(httpInv());
			assert.equal(r.status, 201);
			const h = r.headers;
			const pairs = h.flatMap((v, i) => (i % 2 === 0 ? [[v, h[i + 1]]] : []));
			assert.deepEqual(pairs, [
				["content-type", "text/plain"],
				["x-streamed", "yes"],
				["set-cookie", "a=1"],
				["set-cookie", "b=2"],
			]);
			assert.ok(r.stream, "the body streams");
			assert.equal((await readAll(r.stream)).toString(), "hello world");
		});

		it("a BUFFERED URL gets the same streaming handler's answer whole", async () => {
			const r = await runtime("index.http").invokeHttp(
				httpInv({ invokeMode: "BUFFERED" }),
			);
			assert.equal(r.status, 201);
			assert.equal(r.stream, undefined);
			assert.equal(r.body.toString(), "hello world");
		});

		it("a handler that does not stream still answers on a RESPONSE_STREAM URL (buffered)", async () => {
			const r = await runtime("index.plain").invokeHttp(httpInv());
			assert.equal(r.status, 202);
			assert.equal(r.body.toString(), "not streamed");
			const a = await runtime("index.plain").invokeStream(event());
			assert.equal(a.kind, "buffered");
		});

		it("Invoke of a streaming handler answers its bytes", async () => {
			const r = await runtime("index.piped").invokeEvent(event());
			assert.equal(r.payload.toString(), "abc");
			assert.equal(r.functionError, undefined);
		});

		it("a handler that writes forever is cut at the limit; the gateway's buffer stays bounded", async () => {
			const rt = runtime("index.forever", { timeoutMs: 3000 });
			const a = streamed(await rt.invokeStream(event({}, 3 * 1024 * 1024)));
			let got = 0;
			await assert.rejects(async () => {
				for await (const p of a.body) got += (p as Buffer).length;
			}, failsWith("FUNCTION_RESPONSE_TOO_LARGE"));
			assert.ok(got <= 3 * 1024 * 1024, `read ${got} bytes past the limit`);
			// Cancelled, the handler's stream errors: its awaited drain rejects, so it ends (with that error).
			const done = await a.outcome;
			assert.equal(done.functionError, "Unhandled");
			assert.match(
				done.payload.toString(),
				/streamed more than the 3145728 bytes/,
			);
		});

		it("a handler that ignores backpressure cannot grow the gateway's buffer", async () => {
			const a = streamed(await runtime("index.flood").invokeStream(event()));
			await firstChunk(a.body);
			// The reader stops; the handler keeps writing 16 MiB. Give it time to try.
			await new Promise((r) => setTimeout(r, 500));
			const bound = STREAM_WINDOW_BYTES + STREAM_PIECE_BYTES + 256 * 1024;
			assert.ok(
				a.body.readableLength <= bound,
				`the gateway buffered ${a.body.readableLength} bytes (bound ${bound})`,
			);
			const rest = await readAll(a.body);
			assert.ok(rest.length > 0);
			await a.outcome;
		});

		it("a slow reader holds the handler back, and then gets every byte in order", async () => {
			const a = streamed(await runtime("index.sixteen").invokeStream(event()));
			const first = await firstChunk(a.body);
			await new Promise((r) => setTimeout(r, 300));
			assert.ok(
				a.body.readableLength <=
					STREAM_WINDOW_BYTES + STREAM_PIECE_BYTES + 256 * 1024,
				`buffered ${a.body.readableLength}`,
			);
			const all = Buffer.concat([first, await readAll(a.body)]);
			assert.equal(all.length, 16 * 1024 * 1024);
			for (let i = 0; i < 16; i++)
				assert.equal(all[i * 1024 * 1024 + 1234], 97 + i, `block ${i}`);
			await a.outcome;
		});

		it("a handler that never ends times out and its stream errors", async () => {
			const a = streamed(
				await runtime("index.hang", { timeoutMs: 500 }).invokeStream(event()),
			);
			assert.equal((await firstChunk(a.body)).toString(), "started;");
			a.body.resume();
			await assert.rejects(readAll(a.body), failsWith("FUNCTION_TIMEOUT"));
			await assert.rejects(a.outcome, failsWith("FUNCTION_TIMEOUT"));
		});

		it("a caller that stops at the body's error leaves no unhandled rejection behind", async () => {
			const unhandled: unknown[] = [];
			const seen = (reason: unknown) => unhandled.push(reason);
			process.on("unhandledRejection", seen);
			try {
				const a = streamed(
					await runtime("index.hang", { timeoutMs: 300 }).invokeStream(event()),
				);
				a.body.resume();
				await assert.rejects(readAll(a.body), failsWith("FUNCTION_TIMEOUT"));
				// The outcome is never awaited, as a caller that has its answer may not.
				await new Promise((r) => setTimeout(r, 100));
				assert.deepEqual(unhandled, []);
			} finally {
				process.off("unhandledRejection", seen);
			}
		});

		it("concurrent streams on one instance stay apart, each in order", async () => {
			const rt = runtime("index.numbered", {
				maxInstances: 1,
				perInstanceConcurrency: 4,
			});
			const tags = ["a", "b", "c", "d"];
			const bodies = await Promise.all(
				tags.map(async (tag) => {
					const a = streamed(await rt.invokeStream(event({ tag, pad: 3000 })));
					const text = (await readAll(a.body)).toString();
					await a.outcome;
					return text;
				}),
			);
			for (const [i, tag] of tags.entries()) {
				const want = Array.from(
					{ length: 50 },
					(_, n) => `${tag}${n};${"x".repeat(3000)}`,
				).join("");
				assert.equal(bodies[i], want, `stream ${tag}`);
			}
			assert.equal(rt.stats().started, 1);
		});

		it("a streaming handler that never writes times out before any answer (504 on a URL)", async () => {
			const rt = runtime("index.silent", { timeoutMs: 300 });
			await assert.rejects(
				rt.invokeHttp(httpInv()),
				failsWith("FUNCTION_TIMEOUT"),
			);
			await assert.rejects(
				rt.invokeStream(event()),
				failsWith("FUNCTION_TIMEOUT"),
			);
		});

		it("a write after end is logged, not fatal: the answer is whole and the instance lives", async () => {
			const logs: string[] = [];
			const rt = runtime("index.afterEnd", {
				maxInstances: 1,
				onLog: (r) => logs.push(r.text),
			});
			const a = streamed(await rt.invokeStream(event()));
			assert.equal((await readAll(a.body)).toString(), "done");
			await a.outcome;
			const b = streamed(await rt.invokeStream(event()));
			assert.equal((await readAll(b.body)).toString(), "done");
			await b.outcome;
			assert.equal(rt.stats().started, 1, "the same instance served both");
			assert.match(logs.join(""), /responseStream: write after end/);
		});

		it("a throw after the headers: the URL's stream errors; InvokeWithResponseStream gets the error", async () => {
			const r = await runtime("index.throwsLate").invokeHttp(httpInv());
			assert.equal(r.status, 201);
			assert.ok(r.stream);
			await assert.rejects(readAll(r.stream), failsWith("FUNCTION_ERROR"));
			const a = streamed(
				await runtime("index.throwsLate").invokeStream(event()),
			);
			await assert.rejects(readAll(a.body), failsWith("FUNCTION_ERROR"));
			const done = await a.outcome;
			assert.equal(done.functionError, "Unhandled");
			const err = JSON.parse(done.payload.toString());
			assert.equal(err.errorType, "TypeError");
			assert.equal(err.errorMessage, "broke midway");
		});

		it("a reader that goes away cancels the handler's stream, which ends the invocation", async () => {
			const logs: string[] = [];
			const rt = runtime("index.leaves", {
				timeoutMs: 60_000,
				onLog: (r) => logs.push(r.text),
			});
			const a = streamed(await rt.invokeStream(event()));
			await firstChunk(a.body);
			a.body.destroy();
			const r = await a.outcome;
			assert.equal(r.functionError, undefined);
			assert.match(logs.join(""), /stream ended by the gateway/);
		});

		it("an aborted caller (client gone) tells the handler, which frees its instance", async () => {
			// 60 s timeout: only the cancel can end this invocation within the test.
			const rt = runtime("index.listens", { timeoutMs: 60_000 });
			const ac = new AbortController();
			const a = streamed(
				await rt.invokeStream({ ...event(), signal: ac.signal }),
			);
			await firstChunk(a.body);
			assert.equal(rt.stats().busy, 1);
			ac.abort(new Error("client gone"));
			await assert.rejects(a.outcome, /client gone/);
			for (let i = 0; i < 400 && rt.stats().busy > 0; i++)
				await new Promise((r) => setTimeout(r, 25));
			assert.equal(rt.stats().busy, 0, "the handler was told and ended");
		});

		if (mode !== "thread")
			it("stream frames forged past the window end the instance", async () => {
				const rt = runtime("index.forge", { maxInstances: 1 });
				const a = await rt
					.invokeStream(event())
					.then((x): Promise<unknown> | unknown =>
						x.kind === "stream" ? x.outcome : x,
					)
					.then(
						() => "answered",
						(e) => (e instanceof RuntimeError ? e.code : String(e)),
					);
				assert.equal(a, "FUNCTION_CRASHED");
			});
	});
}

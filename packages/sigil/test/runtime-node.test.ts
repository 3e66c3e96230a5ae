import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
	createNodeRuntime,
	type FunctionLogRecord,
	type NodeRuntimeSpec,
} from "../src/runtime/node-runtime.ts";
import { type HttpInvocation, RuntimeError } from "../src/runtime/types.ts";

const fixtures = fileURLToPath(
	new URL("./fixtures/functions/", import.meta.url),
);
const basic = `${fixtures}node-basic`;
const open: { close(g?: number): Promise<void> }[] = [];
after(() => Promise.all(open.map((r) => r.close(0))));

function runtime(handler: string, over: Partial<NodeRuntimeSpec> = {}) {
	const rt = createNodeRuntime({
		name: "fn",
		codeDir: basic,
		handler,
		env: {},
		timeoutMs: 2000,
		memoryMb: 64,
		...over,
	});
	open.push(rt);
	return rt;
}

let seq = 0;
function http(over: Partial<HttpInvocation> = {}): HttpInvocation {
	return {
		requestId: `req-${++seq}`,
		functionName: "fn",
		method: "GET",
		path: "/",
		rawQuery: "",
		rawHeaders: ["Host", "fn.localhost"],
		body: Buffer.alloc(0),
		sourceIp: "127.0.0.1",
		host: "fn.localhost",
		receivedAt: Date.now(),
		...over,
	};
}

function event(payload: unknown) {
	return {
		requestId: `ev-${++seq}`,
		functionName: "fn",
		payload: Buffer.from(JSON.stringify(payload)),
	};
}

async function rejectsWith(
	p: Promise<unknown>,
	code: RuntimeError["code"],
): Promise<RuntimeError> {
	try {
		await p;
	} catch (err) {
		assert.ok(
			err instanceof RuntimeError,
			`expected RuntimeError ${code}, got ${String(err)}`,
		);
		assert.equal(err.code, code, err.message);
		return err;
	}
	assert.fail(`expected ${code}, but the invocation succeeded`);
}

describe("node runtime", () => {
	it("passes the event and context and isolates the environment", async () => {
		process.env.SIGIL_GATEWAY_ONLY_SECRET = "must-not-leak";
		const logs: FunctionLogRecord[] = [];
		const rt = runtime("index.echo", {
			env: { GREETING: "hi" },
			secretsDir: "/run/secrets/fn",
			invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:fn",
			onLog: (r) => logs.push(r),
		});
		const inv = http({
			rawQuery: "a=1",
			rawHeaders: ["Host", "fn.localhost", "X-Test", "yes"],
		});
		const res = await rt.invokeHttp(inv);
		assert.equal(res.status, 200);
		const out = JSON.parse(res.body.toString());
		assert.equal(out.event.version, "2.0");
		assert.deepEqual(out.event.queryStringParameters, { a: "1" });
		assert.equal(out.event.headers["x-test"], "yes");
		assert.equal(out.requestId, inv.requestId);
		assert.equal(out.functionName, "fn");
		assert.equal(out.arn, "arn:aws:lambda:us-east-1:123456789012:function:fn");
		assert.ok(
			out.remaining > 0 && out.remaining <= 2000,
			`remaining ${out.remaining}`,
		);
		assert.equal(out.env.GREETING, "hi");
		assert.equal(out.env.SIGIL_SECRETS_DIR, "/run/secrets/fn");
		assert.equal(out.env.AWS_LAMBDA_FUNCTION_NAME, "fn");
		assert.equal(out.env.LAMBDA_TASK_ROOT, basic);
		assert.equal(out.env.SIGIL_GATEWAY_ONLY_SECRET, undefined);
		assert.ok(
			logs.some(
				(l) =>
					l.requestId === inv.requestId && /\tINFO\techo called 1/.test(l.text),
			),
		);
		delete process.env.SIGIL_GATEWAY_ONLY_SECRET;
	});

	it("maps plain values, sync returns, callbacks and TypeScript handlers", async () => {
		const value = runtime("index.value");
		const r = await value.invokeEvent(event({ value: "Hello" }));
		assert.equal(r.payload.toString(), '"Hello"');
		assert.equal(r.functionError, undefined);
		const sync = await runtime("index.sync").invokeEvent(event({ n: 1 }));
		assert.deepEqual(JSON.parse(sync.payload.toString()), {
			sync: true,
			got: { n: 1 },
		});
		const cb = await runtime("index.callback").invokeEvent(event({ n: 2 }));
		assert.deepEqual(JSON.parse(cb.payload.toString()), {
			callback: true,
			got: { n: 2 },
		});
		const ts = runtime("handler.ts", { codeDir: `${fixtures}node-ts` });
		assert.equal(
			(await ts.invokeEvent(event({ name: "ts" }))).payload.toString(),
			'"hello ts"',
		);
		const tsHttp = await ts.invokeHttp(http());
		assert.equal(tsHttp.body.toString(), '"hello world"');
		const custom = await runtime("index.cookies").invokeHttp(http());
		assert.equal(custom.status, 201);
		assert.deepEqual(custom.body, Buffer.from([0, 1, 2, 255]));
		assert.deepEqual(
			custom.headers.filter((_, i) => custom.headers[i - 1] === "set-cookie"),
			["a=1; Path=/", "b=2"],
		);
		// An empty event payload is `{}`, as for Lambda's Invoke.
		const empty = await value.invokeEvent({
			requestId: "e",
			functionName: "fn",
			payload: Buffer.alloc(0),
		});
		assert.equal(empty.payload.toString(), "null");
	});

	it("reports a thrown error: FUNCTION_ERROR over HTTP, Unhandled for events", async () => {
		const rt = runtime("index.throws");
		const err = await rejectsWith(rt.invokeHttp(http()), "FUNCTION_ERROR");
		assert.match(
			err.detail ?? "",
			/TypeError: bad input: the answer is not 42/,
		);
		assert.match(err.detail ?? "", /about to fail/);
		const ev = await rt.invokeEvent(event({}));
		assert.equal(ev.functionError, "Unhandled");
		const payload = JSON.parse(ev.payload.toString());
		assert.equal(payload.errorType, "TypeError");
		assert.equal(payload.errorMessage, "bad input: the answer is not 42");
		assert.ok(Array.isArray(payload.trace) && payload.trace.length > 0);
		assert.match(ev.logTail ?? "", /ERROR\tabout to fail/);
	});

	it("keeps only the last 4 KB of the log as the tail", async () => {
		const logs: FunctionLogRecord[] = [];
		const ev = await runtime("index.chatty", {
			onLog: (r) => logs.push(r),
		}).invokeEvent(event({ lines: 200 }));
		const tail = ev.logTail ?? "";
		assert.ok(
			Buffer.byteLength(tail) <= 4096 && Buffer.byteLength(tail) > 3900,
			`tail ${Buffer.byteLength(tail)}`,
		);
		assert.match(tail, /line 199 /);
		assert.doesNotMatch(tail, /line 0 /);
		assert.match(logs[0]?.text ?? "", /line 0 /);
	});

	it("times out a hanging handler with FUNCTION_TIMEOUT and serves the next call on a fresh worker", async () => {
		const rt = runtime("index.slow", { timeoutMs: 300 });
		const first = JSON.parse(
			(await rt.invokeEvent(event({ ms: 1 }))).payload.toString(),
		);
		const t0 = Date.now();
		await rejectsWith(rt.invokeEvent(event({ ms: 5000 })), "FUNCTION_TIMEOUT");
		assert.ok(Date.now() - t0 < 1500);
		const next = JSON.parse(
			(await rt.invokeEvent(event({ ms: 1 }))).payload.toString(),
		);
		assert.notEqual(next.threadId, first.threadId);
		assert.equal(rt.stats().started, 2);
	});

	it("kills a worker spinning in a busy loop", async () => {
		const rt = runtime("index.spin", { timeoutMs: 200 });
		await rejectsWith(rt.invokeHttp(http()), "FUNCTION_TIMEOUT");
		await rejectsWith(rt.invokeHttp(http()), "FUNCTION_TIMEOUT");
		// Each spinning worker was terminated; with minInstances 0 none is kept in reserve.
		assert.equal(rt.stats().started, 2);
		assert.equal(rt.stats().instances, 0);
	});

	it("turns process.exit into FUNCTION_CRASHED and replaces the worker", async () => {
		const exit = runtime("index.exit");
		const err = await rejectsWith(exit.invokeHttp(http()), "FUNCTION_CRASHED");
		assert.match(err.message, /exited with code 3/);
		await rejectsWith(exit.invokeEvent(event({})), "FUNCTION_CRASHED");
		assert.equal(exit.stats().started, 2);
	});

	it("turns running out of heap into FUNCTION_CRASHED and still serves", async () => {
		const rt = runtime("index.oom", { memoryMb: 16, timeoutMs: 10_000 });
		const err = await rejectsWith(
			rt.invokeEvent(event({})),
			"FUNCTION_CRASHED",
		);
		assert.match(err.message, /out of memory/);
		const ok = runtime("index.value", { memoryMb: 16 });
		assert.equal(
			(await ok.invokeEvent(event({ value: 1 }))).payload.toString(),
			"1",
		);
	});

	it("survives unhandled rejections in the background", async () => {
		const bg: FunctionLogRecord[] = [];
		const rt = runtime("index.background", { onLog: (r) => bg.push(r) });
		const a = JSON.parse((await rt.invokeEvent(event({}))).payload.toString());
		await new Promise((r) => setTimeout(r, 50));
		const b = JSON.parse((await rt.invokeEvent(event({}))).payload.toString());
		assert.equal(a.threadId, b.threadId);
		assert.equal(rt.stats().started, 1);
		assert.ok(bg.some((l) => /Unhandled Promise Rejection/.test(l.text)));
	});

	it("reports handler load failures as FUNCTION_START_FAILED with a clear detail", async () => {
		const cases: [string, string, RegExp][] = [
			[
				`${fixtures}node-broken`,
				"index.handler",
				/cannot load: missing configuration FOO/,
			],
			[
				`${fixtures}node-broken`,
				"noexport.handler",
				/does not export a function named "handler" \(exports: other\)/,
			],
			[
				`${fixtures}node-broken`,
				"missing.handler",
				/none of missing\.mjs, missing\.js/,
			],
			[
				`${fixtures}node-broken`,
				"../node-basic/index.echo",
				/must be a relative path inside/,
			],
			[basic, "index", /must look like FILE\.EXPORT/],
			[
				`${fixtures}node-broken`,
				"exits.handler",
				/exited with code 7 while loading/,
			],
		];
		for (const [codeDir, handler, detail] of cases) {
			const rt = runtime(handler, { codeDir, minInstances: 1 });
			const err = await rejectsWith(
				rt.invokeHttp(http()),
				"FUNCTION_START_FAILED",
			);
			assert.match(err.detail ?? "", detail, handler);
		}
	});

	it("refuses work after close with FUNCTION_CLOSED", async () => {
		const rt = runtime("index.value");
		await rt.invokeEvent(event({ value: 1 }));
		await rt.close(100);
		await rejectsWith(rt.invokeEvent(event({ value: 1 })), "FUNCTION_CLOSED");
		assert.equal(rt.stats().instances, 0);
	});
});

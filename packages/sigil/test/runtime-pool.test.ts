import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
	createNodeRuntime,
	type NodeRuntimeSpec,
} from "../src/runtime/node-runtime.ts";
import { RuntimeError } from "../src/runtime/types.ts";

const basic = fileURLToPath(
	new URL("./fixtures/functions/node-basic", import.meta.url),
);
const open: { close(g?: number): Promise<void> }[] = [];
after(() => Promise.all(open.map((r) => r.close(0))));

function runtime(handler: string, over: Partial<NodeRuntimeSpec> = {}) {
	const rt = createNodeRuntime({
		name: "fn",
		codeDir: basic,
		handler,
		env: {},
		timeoutMs: 5000,
		memoryMb: 64,
		...over,
	});
	open.push(rt);
	return rt;
}

let seq = 0;
const event = (payload: unknown, signal?: AbortSignal) => ({
	requestId: `ev-${++seq}`,
	functionName: "fn",
	payload: Buffer.from(JSON.stringify(payload)),
	...(signal !== undefined ? { signal } : {}),
});
const codeOf = (r: PromiseSettledResult<unknown>) =>
	r.status === "fulfilled"
		? "OK"
		: r.reason instanceof RuntimeError
			? r.reason.code
			: String(r.reason);
const threadOf = (r: { payload: Buffer }) =>
	JSON.parse(r.payload.toString()).threadId as number;

describe("worker pool", () => {
	it("reuses a warm worker for sequential calls", async () => {
		const rt = runtime("index.slow");
		const a = threadOf(await rt.invokeEvent(event({ ms: 1 })));
		const b = threadOf(await rt.invokeEvent(event({ ms: 1 })));
		assert.equal(a, b);
		assert.equal(rt.stats().started, 1);
	});

	it("starts minInstances at once and never more than maxInstances", async () => {
		const rt = runtime("index.slow", { minInstances: 2, maxInstances: 3 });
		assert.equal(rt.stats().instances, 2);
		const results = await Promise.all(
			Array.from({ length: 9 }, () => rt.invokeEvent(event({ ms: 50 }))),
		);
		// The third worker is started for the backlog; no fourth ever is.
		assert.ok(new Set(results.map(threadOf)).size <= 3);
		assert.equal(rt.stats().started, 3);
	});

	it("cuts a burst at exactly maxInstances×concurrency+maxQueue with FUNCTION_QUEUE_FULL", async () => {
		const rt = runtime("index.slow", {
			maxInstances: 2,
			perInstanceConcurrency: 2,
			maxQueue: 3,
		});
		const settled = await Promise.allSettled(
			Array.from({ length: 12 }, () => rt.invokeEvent(event({ ms: 150 }))),
		);
		const codes = settled.map(codeOf);
		assert.deepEqual(codes.slice(0, 7), Array(7).fill("OK"));
		assert.deepEqual(codes.slice(7), Array(5).fill("FUNCTION_QUEUE_FULL"));
		// Never more workers than maxInstances, however the burst was spread over them (which
		// worker takes which request depends on start-up timing, so only the bound is asserted).
		const threads = new Set(
			settled
				.slice(0, 7)
				.map((r) => r.status === "fulfilled" && threadOf(r.value)),
		);
		assert.ok(
			threads.size >= 1 && threads.size <= 2,
			`ran on ${threads.size} workers`,
		);
		assert.ok(rt.stats().started <= 2);
	});

	it("fails the other invocations of a timed-out worker with FUNCTION_CRASHED", async () => {
		const rt = runtime("index.slow", {
			maxInstances: 1,
			perInstanceConcurrency: 3,
			timeoutMs: 400,
		});
		const started = Date.now();
		const long = rt.invokeEvent(event({ ms: 10_000 }));
		await new Promise((r) => setTimeout(r, 100));
		const others = [
			rt.invokeEvent(event({ ms: 5000 })),
			rt.invokeEvent(event({ ms: 5000 })),
		];
		const settled = await Promise.allSettled([long, ...others]);
		assert.deepEqual(settled.map(codeOf), [
			"FUNCTION_TIMEOUT",
			"FUNCTION_CRASHED",
			"FUNCTION_CRASHED",
		]);
		assert.ok(Date.now() - started < 2000);
		assert.equal(
			JSON.parse((await rt.invokeEvent(event({ ms: 1 }))).payload.toString())
				.slept,
			true,
		);
	});

	it("drops an aborted invocation from the queue and lets the rest through", async () => {
		const rt = runtime("index.slow", { maxInstances: 1 });
		await rt.invokeEvent(event({ ms: 1 }));
		const first = rt.invokeEvent(event({ ms: 200 }));
		const ac = new AbortController();
		const queued = rt.invokeEvent(event({ ms: 1 }, ac.signal));
		const third = rt.invokeEvent(event({ ms: 1 }));
		assert.equal(rt.stats().queued, 2);
		ac.abort();
		await assert.rejects(queued, { name: "AbortError" });
		assert.equal(rt.stats().queued, 1);
		await Promise.all([first, third]);
	});

	it("stops waiting for a running invocation when aborted, and its slot frees when it ends", async () => {
		const rt = runtime("index.slow", { maxInstances: 1 });
		await rt.invokeEvent(event({ ms: 1 }));
		const ac = new AbortController();
		const running = rt.invokeEvent(event({ ms: 200 }, ac.signal));
		await new Promise((r) => setTimeout(r, 50));
		ac.abort();
		await assert.rejects(running, { name: "AbortError" });
		assert.equal(rt.stats().busy, 1);
		assert.equal(
			JSON.parse((await rt.invokeEvent(event({ ms: 1 }))).payload.toString())
				.slept,
			true,
		);
	});

	it("retires idle workers above minInstances", async () => {
		const rt = runtime("index.slow", {
			minInstances: 1,
			maxInstances: 3,
			idleTimeoutMs: 100,
		});
		await Promise.all([1, 2, 3].map(() => rt.invokeEvent(event({ ms: 50 }))));
		assert.equal(rt.stats().started, 3);
		await new Promise((r) => setTimeout(r, 500));
		assert.equal(rt.stats().instances, 1);
	});

	it("redeploys without losing an in-flight request", async () => {
		const old = runtime("index.slow", {
			maxInstances: 2,
			perInstanceConcurrency: 2,
		});
		const inFlight = Array.from({ length: 6 }, () =>
			old.invokeEvent(event({ ms: 300 })),
		);
		await new Promise((r) => setTimeout(r, 100));
		// The gateway swaps in the new runtime first, then closes the old one with a grace period.
		const next = runtime("index.slow", { maxInstances: 2 });
		const closing = old.close(5000);
		await assert.rejects(
			old.invokeEvent(event({ ms: 1 })),
			(e) => e instanceof RuntimeError && e.code === "FUNCTION_CLOSED",
		);
		const fresh = next.invokeEvent(event({ ms: 1 }));
		const settled = await Promise.allSettled(inFlight);
		assert.deepEqual(settled.map(codeOf), Array(6).fill("OK"));
		await closing;
		assert.equal(old.stats().instances, 0);
		assert.equal(JSON.parse((await fresh).payload.toString()).slept, true);
	});

	it("fails what is still running when the grace period ends", async () => {
		const rt = runtime("index.slow");
		const long = rt.invokeEvent(event({ ms: 3000 })).then(
			() => "OK",
			(e: unknown) => (e instanceof RuntimeError ? e.code : String(e)),
		);
		await new Promise((r) => setTimeout(r, 100));
		const t0 = Date.now();
		await rt.close(100);
		assert.ok(Date.now() - t0 < 1000);
		assert.equal(await long, "FUNCTION_CLOSED");
	});
});

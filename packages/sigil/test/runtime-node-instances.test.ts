// Node functions as processes of their own (isolation `process`) and in the sandbox (isolation
// `sandbox`): warm reuse, batching, timeouts, crashes, memory, drain — the worker pool's
// guarantees — and what only a process boundary gives: a handler that SIGKILLs itself, kills
// every process it may (-1) or writes garbage on the gateway's pipe costs only its request.
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
import { RuntimeError } from "../src/runtime/types.ts";

const CODE = `import { randomUUID } from "node:crypto";
import { openSync, writeSync } from "node:fs";
const instance = randomUUID();
export const who = async () => ({ instance, pid: process.pid, uid: process.getuid(), task: process.env.LAMBDA_TASK_ROOT, cwd: process.cwd() });
export const slow = async (e) => { await new Promise((r) => setTimeout(r, e.ms ?? 100)); return { instance }; };
export const hang = () => new Promise(() => {});
export const exit = () => process.exit(3);
export const selfKill = () => { process.kill(process.pid, "SIGKILL"); return new Promise(() => {}); };
export const killAll = () => { try { process.kill(-1, "SIGKILL"); } catch (e) { return { refused: e.code }; } return new Promise(() => {}); };
export const forge = () => { writeSync(3, Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])); return new Promise(() => {}); };
export const oom = () => { const hog = []; for (;;) hog.push(new Array(1e6).fill(Math.random())); };
`;

let dir: string;
const open: NodeRuntime[] = [];
before(async () => {
	dir = await mkdtemp(join(tmpdir(), "sigil-node-inst-"));
	await writeFile(join(dir, "index.mjs"), CODE);
	// The sandbox's uid reads the code (createRuntime makes deployed code readable the same way).
	await chmod(dir, 0o755);
	await chmod(join(dir, "index.mjs"), 0o644);
});
after(async () => {
	await Promise.all(open.map((r) => r.close(0)));
	await rm(dir, { recursive: true, force: true });
});

let seq = 0;
const event = (payload: unknown = {}) => ({
	requestId: `ni-${++seq}`,
	functionName: "fn",
	payload: Buffer.from(JSON.stringify(payload)),
});
const codeOf = (r: PromiseSettledResult<unknown>) =>
	r.status === "fulfilled"
		? "OK"
		: r.reason instanceof RuntimeError
			? r.reason.code
			: String(r.reason);
const json = (r: { payload: Buffer }) => JSON.parse(r.payload.toString());

const probe = await detectSandbox();
const modes: [string, () => NodeInstances, string | false][] = [
	["process", () => ({ kind: "process" }), false],
	[
		"sandbox",
		() => {
			if (!probe.ok) throw new Error("no sandbox");
			const uid = functionUid("node-instances-test");
			return {
				kind: "process",
				sandbox: {
					host: probe.host,
					policy: {
						network: "full",
						uid,
						gid: uid,
						limits: { ...DEFAULT_LIMITS, memoryMb: 1024 + 2 * 64 },
					},
					identity: { functionName: "fn", memoryMb: 64, region: "us-east-1" },
				},
			};
		},
		probe.ok ? false : `no sandbox here: ${probe.ok ? "" : probe.reason}`,
	],
];

for (const [mode, instances, skip] of modes) {
	describe(`node instances: ${mode}`, { skip }, () => {
		function runtime(handler: string, over: Partial<NodeRuntimeSpec> = {}) {
			const rt = createNodeRuntime({
				name: "fn",
				codeDir: dir,
				handler,
				env: {},
				timeoutMs: 5000,
				memoryMb: 64,
				instances: instances(),
				...over,
			});
			open.push(rt);
			return rt;
		}

		it("a warm instance serves sequential calls; concurrent ones are batched onto it", async () => {
			const rt = runtime("index.slow", {
				maxInstances: 1,
				perInstanceConcurrency: 64,
			});
			const a = json(await rt.invokeEvent(event({ ms: 1 })));
			const b = json(await rt.invokeEvent(event({ ms: 1 })));
			assert.equal(a.instance, b.instance);
			const many = await Promise.all(
				Array.from({ length: 50 }, () => rt.invokeEvent(event({ ms: 20 }))),
			);
			assert.equal(new Set(many.map((r) => json(r).instance)).size, 1);
			assert.equal(rt.stats().started, 1);
		});

		it("runs in the code folder as the task root", async () => {
			const w = json(await runtime("index.who").invokeEvent(event()));
			if (mode === "sandbox") {
				assert.equal(w.task, "/var/task");
				assert.equal(w.cwd, "/var/task");
				assert.notEqual(w.uid, 0);
				assert.notEqual(w.pid, process.pid);
			} else assert.notEqual(w.pid, process.pid);
		});

		it("a timeout is FUNCTION_TIMEOUT and the next call gets a fresh instance", async () => {
			const rt = runtime("index.hang", { timeoutMs: 300 });
			await assert.rejects(
				rt.invokeEvent(event()),
				(e: RuntimeError) => e.code === "FUNCTION_TIMEOUT",
			);
			await assert.rejects(
				rt.invokeEvent(event()),
				(e: RuntimeError) => e.code === "FUNCTION_TIMEOUT",
			);
			assert.equal(rt.stats().started, 2);
		});

		it("process.exit is FUNCTION_CRASHED and the instance is replaced", async () => {
			const rt = runtime("index.exit");
			await assert.rejects(
				rt.invokeEvent(event()),
				(e: RuntimeError) =>
					e.code === "FUNCTION_CRASHED" && /exited with code 3/.test(e.message),
			);
		});

		it("running out of heap is FUNCTION_CRASHED", async () => {
			const rt = runtime("index.oom", { timeoutMs: 20_000 });
			await assert.rejects(
				rt.invokeEvent(event()),
				(e: RuntimeError) =>
					e.code === "FUNCTION_CRASHED" && /out of memory/.test(e.message),
			);
		});

		it("process.kill(process.pid, 'SIGKILL') costs only its request; the next is served", async () => {
			const killer = runtime("index.selfKill");
			const other = runtime("index.slow");
			const [k, o] = await Promise.allSettled([
				killer.invokeEvent(event()),
				other.invokeEvent(event({ ms: 200 })),
			]);
			assert.equal(codeOf(k), "FUNCTION_CRASHED");
			assert.equal(codeOf(o), "OK");
			await assert.rejects(
				killer.invokeEvent(event()),
				(e: RuntimeError) => e.code === "FUNCTION_CRASHED",
			);
		});

		it("garbage on the gateway's pipe ends only that instance", async () => {
			const rt = runtime("index.forge");
			await assert.rejects(
				rt.invokeEvent(event()),
				(e: RuntimeError) =>
					e.code === "FUNCTION_CRASHED" && /protocol/.test(e.message),
			);
			const ok = runtime("index.slow");
			assert.equal(
				codeOf(
					(
						await Promise.allSettled([ok.invokeEvent(event({ ms: 1 }))])
					)[0] as PromiseSettledResult<unknown>,
				),
				"OK",
			);
		});

		it("close lets in-flight invocations finish (drain), then refuses", async () => {
			const rt = runtime("index.slow");
			const running = rt.invokeEvent(event({ ms: 300 }));
			await new Promise((r) => setTimeout(r, 100));
			const closing = rt.close(5000);
			assert.ok(json(await running).instance);
			await closing;
			await assert.rejects(
				rt.invokeEvent(event()),
				(e: RuntimeError) => e.code === "FUNCTION_CLOSED",
			);
		});

		if (mode === "sandbox")
			it("process.kill(-1, 'SIGKILL') reaches nothing outside its sandbox", async () => {
				const killer = runtime("index.killAll");
				const other = runtime("index.slow");
				const warm = json(await other.invokeEvent(event({ ms: 1 })));
				const r = await Promise.allSettled([killer.invokeEvent(event())]);
				// It may kill itself (FUNCTION_CRASHED) or be refused; either way only its request.
				assert.ok(
					["FUNCTION_CRASHED", "OK"].includes(
						codeOf(r[0] as PromiseSettledResult<unknown>),
					),
				);
				const again = json(await other.invokeEvent(event({ ms: 1 })));
				assert.equal(
					again.instance,
					warm.instance,
					"the other function's instance survived",
				);
			});
	});
}

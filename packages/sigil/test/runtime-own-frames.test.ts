// A Node function's stacks keep only its own frames, relative to its code folder: in the
// `trace` of an Unhandled error, in the detail kept for its owner (HTTP invocations, load
// failures), and in its logs (console.error(err), unhandled rejections). Sigil's worker, pool
// and Node's internals never show.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
	createNodeRuntime,
	type FunctionLogRecord,
} from "../src/runtime/node-runtime.ts";
import {
	codeRoots,
	ownTrace,
	relativize,
	trimStackText,
} from "../src/runtime/own-frames.ts";
import { RuntimeError } from "../src/runtime/types.ts";

const SIGIL = /packages\/sigil|worker-entry|worker-pool|node:internal/;

describe("own-frames (pure)", () => {
	const roots = codeRoots("/data/code/abc");
	const stack = [
		"TypeError: bad\nsecond line of the message",
		"    at inner (file:///data/code/abc/lib/util.mjs:3:9)",
		"    at handler (/data/code/abc/index.js:10:2)",
		"    at file:///srv/sigil/packages/sigil/src/runtime/worker-entry.ts:156:57",
		"    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
		"    at new Promise (<anonymous>)",
		"    at async run (file:///srv/sigil/packages/sigil/src/runtime/worker-entry.ts:168:2)",
	].join("\n");

	it("trace: the function's frames only, relative; no message lines", () => {
		assert.deepEqual(ownTrace(stack, roots), [
			"at inner (lib/util.mjs:3:9)",
			"at handler (index.js:10:2)",
			"at new Promise (<anonymous>)",
		]);
	});

	it("text: message kept, foreign frames dropped, paths relative", () => {
		assert.equal(
			trimStackText(stack, roots),
			[
				"TypeError: bad\nsecond line of the message",
				"    at inner (lib/util.mjs:3:9)",
				"    at handler (index.js:10:2)",
				"    at new Promise (<anonymous>)",
			].join("\n"),
		);
	});

	it("a sibling folder that shares the prefix is not the function's", () => {
		assert.deepEqual(
			ownTrace("E\n    at x (/data/code/abcdef/index.js:1:1)", roots),
			[],
		);
		assert.equal(relativize("/data/code/abc", roots), "/data/code/abc");
	});
});

describe("own-frames in a real worker", () => {
	let dir: string;
	const open: { close(g?: number): Promise<void> }[] = [];
	before(async () => {
		dir = await mkdtemp(join(tmpdir(), "sigil-frames-"));
		await writeFile(
			join(dir, "index.mjs"),
			`function inner() { throw new TypeError("from the function"); }
export const throws = async () => inner();
export const logs = async () => { console.error(new Error("logged")); Promise.reject(new Error("background")); return 1; };
`,
		);
		await writeFile(join(dir, "syntax.mjs"), "export const handler = ]\n");
		await writeFile(
			join(dir, "loadthrow.mjs"),
			'throw new Error("no config at load");\n',
		);
	});
	after(async () => {
		await Promise.all(open.map((r) => r.close(0)));
		await rm(dir, { recursive: true, force: true });
	});

	function runtime(handler: string, logs?: FunctionLogRecord[]) {
		const rt = createNodeRuntime({
			name: "fn",
			codeDir: dir,
			handler,
			env: {},
			timeoutMs: 2000,
			memoryMb: 64,
			...(logs && { onLog: (r: FunctionLogRecord) => logs.push(r) }),
		});
		open.push(rt);
		return rt;
	}

	const http = () => ({
		requestId: "r1",
		functionName: "fn",
		method: "GET",
		path: "/",
		rawQuery: "",
		rawHeaders: ["Host", "fn.localhost"],
		body: Buffer.alloc(0),
		sourceIp: "127.0.0.1",
		host: "fn.localhost",
		receivedAt: Date.now(),
	});

	async function failure(p: Promise<unknown>): Promise<RuntimeError> {
		try {
			await p;
		} catch (err) {
			assert.ok(err instanceof RuntimeError, String(err));
			return err;
		}
		assert.fail("expected a failure");
	}

	it("an Unhandled error: trace and the owner's detail show the function's frames only", async () => {
		const rt = runtime("index.throws");
		const ev = await rt.invokeEvent({
			requestId: "e1",
			functionName: "fn",
			payload: Buffer.from("{}"),
		});
		const payload = JSON.parse(ev.payload.toString()) as { trace: string[] };
		assert.deepEqual(
			payload.trace.map((l) => l.replace(/:\d+:\d+/, "")),
			["at inner (index.mjs)", "at throws (index.mjs)"],
		);
		const err = await failure(rt.invokeHttp(http()));
		assert.match(err.detail ?? "", /at inner \(index\.mjs:1:\d+\)/);
		assert.doesNotMatch(err.detail ?? "", SIGIL);
		assert.ok(!(err.detail ?? "").includes(dir));
	});

	it("logs: console.error(err) and a background rejection", async () => {
		const logs: FunctionLogRecord[] = [];
		const rt = runtime("index.logs", logs);
		await rt.invokeEvent({
			requestId: "e2",
			functionName: "fn",
			payload: Buffer.from("{}"),
		});
		await new Promise((r) => setTimeout(r, 100));
		const text = logs.map((l) => l.text).join("\n");
		assert.match(text, /Error: logged\n {4}at logs \(index\.mjs:3:\d+\)/);
		assert.match(text, /Unhandled Promise Rejection\tError: background/);
		assert.doesNotMatch(text, SIGIL);
		assert.ok(!text.includes(dir));
	});

	it("load failures: a syntax error and a throw at import, named relative to the code", async () => {
		for (const handler of ["syntax.handler", "loadthrow.handler"]) {
			const err = await failure(runtime(handler).invokeHttp(http()));
			assert.equal(err.code, "FUNCTION_START_FAILED");
			assert.doesNotMatch(err.detail ?? "", SIGIL, err.detail);
			assert.ok(!(err.detail ?? "").includes(dir), err.detail);
		}
	});
});

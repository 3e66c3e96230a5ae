import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AdmissionGate } from "../src/runtime/admission-gate.ts";
import { baseEnvironment } from "../src/runtime/base-env.ts";
import { parseHandlerRef } from "../src/runtime/handler-ref.ts";
import { LogBuffer, utf8Tail } from "../src/runtime/log-tail.ts";
import { RuntimeError } from "../src/runtime/types.ts";

describe("handler reference", () => {
	it("parses FILE.EXPORT and plain file names", () => {
		assert.deepEqual(parseHandlerRef("index.handler"), {
			ok: true,
			candidates: [
				"index.mjs",
				"index.js",
				"index.ts",
				"index.mts",
				"index.cjs",
			],
			exportName: "handler",
		});
		const nested = parseHandlerRef("src/app.main");
		assert.ok(nested.ok);
		assert.equal(nested.candidates[0], "src/app.mjs");
		assert.equal(nested.exportName, "main");
		assert.deepEqual(parseHandlerRef("handler.js"), {
			ok: true,
			candidates: ["handler.js"],
			exportName: "handler",
		});
	});

	it("refuses escapes and malformed settings", () => {
		for (const bad of [
			"",
			"/etc/passwd.x",
			"../up.handler",
			"a/../../b.h",
			"index",
			".handler",
			"index.",
			"dir.v2/index",
		]) {
			const r = parseHandlerRef(bad);
			assert.equal(r.ok, false, bad);
			if (!r.ok) assert.equal(r.code, "INVALID_HANDLER");
		}
	});
});

describe("log capture", () => {
	it("keeps the tail within the byte budget, on a character boundary (property)", () => {
		fc.assert(
			fc.property(
				fc.string({ unit: "grapheme", maxLength: 300 }),
				fc.integer({ min: 0, max: 200 }),
				(text, max) => {
					const tail = utf8Tail(text, max);
					assert.ok(Buffer.byteLength(tail) <= max || tail === text);
					assert.ok(text.endsWith(tail));
					assert.ok(!tail.includes("\uFFFD") || text.includes("\uFFFD"));
					if (Buffer.byteLength(text) <= max) assert.equal(tail, text);
				},
			),
		);
	});

	it("drops the oldest output past its bound and says so", () => {
		const buf = new LogBuffer(10);
		buf.append("aaaa");
		buf.append("bbbb");
		buf.append("cccccc");
		assert.equal(buf.text(), "[… 4 earlier characters dropped]\nbbbbcccccc");
		buf.append("0123456789XY");
		assert.equal(buf.text(), "[… 16 earlier characters dropped]\n23456789XY");
	});
});

describe("admission gate", () => {
	it("admits up to the limit, queues FIFO, refuses past the queue, honours abort", async () => {
		const gate = new AdmissionGate("g", 1, 2);
		const order: string[] = [];
		const first = await gate.acquire();
		const ac = new AbortController();
		const a = gate.acquire(ac.signal);
		const b = gate.acquire().then((release) => {
			order.push("b");
			return release;
		});
		await assert.rejects(
			gate.acquire(),
			(e) => e instanceof RuntimeError && e.code === "FUNCTION_QUEUE_FULL",
		);
		ac.abort();
		await assert.rejects(a, { name: "AbortError" });
		first();
		const releaseB = await b;
		assert.deepEqual(order, ["b"]);
		assert.equal(gate.active, 1);
		releaseB();
		releaseB(); // a second release is a no-op
		assert.equal(gate.active, 0);
		await gate.close(10);
		await assert.rejects(
			gate.acquire(),
			(e) => e instanceof RuntimeError && e.code === "FUNCTION_CLOSED",
		);
	});
});

describe("base environment", () => {
	it("inherits only the basics", () => {
		const env = baseEnvironment({
			PATH: "/bin",
			HOME: "/h",
			AWS_SECRET_ACCESS_KEY: "x",
			SIGIL_MASTER_KEY: "y",
		});
		assert.deepEqual(env, { PATH: "/bin", HOME: "/h" });
	});
});

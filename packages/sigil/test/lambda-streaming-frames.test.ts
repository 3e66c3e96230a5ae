// The framed pipe between the gateway and a function's process (runtime/frames.ts), rewritten
// for response streams to copy a frame once however many reads it arrives in: property tests
// that any sequence of frames, cut into any chunks, reads back as the same values in order,
// and that the bounds still hold (an oversized length is refused as soon as it is read, before
// its body arrives; a body that is not JSON is refused).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { encodeFrame, FrameError, FrameReader } from "../src/runtime/frames.ts";

/** Cuts `buf` at the given points (any order, any duplicates). */
function cut(buf: Buffer, points: number[]): Buffer[] {
	const at = [...new Set(points.map((p) => p % (buf.length + 1)))].sort(
		(a, b) => a - b,
	);
	const out: Buffer[] = [];
	let prev = 0;
	for (const p of [...at, buf.length]) {
		out.push(buf.subarray(prev, p));
		prev = p;
	}
	return out;
}

test("any frames, cut anywhere, read back whole and in order", () => {
	fc.assert(
		fc.property(
			fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 8 }),
			fc.array(fc.nat(), { maxLength: 30 }),
			(values, points) => {
				const wire = Buffer.concat(values.map((v) => encodeFrame(v)));
				const reader = new FrameReader();
				const got: unknown[] = [];
				for (const chunk of cut(wire, points)) got.push(...reader.push(chunk));
				// JSON round trip is the contract (-0 becomes 0, as JSON.stringify writes it).
				assert.deepEqual(
					got,
					values.map((v) => JSON.parse(JSON.stringify(v))),
				);
			},
		),
		{ numRuns: 300 },
	);
});

test("a length over the bound is refused when its 4 bytes arrive, byte by byte too", () => {
	const reader = new FrameReader(1024);
	const head = Buffer.alloc(4);
	head.writeUInt32BE(1025);
	assert.deepEqual(reader.push(head.subarray(0, 1)), []);
	assert.deepEqual(reader.push(head.subarray(1, 3)), []);
	assert.throws(() => reader.push(head.subarray(3)), FrameError);
});

test("a frame whose body is not JSON is refused", () => {
	const body = Buffer.from("{not json");
	const head = Buffer.alloc(4);
	head.writeUInt32BE(body.length);
	assert.throws(
		() => new FrameReader().push(Buffer.concat([head, body])),
		FrameError,
	);
});

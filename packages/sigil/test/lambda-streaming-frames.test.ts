// The framed pipe between the gateway and a function's process (runtime/frames.ts), rewritten
// for response streams to copy a frame once however many reads it arrives in: property tests
// that any sequence of frames, cut into any chunks, reads back as the same values in order,
// and that the bounds still hold (an oversized length is refused as soon as it is read, before
// its body arrives; a body that is not JSON is refused).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
	encodeFrame,
	encodeHostBatch,
	FrameError,
	FrameReader,
} from "../src/runtime/frames.ts";
import {
	eventOf,
	type HostMessage,
	type ReceivedMessage,
} from "../src/runtime/worker-protocol.ts";

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

test("a host batch carries the gateway's own event JSON in place, and any other event as text", () => {
	const invoke = fc.record({
		id: fc.nat(),
		requestId: fc.string(),
		event: fc.jsonValue({ maxDepth: 3 }),
		own: fc.boolean(),
		clientContext: fc.option(fc.string(), { nil: undefined }),
	});
	const other = fc.oneof(
		fc.record({
			type: fc.constant("ack" as const),
			id: fc.nat(),
			bytes: fc.nat(),
		}),
		fc.record({
			type: fc.constant("cancel" as const),
			id: fc.nat(),
			reason: fc.string(),
		}),
	);
	fc.assert(
		fc.property(
			fc.array(fc.oneof(invoke, other), { minLength: 1, maxLength: 6 }),
			fc.string(),
			(items, notJson) => {
				const batch: HostMessage[] = items.map((m) =>
					"type" in m
						? { ...m } // fast-check's records have no prototype; JSON's do
						: {
								type: "invoke",
								id: m.id,
								requestId: m.requestId,
								// A caller's payload may not be JSON at all: it must arrive as the same text.
								eventJson: m.own ? JSON.stringify(m.event) : notJson,
								...(m.own && { eventIsJson: true as const }),
								deadline: 1,
								...(m.clientContext !== undefined && {
									clientContext: m.clientContext,
								}),
							},
				);
				const [frame] = new FrameReader().push(encodeHostBatch(batch));
				const got = frame as ReceivedMessage[];
				assert.equal(got.length, batch.length);
				got.forEach((m, i) => {
					const sent = batch[i] as HostMessage;
					if (sent.type !== "invoke" || m.type !== "invoke") {
						assert.deepEqual(m, sent);
						return;
					}
					const { eventJson, eventIsJson, ...rest } = sent;
					const { event, eventJson: text, ...restGot } = m;
					assert.deepEqual(restGot, rest);
					if (eventIsJson) {
						assert.equal(text, undefined);
						assert.deepEqual(eventOf(m), JSON.parse(eventJson));
					} else assert.equal(text, eventJson);
				});
			},
		),
	);
});

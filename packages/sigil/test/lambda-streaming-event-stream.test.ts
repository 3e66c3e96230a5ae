// Sigil's own AWS event-stream encoder (gateway/event-stream.ts) against the decoder the AWS SDK
// v3 itself uses (@smithy/core/event-streams, installed with @aws-sdk/client-lambda): any
// headers and any payload decode to exactly what was encoded, the bytes equal the SDK's own
// encoder's, and the CRCs catch a flipped bit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EventStreamCodec } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import fc from "fast-check";
import {
	encodeEvent,
	encodeEventStreamMessage,
	MAX_MESSAGE_BYTES,
} from "../src/gateway/event-stream.ts";

const codec = new EventStreamCodec(toUtf8, fromUtf8);

// "__proto__" is left out: the SDK's decoder builds its headers by assignment, where that name
// sets the object's prototype instead of a key (its quirk; Sigil never sends such a header).
const headerName = fc
	.string({ minLength: 1, maxLength: 40, unit: "grapheme" })
	.filter((s) => Buffer.byteLength(s) <= 255 && s !== "__proto__");
const headers = fc.dictionary(
	headerName,
	fc.string({ maxLength: 200, unit: "grapheme" }),
	{ maxKeys: 6 },
);
const payload = fc.uint8Array({ maxLength: 4096 });

test("the SDK's decoder reads back any headers and payload", () => {
	fc.assert(
		fc.property(headers, payload, (h, p) => {
			const decoded = codec.decode(encodeEventStreamMessage(h, p));
			assert.deepEqual(Buffer.from(decoded.body), Buffer.from(p));
			const back: Record<string, string> = {};
			for (const [k, v] of Object.entries(decoded.headers)) {
				assert.equal(v.type, "string");
				back[k] = v.value as string;
			}
			assert.deepEqual(back, { ...h });
		}),
		{ numRuns: 300 },
	);
});

test("the bytes equal the SDK's own encoder's", () => {
	fc.assert(
		fc.property(headers, payload, (h, p) => {
			const theirs = codec.encode({
				headers: Object.fromEntries(
					Object.entries(h).map(([k, v]) => [k, { type: "string", value: v }]),
				),
				body: p,
			});
			assert.deepEqual(encodeEventStreamMessage(h, p), Buffer.from(theirs));
		}),
		{ numRuns: 300 },
	);
});

test("a flipped bit anywhere fails the SDK's CRC or length checks", () => {
	fc.assert(
		fc.property(
			headers,
			payload,
			fc.nat(),
			fc.integer({ min: 0, max: 7 }),
			(h, p, at, bit) => {
				const msg = encodeEventStreamMessage(h, p);
				const i = at % msg.length;
				msg[i] = (msg[i] as number) ^ (1 << bit);
				assert.throws(() => codec.decode(msg));
			},
		),
		{ numRuns: 300 },
	);
});

test("an event carries Lambda's three headers", () => {
	const decoded = codec.decode(
		encodeEvent("PayloadChunk", "application/octet-stream", Buffer.from("hi")),
	);
	assert.deepEqual(
		Object.fromEntries(
			Object.entries(decoded.headers).map(([k, v]) => [k, v.value]),
		),
		{
			":event-type": "PayloadChunk",
			":content-type": "application/octet-stream",
			":message-type": "event",
		},
	);
	assert.equal(toUtf8(decoded.body), "hi");
});

test("out-of-bounds names, values and messages are refused, not truncated", () => {
	assert.throws(
		() => encodeEventStreamMessage({ "": "x" }, Buffer.alloc(0)),
		RangeError,
	);
	assert.throws(
		() => encodeEventStreamMessage({ ["n".repeat(256)]: "x" }, Buffer.alloc(0)),
		RangeError,
	);
	assert.throws(
		() => encodeEventStreamMessage({ n: "v".repeat(32_768) }, Buffer.alloc(0)),
		RangeError,
	);
	assert.throws(
		() => encodeEventStreamMessage({}, Buffer.alloc(MAX_MESSAGE_BYTES)),
		RangeError,
	);
});

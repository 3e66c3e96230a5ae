/**
 * The AWS event-stream message encoding (`application/vnd.amazon.eventstream`), as the SDKs
 * decode it (Smithy "Amazon Event Stream" specification). One message on the wire:
 *
 *   1. prelude: total length (uint32 BE, the whole message), headers length (uint32 BE)
 *   2. prelude CRC: CRC32 of the 8 prelude bytes
 *   3. headers: each name length (uint8), name (UTF-8), value type (uint8), value
 *   4. payload: the bytes of the message
 *   5. message CRC: CRC32 of everything before it (prelude and prelude CRC included)
 *
 * Only string header values (type 7: uint16 BE length, then UTF-8) are written: every header
 * Lambda's InvokeWithResponseStream sends is a string. Pure: no I/O.
 */
import { crc32 } from "node:zlib";

/** Header value type 7, "string". */
const STRING_TYPE = 7;
/** Prelude (8) + prelude CRC (4) + message CRC (4). */
const FRAMING_BYTES = 16;
/** The specification's bounds: 255-byte names, 32767-byte string values, 16 MiB messages. */
const MAX_NAME_BYTES = 255;
const MAX_VALUE_BYTES = 32_767;
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export type EventStreamHeaders = Readonly<Record<string, string>>;

function encodeHeaders(headers: EventStreamHeaders): Buffer {
	const parts: Buffer[] = [];
	for (const [name, value] of Object.entries(headers)) {
		const n = Buffer.from(name, "utf8");
		const v = Buffer.from(value, "utf8");
		if (n.length === 0 || n.length > MAX_NAME_BYTES)
			throw new RangeError(
				`event-stream header name must be 1–${MAX_NAME_BYTES} bytes, got ${n.length}`,
			);
		if (v.length > MAX_VALUE_BYTES)
			throw new RangeError(
				`event-stream header ${name} is ${v.length} bytes, over ${MAX_VALUE_BYTES}`,
			);
		const head = Buffer.allocUnsafe(1 + n.length + 3);
		head.writeUInt8(n.length, 0);
		n.copy(head, 1);
		head.writeUInt8(STRING_TYPE, 1 + n.length);
		head.writeUInt16BE(v.length, 2 + n.length);
		parts.push(head, v);
	}
	return Buffer.concat(parts);
}

/** One event-stream message with string `headers` and `payload`. */
export function encodeEventStreamMessage(
	headers: EventStreamHeaders,
	payload: Uint8Array,
): Buffer {
	const h = encodeHeaders(headers);
	const total = FRAMING_BYTES + h.length + payload.length;
	if (total > MAX_MESSAGE_BYTES)
		throw new RangeError(
			`event-stream message of ${total} bytes is over ${MAX_MESSAGE_BYTES}`,
		);
	const out = Buffer.allocUnsafe(total);
	// 1. prelude
	out.writeUInt32BE(total, 0);
	out.writeUInt32BE(h.length, 4);
	// 2. prelude CRC
	out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
	// 3. headers, 4. payload
	h.copy(out, 12);
	out.set(payload, 12 + h.length);
	// 5. message CRC, over everything before it
	out.writeUInt32BE(crc32(out.subarray(0, total - 4)), total - 4);
	return out;
}

/** An `event` message of `eventType` (the SDK picks the union member by `:event-type`). */
export function encodeEvent(
	eventType: string,
	contentType: string,
	payload: Uint8Array,
): Buffer {
	return encodeEventStreamMessage(
		{
			":event-type": eventType,
			":content-type": contentType,
			":message-type": "event",
		},
		payload,
	);
}

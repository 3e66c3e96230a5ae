/**
 * Length-prefixed frames on a byte stream: a 4-byte big-endian length, then that many bytes of
 * UTF-8 JSON (one batch of protocol messages). The pipe between the gateway and a function's
 * process carries these both ways. The other end is the function's process, so the reader
 * bounds what it accepts: a frame over `maxFrameBytes` is an error, never a buffer that grows
 * without end.
 */

import type { HostMessage, InvokeMessage } from "./worker-protocol.ts";

export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** One frame holding `value` as JSON. */
export function encodeFrame(value: unknown): Buffer {
	return frameOfJson(JSON.stringify(value));
}

/** One frame of JSON text already made. */
export function frameOfJson(json: string): Buffer {
	const length = Buffer.byteLength(json, "utf8");
	const frame = Buffer.allocUnsafe(4 + length);
	frame.writeUInt32BE(length, 0);
	frame.write(json, 4, "utf8");
	return frame;
}

/**
 * One frame of gateway → instance messages. An invocation whose event is the gateway's own JSON
 * ({@link InvokeMessage.eventIsJson}) carries it in place as `event`; any other message, and a
 * caller's payload (which may not even be JSON), is encoded as is.
 */
export function encodeHostBatch(batch: readonly HostMessage[]): Buffer {
	let json = "[";
	for (let i = 0; i < batch.length; i++) {
		const m = batch[i] as HostMessage;
		if (i > 0) json += ",";
		if (m.type === "invoke" && m.eventIsJson === true) {
			const { eventJson, eventIsJson: _, ...rest } = m;
			const head = JSON.stringify(rest); // an object: ends with "}"
			json += `${head.slice(0, -1)},"event":${eventJson}}`;
		} else json += JSON.stringify(m);
	}
	return frameOfJson(`${json}]`);
}

export class FrameError extends Error {
	override name = "FrameError";
}

/** Collects chunks and yields each complete frame's parsed JSON, in order. */
export class FrameReader {
	readonly #max: number;
	/**
	 * Chunks not yet consumed, joined only once a whole frame is there: a frame arriving in many
	 * socket reads is copied once, not once per read (a response stream's 1 MB batches would
	 * otherwise cost the gateway quadratic copying).
	 */
	#chunks: Buffer[] = [];
	#length = 0;

	constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
		this.#max = maxFrameBytes;
	}

	/** Adds `chunk`; returns the frames it completed. Throws {@link FrameError} on a bad frame. */
	push(chunk: Buffer): unknown[] {
		if (chunk.length > 0) {
			this.#chunks.push(chunk);
			this.#length += chunk.length;
		}
		const out: unknown[] = [];
		while (this.#length >= 4) {
			if ((this.#chunks[0] as Buffer).length < 4) this.#join();
			const len = (this.#chunks[0] as Buffer).readUInt32BE(0);
			if (len > this.#max)
				throw new FrameError(
					`frame of ${len} bytes is over the limit of ${this.#max}`,
				);
			if (this.#length < 4 + len) break;
			const buf = this.#join();
			const body = buf.subarray(4, 4 + len).toString("utf8");
			const rest = buf.subarray(4 + len);
			// Keep no reference to a large, fully consumed chunk.
			this.#chunks = rest.length > 0 ? [rest] : [];
			this.#length = rest.length;
			try {
				out.push(JSON.parse(body));
			} catch {
				throw new FrameError("frame is not JSON");
			}
		}
		return out;
	}

	#join(): Buffer {
		const buf =
			this.#chunks.length === 1
				? (this.#chunks[0] as Buffer)
				: Buffer.concat(this.#chunks, this.#length);
		this.#chunks = [buf];
		return buf;
	}
}

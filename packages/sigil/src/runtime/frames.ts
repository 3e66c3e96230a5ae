/**
 * Length-prefixed frames on a byte stream: a 4-byte big-endian length, then that many bytes of
 * UTF-8 JSON (one batch of protocol messages). The pipe between the gateway and a function's
 * process carries these both ways. The other end is the function's process, so the reader
 * bounds what it accepts: a frame over `maxFrameBytes` is an error, never a buffer that grows
 * without end.
 */

export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** One frame holding `value` as JSON. */
export function encodeFrame(value: unknown): Buffer {
	const body = Buffer.from(JSON.stringify(value), "utf8");
	const frame = Buffer.allocUnsafe(4 + body.length);
	frame.writeUInt32BE(body.length, 0);
	body.copy(frame, 4);
	return frame;
}

export class FrameError extends Error {
	override name = "FrameError";
}

/** Collects chunks and yields each complete frame's parsed JSON, in order. */
export class FrameReader {
	readonly #max: number;
	#buf: Buffer = Buffer.alloc(0);

	constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
		this.#max = maxFrameBytes;
	}

	/** Adds `chunk`; returns the frames it completed. Throws {@link FrameError} on a bad frame. */
	push(chunk: Buffer): unknown[] {
		this.#buf =
			this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
		const out: unknown[] = [];
		while (this.#buf.length >= 4) {
			const len = this.#buf.readUInt32BE(0);
			if (len > this.#max)
				throw new FrameError(
					`frame of ${len} bytes is over the limit of ${this.#max}`,
				);
			if (this.#buf.length < 4 + len) break;
			const body = this.#buf.subarray(4, 4 + len).toString("utf8");
			this.#buf = this.#buf.subarray(4 + len);
			try {
				out.push(JSON.parse(body));
			} catch {
				throw new FrameError("frame is not JSON");
			}
		}
		// Keep no reference to a large, fully consumed chunk.
		if (this.#buf.length === 0) this.#buf = Buffer.alloc(0);
		return out;
	}
}

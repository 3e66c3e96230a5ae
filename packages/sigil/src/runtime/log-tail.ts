/** Bounded capture of a function's log output. Pure. */

/** Lambda's `X-Amz-Log-Result` carries the last 4 KB of the invocation's log. */
export const LOG_TAIL_BYTES = 4096;

/**
 * The last `maxBytes` bytes of `text` in UTF-8, cut on a character boundary (so the tail may be a
 * few bytes shorter, never longer, and never starts with half a character).
 */
export function utf8Tail(
	text: string,
	maxBytes: number = LOG_TAIL_BYTES,
): string {
	const bytes = Buffer.from(text, "utf8");
	if (bytes.length <= maxBytes) return text;
	let start = bytes.length - maxBytes;
	// Skip UTF-8 continuation bytes (10xxxxxx) so the slice starts on a character.
	while (start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80)
		start++;
	return bytes.subarray(start).toString("utf8");
}

/**
 * Keeps the most recent output of one invocation, up to `maxChars` characters: a function that
 * logs without end costs bounded memory, and the tail — where the error usually is — survives.
 */
export class LogBuffer {
	readonly #maxChars: number;
	#chunks: string[] = [];
	#length = 0;
	#dropped = 0;

	constructor(maxChars = 64 * 1024) {
		this.#maxChars = maxChars;
	}

	append(text: string): void {
		this.#chunks.push(text);
		this.#length += text.length;
		while (this.#length > this.#maxChars && this.#chunks.length > 1) {
			const first = this.#chunks.shift() as string;
			this.#length -= first.length;
			this.#dropped += first.length;
		}
		if (this.#length > this.#maxChars) {
			const only = this.#chunks[0] as string;
			const cut = only.length - this.#maxChars;
			this.#chunks[0] = only.slice(cut);
			this.#length -= cut;
			this.#dropped += cut;
		}
	}

	/** Everything kept, prefixed with a marker when older output was dropped. */
	text(): string {
		const body = this.#chunks.join("");
		return this.#dropped > 0
			? `[… ${this.#dropped} earlier characters dropped]\n${body}`
			: body;
	}
}

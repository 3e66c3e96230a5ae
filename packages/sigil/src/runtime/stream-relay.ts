/**
 * The gateway's end of one invocation's response stream: the pieces an instance sends become a
 * `Readable` (`body`), acknowledged to the instance only as that body's reader takes them. So
 * what the gateway holds per stream is bounded by the body's high-water mark plus the instance's
 * window, however slow the client. The instance is the function's process: every message is
 * checked (order, piece size, the window) and a breach is reported to the pool, which ends it.
 */
import { Readable } from "node:stream";
import { RuntimeError } from "./types.ts";
import type { StreamControl, StreamSink } from "./worker-pool.ts";
import { STREAM_PIECE_BYTES, STREAM_WINDOW_BYTES } from "./worker-protocol.ts";

/** What the body buffers before it stops acknowledging (the reader is slower than the function). */
const BODY_HIGH_WATER_MARK = 256 * 1024;

export class StreamRelay implements StreamSink {
	#body: Readable | undefined;
	/** Resolves with the stream's content type when the handler starts its stream. */
	readonly started: Promise<string>;
	readonly #maxBytes: number;
	readonly #functionName: string;
	#onStart: (contentType: string) => void = () => {};
	#control: StreamControl | undefined;
	#isStarted = false;
	#received = 0;
	/** Bytes received and not yet acknowledged to the instance. */
	#unacked = 0;
	/** Bytes the body has buffered past its high-water mark: acknowledged when it is read. */
	#held = 0;
	#stopped = false;

	constructor(functionName: string, maxBytes: number) {
		this.#functionName = functionName;
		this.#maxBytes = maxBytes;
		this.started = new Promise((resolve) => {
			this.#onStart = resolve;
		});
	}

	/** The stream's bytes as they arrive (made on first use: most invocations never stream). */
	get body(): Readable {
		if (this.#body !== undefined) return this.#body;
		const body = new Readable({
			highWaterMark: BODY_HIGH_WATER_MARK,
			read: () => {
				if (this.#held === 0) return;
				const n = this.#held;
				this.#held = 0;
				this.#ack(n);
			},
		});
		// Its reader learns of a failure through its pipe or iterator; with none attached (it let
		// go), an error event must not become the gateway's uncaught exception.
		body.on("error", () => {});
		// The reader gave up (the client went away): the handler's stream is cancelled.
		body.once("close", () => {
			if (this.#stopped) return;
			this.#stopped = true;
			this.#control?.cancel("the client went away");
		});
		this.#body = body;
		return body;
	}

	/** Bytes of the stream received so far. */
	get receivedBytes(): number {
		return this.#received;
	}

	get isStarted(): boolean {
		return this.#isStarted;
	}

	bind(control: StreamControl): void {
		this.#control = control;
	}

	start(contentType: string): string | undefined {
		if (this.#isStarted) return "a response stream started twice";
		this.#isStarted = true;
		void this.body;
		this.#onStart(contentType);
		return undefined;
	}

	chunk(data: Buffer): string | undefined {
		if (!this.#isStarted) return "a stream chunk before the stream started";
		if (data.length === 0 || data.length > STREAM_PIECE_BYTES)
			return `a stream chunk of ${data.length} bytes (1–${STREAM_PIECE_BYTES})`;
		this.#unacked += data.length;
		if (this.#unacked > STREAM_WINDOW_BYTES + STREAM_PIECE_BYTES)
			return "a response stream sent past its flow-control window";
		if (this.#stopped) return undefined;
		this.#received += data.length;
		if (this.#received > this.#maxBytes) {
			this.fail(
				new RuntimeError(
					"FUNCTION_RESPONSE_TOO_LARGE",
					`function ${this.#functionName} streamed more than the ${this.#maxBytes} bytes a response may have`,
				),
			);
			return undefined;
		}
		if (this.body.push(data)) this.#ack(data.length);
		else this.#held += data.length;
		return undefined;
	}

	/** The handler ended its stream: the body ends once read. */
	end(): void {
		if (this.#stopped) return;
		this.#stopped = true;
		this.#body?.push(null);
	}

	/** The stream cannot complete: the instance stops sending, the body errors with `err`. */
	fail(err: Error): void {
		if (this.#stopped) return;
		this.#stopped = true;
		this.#control?.cancel(err.message);
		this.#body?.destroy(err);
	}

	#ack(bytes: number): void {
		this.#unacked -= bytes;
		this.#control?.ack(bytes);
	}
}

/**
 * Lambda response streaming inside an instance: the `awslambda` global a Node handler uses
 * (`awslambda.streamifyResponse(async (event, responseStream, context) => …)` and
 * `awslambda.HttpResponseStream.from(stream, { statusCode, headers, cookies })`), and the
 * writable `responseStream` it writes to. Pieces leave through a {@link StreamTransport} as they
 * are written, never faster than the gateway acknowledges them (worker-protocol.ts's window), so
 * `write()` returning false and `pipeline()` waiting are the gateway's backpressure reaching
 * the function.
 *
 * The metadata contract is Lambda's (its Node runtime's HttpResponseStream): the stream's content
 * type becomes `application/vnd.awslambda.http-integration-response`, and before the first byte
 * of the body go the prelude's JSON and 8 null bytes; the function URL reads them back as status,
 * headers and cookies (function-url-stream.ts).
 *
 * Runs inside the sandbox: imports only Node's builtins and runtime/ files.
 */
import { Writable } from "node:stream";
import { STREAM_PIECE_BYTES, STREAM_WINDOW_BYTES } from "./worker-protocol.ts";

/** The marks Lambda's Node runtime puts on a streaming handler (so code that checks them works). */
export const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
const HIGH_WATER_MARK = Symbol.for(
	"aws.lambda.runtime.handler.streaming.highWaterMark",
);
export const HTTP_INTEGRATION_CONTENT_TYPE =
	"application/vnd.awslambda.http-integration-response";
/** The delimiter between the prelude's JSON and the body. */
export const PRELUDE_DELIMITER_BYTES = 8;
const DEFAULT_CONTENT_TYPE = "application/octet-stream";
/** What may become a Content-Type header (no control characters, bounded). */
export const CONTENT_TYPE = /^[\x20-\x7e]{1,256}$/;

/** Where a response stream's bytes go (function-host.ts posts them as protocol messages). */
export interface StreamTransport {
	/** Once, before the first piece. */
	start(contentType: string): void;
	/** One piece of at most STREAM_PIECE_BYTES. */
	piece(data: Buffer): void;
}

/** True for a handler wrapped by `awslambda.streamifyResponse`. */
export function isStreamingHandler(fn: unknown): boolean {
	return (
		typeof fn === "function" &&
		(fn as unknown as Record<symbol, unknown>)[STREAMING] === "response"
	);
}

/** The `responseStream` a streaming handler gets. */
export class ResponseStream extends Writable {
	readonly #transport: StreamTransport;
	#contentType = DEFAULT_CONTENT_TYPE;
	#started = false;
	/** Set by HttpResponseStream.from: the JSON prelude written before the first byte. */
	#prelude: string | undefined;
	#queue: Buffer[] = [];
	#unacked = 0;
	/** The callback of the write (or final) whose pieces are still queued. */
	#drained: ((error?: Error | null) => void) | undefined;

	constructor(transport: StreamTransport, highWaterMark?: number) {
		super(
			highWaterMark !== undefined && highWaterMark > 0
				? { highWaterMark: Math.min(highWaterMark, STREAM_WINDOW_BYTES) }
				: {},
		);
		this.#transport = transport;
	}

	setContentType(contentType: string): void {
		if (this.#started)
			throw new Error(
				"setContentType: the response stream has already started",
			);
		const type = String(contentType);
		if (!CONTENT_TYPE.test(type))
			throw new TypeError(
				"setContentType: a content type is 1–256 visible ASCII characters",
			);
		this.#contentType = type;
	}

	getContentType(): string {
		return this.#contentType;
	}

	/** HttpResponseStream.from: the prelude goes out before the first byte. */
	setPrelude(json: string): void {
		if (this.#started)
			throw new Error(
				"HttpResponseStream.from: the response stream has already started",
			);
		this.#contentType = HTTP_INTEGRATION_CONTENT_TYPE;
		this.#prelude = json;
	}

	/**
	 * A write to a stream the gateway cancelled (client gone, size limit) throws its reason: Node
	 * would return false and never emit 'drain', and a handler looping on write/drain would then
	 * hang until its timeout instead of ending with the request.
	 */
	override write(
		chunk: unknown,
		encoding?: BufferEncoding | ((error: Error | null | undefined) => void),
		callback?: (error: Error | null | undefined) => void,
	): boolean {
		if (this.destroyed && this.errored !== null) throw this.errored;
		return super.write(
			chunk,
			encoding as BufferEncoding,
			callback as (error: Error | null | undefined) => void,
		);
	}

	/** The gateway took `bytes`: send what waited for room. */
	ack(bytes: number): void {
		this.#unacked = Math.max(0, this.#unacked - bytes);
		this.#pump();
	}

	override _write(
		chunk: Buffer,
		_encoding: BufferEncoding,
		callback: (error?: Error | null) => void,
	): void {
		this.#begin();
		this.#enqueue(chunk);
		this.#drained = callback;
		this.#pump();
	}

	override _final(callback: (error?: Error | null) => void): void {
		this.#begin();
		this.#drained = callback;
		this.#pump();
	}

	override _destroy(
		error: Error | null,
		callback: (error?: Error | null) => void,
	): void {
		this.#queue = [];
		// The write waiting for room will not get it: its callback learns why.
		const waiting = this.#drained;
		this.#drained = undefined;
		waiting?.(error ?? new Error("response stream destroyed"));
		callback(error);
	}

	#begin(): void {
		if (this.#started) return;
		this.#started = true;
		this.#transport.start(this.#contentType);
		if (this.#prelude !== undefined) {
			this.#enqueue(Buffer.from(this.#prelude, "utf8"));
			this.#enqueue(Buffer.alloc(PRELUDE_DELIMITER_BYTES));
		}
	}

	#enqueue(chunk: Buffer): void {
		for (let i = 0; i < chunk.length; i += STREAM_PIECE_BYTES)
			this.#queue.push(chunk.subarray(i, i + STREAM_PIECE_BYTES));
	}

	#pump(): void {
		while (this.#queue.length > 0 && this.#unacked < STREAM_WINDOW_BYTES) {
			const piece = this.#queue.shift() as Buffer;
			this.#unacked += piece.length;
			this.#transport.piece(piece);
		}
		if (this.#queue.length === 0 && this.#drained !== undefined) {
			const done = this.#drained;
			this.#drained = undefined;
			done();
		}
	}
}

/** Lambda's `awslambda.HttpResponseStream` (only `from`, as Lambda's has). */
const HttpResponseStream = Object.freeze({
	from(stream: ResponseStream, prelude: unknown): ResponseStream {
		if (!(stream instanceof ResponseStream))
			throw new TypeError(
				"HttpResponseStream.from expects the responseStream the handler was given",
			);
		// Lambda's runtime: JSON.stringify, so the prelude can hold no null byte.
		stream.setPrelude(JSON.stringify(prelude ?? {}));
		return stream;
	},
});

/** Defines the global `awslambda` before the function's code loads, as Lambda's Node runtime does. */
export function installAwsLambdaGlobal(): void {
	const awslambda = {
		streamifyResponse<F extends (...args: never[]) => unknown>(
			handler: F,
			options?: { highWaterMark?: number },
		): F {
			if (typeof handler !== "function")
				throw new TypeError("awslambda.streamifyResponse expects a function");
			const marked = handler as unknown as Record<symbol, unknown>;
			marked[STREAMING] = "response";
			if (typeof options?.highWaterMark === "number")
				marked[HIGH_WATER_MARK] = options.highWaterMark;
			return handler;
		},
		HttpResponseStream,
	};
	Object.defineProperty(globalThis, "awslambda", {
		value: Object.freeze(awslambda),
		writable: false,
		configurable: false,
		enumerable: false,
	});
}

/** The highWaterMark a handler asked for with streamifyResponse's options. */
export function highWaterMarkOf(fn: unknown): number | undefined {
	const v = (fn as Record<symbol, unknown>)[HIGH_WATER_MARK];
	return typeof v === "number" ? v : undefined;
}

/** Messages between a {@link WorkerPool} and its worker threads (`worker-entry.ts`). */

/** `workerData` of each worker: what to load and how to describe the function to it. */
export interface WorkerBoot {
	readonly codeDir: string;
	readonly handler: string;
	readonly functionName: string;
	readonly memoryMb: number;
	readonly invokedFunctionArn?: string;
	/** `context.functionVersion`: a published version's number, else `$LATEST`. */
	readonly functionVersion?: string;
}

/** One invocation sent to a worker. The event travels as JSON text, as it would over the wire. */
export interface InvokeMessage {
	readonly type: "invoke";
	readonly id: number;
	readonly requestId: string;
	readonly eventJson: string;
	/**
	 * `eventJson` is the gateway's own `JSON.stringify` output (a function-URL event), not a
	 * caller's payload: a process instance's frame then carries it as JSON in place (`event`),
	 * not as a string holding JSON — one encoding and one parse instead of two each.
	 */
	readonly eventIsJson?: true;
	/** Epoch ms when the pool will kill the invocation (for `getRemainingTimeInMillis`). */
	readonly deadline: number;
	readonly clientContext?: string;
}

/**
 * Response streaming flow control (`awslambda.streamifyResponse` handlers): an instance sends a
 * stream in pieces of at most {@link STREAM_PIECE_BYTES} and stops while {@link
 * STREAM_WINDOW_BYTES} of them are unacknowledged; the gateway acknowledges what its reader has
 * taken. So a slow client holds the function back instead of growing the gateway's buffers, and
 * an instance that sends past its window has broken the protocol (its instance is ended).
 */
export const STREAM_PIECE_BYTES = 64 * 1024;
export const STREAM_WINDOW_BYTES = 1024 * 1024;

/** Gateway → instance: `bytes` more of invocation `id`'s response stream were taken. */
export interface AckMessage {
	readonly type: "ack";
	readonly id: number;
	readonly bytes: number;
}

/** Gateway → instance: nobody reads invocation `id`'s answer any more (client gone, size limit). */
export interface CancelMessage {
	readonly type: "cancel";
	readonly id: number;
	readonly reason: string;
}

/** Everything the gateway sends an instance after its boot description. */
export type HostMessage = InvokeMessage | AckMessage | CancelMessage;

/**
 * An invocation as an instance receives it: the event as text, or already parsed where the
 * frame carried it in place ({@link InvokeMessage.eventIsJson}).
 */
export type ReceivedInvoke = Omit<InvokeMessage, "eventJson" | "eventIsJson"> &
	(
		| { readonly eventJson: string; readonly event?: undefined }
		| { readonly event: unknown; readonly eventJson?: undefined }
	);

/** What an instance receives: {@link HostMessage}s, invocations as {@link ReceivedInvoke}. */
export type ReceivedMessage = ReceivedInvoke | AckMessage | CancelMessage;

/** The event of a received invocation. */
export function eventOf(msg: ReceivedInvoke): unknown {
	return msg.eventJson === undefined
		? msg.event
		: (JSON.parse(msg.eventJson) as unknown);
}

/** Instance → gateway: invocation `id` began its response stream, of this content type. */
export interface StreamStartMessage {
	readonly type: "streamStart";
	readonly id: number;
	readonly contentType: string;
}

/** Instance → gateway: the next piece of invocation `id`'s response stream (base64). */
export interface StreamChunkMessage {
	readonly type: "chunk";
	readonly id: number;
	readonly data: string;
}

/** The error shape Lambda reports for an unhandled exception. */
export interface HandlerErrorInfo {
	readonly errorType: string;
	readonly errorMessage: string;
	readonly trace: readonly string[];
}

export type DoneMessage =
	| {
			readonly type: "done";
			readonly id: number;
			readonly ok: true;
			/** The handler's result serialized as JSON (`undefined` → `null`). */
			readonly resultJson: string;
			/** The answer went out as a response stream (`chunk` messages); `resultJson` is `null`. */
			readonly streamed?: true;
			readonly logs: string;
			/** Lambda's `Max Memory Used` as the instance measured it. */
			readonly memoryUsedMb?: number;
	  }
	| {
			readonly type: "done";
			readonly id: number;
			readonly ok: false;
			readonly error: HandlerErrorInfo;
			/** The handler failed after its response stream had started. */
			readonly streamed?: true;
			readonly logs: string;
			/** Lambda's `Max Memory Used` as the instance measured it. */
			readonly memoryUsedMb?: number;
	  };

export type WorkerMessage =
	| { readonly type: "ready" }
	| { readonly type: "startFailed"; readonly detail: string }
	| DoneMessage
	| StreamStartMessage
	| StreamChunkMessage
	/** Output written outside any invocation (module init, timers, unhandled rejections). */
	| { readonly type: "log"; readonly text: string };

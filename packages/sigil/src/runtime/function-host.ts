/**
 * What runs around a function's code in its instance, whatever carries the messages (a worker
 * thread's port, or the framed pipe of a function's own process): loads the function's module
 * once (a warm instance keeps it), then runs invocations as they arrive, each with its own log
 * capture. Call {@link startFunctionHost} once per instance, before anything else of the
 * function runs.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { format, inspect } from "node:util";
import { isMainThread } from "node:worker_threads";
import { parseHandlerRef } from "./handler-ref.ts";
import { LogBuffer } from "./log-tail.ts";
import {
	codeRoots,
	installOwnStackTraces,
	ownTrace,
	trimStackText,
} from "./own-frames.ts";
import {
	highWaterMarkOf,
	installAwsLambdaGlobal,
	isStreamingHandler,
	ResponseStream,
} from "./stream-response.ts";
import {
	type AckMessage,
	type CancelMessage,
	eventOf,
	type HandlerErrorInfo,
	type ReceivedInvoke,
	type ReceivedMessage,
	type WorkerBoot,
	type WorkerMessage,
} from "./worker-protocol.ts";

type Handler = (event: unknown, context: object, callback?: unknown) => unknown;

/** Sends one batch of messages to the pool. */
export type SendBatch = (batch: WorkerMessage[]) => void;
/** Registers the receiver of invocation batches (called once the handler has loaded). */
export type ListenBatches = (
	onBatch: (batch: ReceivedMessage[]) => void,
) => void;

export function startFunctionHost(
	boot: WorkerBoot,
	send: SendBatch,
	listen: ListenBatches,
): void {
	// Before the function's code loads: every stack captured in this worker keeps only the function's
	// frames, relative to its code folder. The rest (this file, the pool, Node's internals) is Sigil's
	// and must not reach the caller's `trace` or the function's logs.
	const roots = codeRoots(boot.codeDir);
	installOwnStackTraces(roots);
	installAwsLambdaGlobal();
	// Messages leave in batches, one postMessage per event-loop turn (the pool reads arrays): a busy
	// worker finishes many invocations per turn, and each message costs the gateway's main thread
	// far more than the bytes it carries.
	let outbox: WorkerMessage[] = [];
	const post = (msg: WorkerMessage) => {
		if (outbox.push(msg) === 1)
			setImmediate(() => {
				const batch = outbox;
				outbox = [];
				send(batch);
			});
	};

	// Console capture: output is attributed to the invocation whose async context wrote it, so
	// concurrent invocations on one worker keep their logs apart. Lines follow Lambda's Node.js
	// runtime layout: timestamp, request id, level, message.
	interface Capture {
		readonly requestId: string;
		readonly logs: LogBuffer;
		/** Set once the result is posted: later output (timers, rejections) goes out as background. */
		finished: boolean;
	}
	const capture = new AsyncLocalStorage<Capture>();

	function write(level: string, message: string): void {
		const store = capture.getStore();
		const line = `${new Date().toISOString()}\t${store?.requestId ?? "undefined"}\t${level}\t${message}\n`;
		if (store !== undefined && !store.finished) store.logs.append(line);
		else post({ type: "log", text: line });
	}

	const levels = {
		log: "INFO",
		info: "INFO",
		warn: "WARN",
		error: "ERROR",
		debug: "DEBUG",
		trace: "TRACE",
	};
	for (const [method, level] of Object.entries(levels)) {
		(console as unknown as Record<string, unknown>)[method] = (
			...args: unknown[]
		) => write(level, format(...args));
	}
	console.dir = (obj: unknown) => write("INFO", inspect(obj));

	// A promise rejected in the background (after the invocation answered, or never awaited) is
	// logged instead of ending the worker: Node's default would crash every invocation on it.
	process.on("unhandledRejection", (reason) => {
		write(
			"ERROR",
			`Unhandled Promise Rejection\t${reason instanceof Error ? stackOf(reason) : format(reason)}`,
		);
	});

	/** An error's stack as text with only the function's frames (a stack getter may throw or lie). */
	function stackOf(err: Error): string {
		let stack: unknown;
		try {
			stack = err.stack;
		} catch {
			stack = undefined;
		}
		return typeof stack === "string"
			? trimStackText(stack, roots)
			: trimStackText(err.message, roots);
	}

	function errorInfo(err: unknown): HandlerErrorInfo {
		if (err instanceof Error) {
			return {
				errorType: err.name || err.constructor.name,
				errorMessage: err.message,
				trace: ownTrace(stackOf(err), roots),
			};
		}
		return {
			errorType: typeof err === "string" ? "string" : "Error",
			errorMessage: format(err),
			trace: [],
		};
	}

	async function loadHandler(): Promise<Handler> {
		const ref = parseHandlerRef(boot.handler);
		if (!ref.ok) throw new Error(ref.detail);
		const root = resolve(boot.codeDir);
		const file = ref.candidates
			.map((c) => resolve(root, c))
			.find((f) => f.startsWith(root + sep) && existsSync(f));
		if (file === undefined) {
			throw new Error(
				`handler ${boot.handler}: none of ${ref.candidates.join(", ")} exists in the function's code`,
			);
		}
		const mod = (await import(pathToFileURL(file).href)) as Record<
			string,
			unknown
		>;
		const fn = mod[ref.exportName];
		if (typeof fn !== "function") {
			const names = Object.keys(mod).join(", ") || "none";
			throw new Error(
				`${relative(root, file)} does not export a function named "${ref.exportName}" (exports: ${names})`,
			);
		}
		return fn as Handler;
	}

	function parseClientContext(encoded: string | undefined): unknown {
		if (encoded === undefined) return undefined;
		try {
			return JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
		} catch {
			return undefined;
		}
	}

	function makeContext(msg: ReceivedInvoke): object {
		return {
			awsRequestId: msg.requestId,
			functionName: boot.functionName,
			functionVersion: boot.functionVersion ?? "$LATEST",
			memoryLimitInMB: String(boot.memoryMb),
			invokedFunctionArn: boot.invokedFunctionArn,
			logGroupName: `/aws/lambda/${boot.functionName}`,
			clientContext: parseClientContext(msg.clientContext),
			callbackWaitsForEmptyEventLoop: true,
			getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
		};
	}

	/** Calls the handler: async, sync return, or (three parameters) the old callback style. */
	function callHandler(
		fn: Handler,
		event: unknown,
		context: object,
	): Promise<unknown> {
		if (fn.length < 3) return Promise.resolve().then(() => fn(event, context));
		return new Promise((ok, fail) => {
			const returned = fn(event, context, (err: unknown, value: unknown) =>
				err ? fail(err) : ok(value),
			);
			if (returned instanceof Promise) returned.then(ok, fail);
		});
	}

	/** Lambda's `Max Memory Used`: the process's peak RSS (its own process), or the heap in use (a worker thread). */
	function memoryUsedMb(): number {
		const bytes = isMainThread
			? process.resourceUsage().maxRSS * 1024
			: process.memoryUsage().heapUsed;
		return Math.ceil(bytes / (1024 * 1024));
	}

	/** Response streams of the streaming invocations running here, by invocation id. */
	const streams = new Map<number, ResponseStream>();

	function newResponseStream(fn: Handler, msg: ReceivedInvoke): ResponseStream {
		const stream = new ResponseStream(
			{
				start: (contentType) =>
					post({ type: "streamStart", id: msg.id, contentType }),
				piece: (data) =>
					post({ type: "chunk", id: msg.id, data: data.toString("base64") }),
			},
			highWaterMarkOf(fn),
		);
		// A write after end, or one after the gateway cancelled, is the function's mistake: it is
		// logged with its invocation, it does not end the instance (an unhandled 'error' would).
		stream.on(
			"error",
			AsyncLocalStorage.bind((err: Error) =>
				write("ERROR", `responseStream: ${err.message}`),
			),
		);
		streams.set(msg.id, stream);
		return stream;
	}

	/**
	 * A streaming handler's invocation: the answer is the stream. It is over when the handler
	 * has settled and the stream has finished sending (a handler that returns without ending
	 * its stream ends it, as the return says the answer is complete).
	 */
	async function callStreaming(
		fn: Handler,
		msg: ReceivedInvoke,
	): Promise<void> {
		const stream = newResponseStream(fn, msg);
		try {
			await (fn as unknown as (e: unknown, s: unknown, c: object) => unknown)(
				eventOf(msg),
				stream,
				makeContext(msg),
			);
			if (!stream.writableEnded && !stream.destroyed) stream.end();
			await new Promise<void>((ok, fail) => {
				if (stream.writableFinished || cancelled.has(stream)) return ok();
				if (stream.destroyed)
					return fail(stream.errored ?? new Error("response stream destroyed"));
				stream.once("finish", () => ok());
				stream.once("close", () =>
					stream.writableFinished
						? ok()
						: fail(stream.errored ?? new Error("response stream destroyed")),
				);
			});
		} catch (err) {
			stream.destroy();
			throw err;
		} finally {
			streams.delete(msg.id);
		}
	}

	/** Streams the gateway stopped reading: a handler that then returns has not failed. */
	const cancelled = new WeakSet<ResponseStream>();

	function control(msg: AckMessage | CancelMessage): void {
		if (msg.type === "ack") {
			streams.get(msg.id)?.ack(msg.bytes);
			return;
		}
		const stream = streams.get(msg.id);
		if (stream === undefined) return;
		cancelled.add(stream);
		stream.destroy(new Error(msg.reason));
	}

	async function run(fn: Handler, msg: ReceivedInvoke): Promise<void> {
		// Twice what the gateway keeps (64 KB, cut at the end and marked): the gateway cuts, this
		// only bounds the instance's memory for a function that logs without end.
		const logs = new LogBuffer(128 * 1024);
		const store: Capture = { requestId: msg.requestId, logs, finished: false };
		const streaming = isStreamingHandler(fn);
		await capture.run(store, async () => {
			try {
				if (streaming) {
					await callStreaming(fn, msg);
					store.finished = true;
					post({
						type: "done",
						id: msg.id,
						ok: true,
						resultJson: "null",
						streamed: true,
						logs: logs.text(),
						memoryUsedMb: memoryUsedMb(),
					});
					return;
				}
				const result = await callHandler(fn, eventOf(msg), makeContext(msg));
				// Lambda serializes the result as JSON; undefined (and functions) become null.
				const resultJson = JSON.stringify(result) ?? "null";
				store.finished = true;
				post({
					type: "done",
					id: msg.id,
					ok: true,
					resultJson,
					logs: logs.text(),
					memoryUsedMb: memoryUsedMb(),
				});
			} catch (err) {
				const error = errorInfo(err);
				logs.append(
					`${new Date().toISOString()}\t${msg.requestId}\tERROR\tInvoke Error\t${JSON.stringify(error)}\n`,
				);
				post({
					type: "done",
					id: msg.id,
					ok: false,
					error,
					...(streaming && { streamed: true as const }),
					logs: logs.text(),
					memoryUsedMb: memoryUsedMb(),
				});
			}
		});
	}

	loadHandler().then(
		(fn) => {
			listen((batch) => {
				for (const msg of batch)
					if (msg.type === "invoke") void run(fn, msg);
					else control(msg);
			});
			post({ type: "ready" });
		},
		(err: unknown) => {
			post({
				type: "startFailed",
				detail: err instanceof Error ? stackOf(err) : format(err),
			});
		},
	);
}

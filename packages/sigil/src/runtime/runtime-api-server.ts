/**
 * The Lambda Runtime API (version 2018-06-01) for ONE instance of a `provided` function: the
 * HTTP endpoint its `bootstrap` polls for work and answers to. Each instance has its own server
 * on its own socket, so a bootstrap can only ever see the invocations of its own instance.
 *
 * The shapes and status codes are AWS's (runtime-api.zip, the OpenAPI document of the API):
 * - `GET /2018-06-01/runtime/invocation/next` blocks until an invocation is there; 200 with the
 *   event as body and the `Lambda-Runtime-Aws-Request-Id`, `-Deadline-Ms`,
 *   `-Invoked-Function-Arn`, `-Trace-Id` (and `-Client-Context`) headers.
 * - `POST …/invocation/{id}/response`: 202 `{"status":"OK"}`; 400 for an id that is not the
 *   current invocation's; 413 for a body over the bound (the invocation then fails).
 * - `POST …/invocation/{id}/error`: 202; Lambda's error document (`errorMessage`, `errorType`,
 *   `stackTrace`), or `Lambda-Runtime-Function-Error-Type` when the body is not one.
 * - `POST /2018-06-01/runtime/init/error`: 202 before the first `next` (the instance then fails
 *   to start); 403 afterwards.
 * Errors are `{"errorMessage": …, "errorType": …}` as AWS's.
 *
 * One invocation at a time (as Lambda): the first `next` says the bootstrap has initialised;
 * each later one says it is ready for more.
 */
import { randomBytes } from "node:crypto";
import {
	createServer,
	type IncomingMessage,
	type Server,
	type ServerResponse,
} from "node:http";
import type { HandlerErrorInfo, InvokeMessage } from "./worker-protocol.ts";

const PREFIX = "/2018-06-01/runtime/";
/** Bound of an error document or init error (AWS does not say; errors are small). */
const MAX_ERROR_BYTES = 1024 * 1024;
/** Connections one instance may hold open to its Runtime API at once. */
export const MAX_CONNECTIONS = 16;

/** What the server tells its instance. */
export interface RuntimeApiEvents {
	/** The first `next`: the bootstrap has initialised. */
	ready(): void;
	/** `init/error` before the first `next`. */
	initError(error: HandlerErrorInfo): void;
	/** The current invocation ended: its answer (JSON text as sent) or its error. */
	done(
		id: number,
		outcome:
			| { readonly ok: true; readonly body: Buffer }
			| { readonly ok: false; readonly error: HandlerErrorInfo },
	): void;
	/** An invocation was handed to the bootstrap (its output from now on is this invocation's). */
	started(id: number): void;
}

export interface RuntimeApiOptions {
	readonly invokedFunctionArn: string;
	/** A response body over this is refused with 413 and fails the invocation. */
	readonly maxResponseBytes: number;
	readonly events: RuntimeApiEvents;
}

/** AWS's error answer of the Runtime API. */
function refuse(
	res: ServerResponse,
	status: number,
	errorType: string,
	errorMessage: string,
): void {
	const body = JSON.stringify({ errorMessage, errorType });
	res.writeHead(status, {
		"content-type": "application/json",
		"content-length": Buffer.byteLength(body),
	});
	res.end(body);
}

function accepted(res: ServerResponse): void {
	const body = '{"status":"OK"}';
	res.writeHead(202, {
		"content-type": "application/json",
		"content-length": body.length,
	});
	res.end(body);
}

/** An X-Ray trace header of the shape Lambda passes (Root=1-time-random;Parent=…;Sampled=0). */
function traceId(): string {
	const time = Math.floor(Date.now() / 1000).toString(16);
	return `Root=1-${time}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
}

/**
 * Reads a request body up to `max` bytes; resolves undefined when it is longer (the rest is not
 * buffered: the connection is closed after the answer).
 */
function readBody(
	req: IncomingMessage,
	max: number,
): Promise<Buffer | undefined> {
	return new Promise((resolve) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let over = false;
		req.on("data", (c: Buffer) => {
			if (over) return;
			size += c.length;
			if (size > max) {
				over = true;
				chunks.length = 0;
				resolve(undefined);
				return;
			}
			chunks.push(c);
		});
		req.on("end", () => {
			if (!over) resolve(Buffer.concat(chunks));
		});
		req.on("error", () => resolve(undefined));
	});
}

/** Lambda's error document from an `…/error` body, or the error-type header when it is not one. */
export function parseErrorDocument(
	body: Buffer,
	headerType: string | undefined,
): HandlerErrorInfo {
	let doc: unknown;
	try {
		doc = JSON.parse(body.toString("utf8"));
	} catch {
		doc = undefined;
	}
	const o = (typeof doc === "object" && doc !== null ? doc : {}) as Record<
		string,
		unknown
	>;
	const text = (v: unknown) => (typeof v === "string" ? v : undefined);
	const trace = Array.isArray(o.stackTrace)
		? o.stackTrace.filter((l): l is string => typeof l === "string")
		: [];
	return {
		errorType:
			text(o.errorType) ?? headerType?.slice(0, 256) ?? "Runtime.Unknown",
		errorMessage:
			text(o.errorMessage) ??
			(doc === undefined ? body.toString("utf8").slice(0, 4096) : ""),
		trace,
	};
}

export class RuntimeApiServer {
	readonly #o: RuntimeApiOptions;
	readonly #server: Server;
	/** Invocations handed to this instance, not yet given to the bootstrap. */
	readonly #waiting: InvokeMessage[] = [];
	/** The bootstrap's pending `next`, when it waits for work. */
	#poll: ServerResponse | undefined;
	/** The invocation the bootstrap is running. */
	#current: InvokeMessage | undefined;
	#initialised = false;
	#closed = false;

	constructor(options: RuntimeApiOptions) {
		this.#o = options;
		this.#server = createServer(
			{ requestTimeout: 0, headersTimeout: 10_000, maxHeaderSize: 16 * 1024 },
			(req, res) => this.#route(req, res),
		);
		// A long-polling `next` may wait for minutes: no idle timeout on it.
		this.#server.keepAliveTimeout = 0;
		this.#server.timeout = 0;
		// Each connection is a socket of the gateway's: a bootstrap opening them without end would
		// spend the gateway's descriptors. A Runtime API client needs one or two.
		this.#server.maxConnections = MAX_CONNECTIONS;
	}

	/** Listens on a Unix socket path, or on 127.0.0.1 at a free port; resolves the port (0 for a path). */
	listen(path?: string): Promise<number> {
		return new Promise((resolve, reject) => {
			this.#server.once("error", reject);
			const done = () => {
				const a = this.#server.address();
				resolve(typeof a === "object" && a !== null ? a.port : 0);
			};
			if (path !== undefined) this.#server.listen(path, done);
			else this.#server.listen(0, "127.0.0.1", done);
		});
	}

	/** An invocation for this instance (the pool sends one at a time). */
	enqueue(msg: InvokeMessage): void {
		this.#waiting.push(msg);
		this.#handOut();
	}

	close(): void {
		this.#closed = true;
		this.#poll?.destroy();
		this.#poll = undefined;
		this.#server.close();
		this.#server.closeAllConnections();
	}

	#route(req: IncomingMessage, res: ServerResponse): void {
		if (this.#closed) {
			res.destroy();
			return;
		}
		const url = req.url ?? "";
		if (!url.startsWith(PREFIX)) {
			refuse(res, 404, "NotFound", `no such path: ${url.slice(0, 200)}`);
			return;
		}
		const rest = url.slice(PREFIX.length);
		if (rest === "invocation/next" && req.method === "GET") {
			this.#next(res);
			return;
		}
		if (rest === "init/error" && req.method === "POST") {
			this.#initError(req, res).catch(() => res.destroy());
			return;
		}
		const m = /^invocation\/([^/]+)\/(response|error)$/.exec(rest);
		if (m && req.method === "POST") {
			// The id as sent; one that does not decode is no invocation's (and must not throw here:
			// this handler runs in the gateway's process).
			let requestId: string;
			try {
				requestId = decodeURIComponent(m[1] as string);
			} catch {
				requestId = "";
			}
			this.#answer(req, res, requestId, m[2] as "response" | "error").catch(
				() => res.destroy(),
			);
			return;
		}
		refuse(
			res,
			404,
			"NotFound",
			`no such path: ${req.method} ${url.slice(0, 200)}`,
		);
	}

	#next(res: ServerResponse): void {
		if (this.#current !== undefined) {
			refuse(
				res,
				403,
				"InvalidStateTransition",
				`invocation ${this.#current.requestId} has no response yet: POST its response or error before asking for the next`,
			);
			return;
		}
		if (this.#poll !== undefined) {
			refuse(
				res,
				403,
				"InvalidStateTransition",
				"another next is already waiting",
			);
			return;
		}
		this.#poll = res;
		res.on("close", () => {
			if (this.#poll === res) this.#poll = undefined;
		});
		if (!this.#initialised) {
			this.#initialised = true;
			this.#o.events.ready();
		}
		this.#handOut();
	}

	#handOut(): void {
		const res = this.#poll;
		if (res === undefined || this.#current !== undefined) return;
		const msg = this.#waiting.shift();
		if (msg === undefined) return;
		this.#poll = undefined;
		this.#current = msg;
		const body = Buffer.from(msg.eventJson, "utf8");
		const headers: Record<string, string | number> = {
			"content-type": "application/json",
			"content-length": body.length,
			"lambda-runtime-aws-request-id": msg.requestId,
			"lambda-runtime-deadline-ms": String(msg.deadline),
			"lambda-runtime-invoked-function-arn": this.#o.invokedFunctionArn,
			"lambda-runtime-trace-id": traceId(),
		};
		if (msg.clientContext !== undefined) {
			// The Invoke API carries it base64-encoded; the Runtime API hands over the JSON.
			const decoded = Buffer.from(msg.clientContext, "base64").toString("utf8");
			if (/^[\x20-\x7e]*$/.test(decoded))
				headers["lambda-runtime-client-context"] = decoded;
		}
		this.#o.events.started(msg.id);
		res.writeHead(200, headers);
		res.end(body);
	}

	async #initError(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const body = await readBody(req, MAX_ERROR_BYTES);
		if (this.#initialised) {
			refuse(
				res,
				403,
				"InvalidStateTransition",
				"init/error after the runtime has initialised (it asked for an invocation)",
			);
			return;
		}
		if (body === undefined) {
			refuse(
				res,
				413,
				"RequestEntityTooLarge",
				`an init error over ${MAX_ERROR_BYTES} bytes`,
			);
			return;
		}
		accepted(res);
		this.#initialised = true;
		this.#o.events.initError(
			parseErrorDocument(
				body,
				header(req, "lambda-runtime-function-error-type"),
			),
		);
	}

	async #answer(
		req: IncomingMessage,
		res: ServerResponse,
		requestId: string,
		kind: "response" | "error",
	): Promise<void> {
		const current = this.#current;
		if (current === undefined || current.requestId !== requestId) {
			// Read nothing of it: it is not an answer to anything running.
			res.setHeader("connection", "close");
			refuse(res, 400, "InvalidRequestID", "Invalid request ID");
			req.resume();
			return;
		}
		const max =
			kind === "response" ? this.#o.maxResponseBytes : MAX_ERROR_BYTES;
		const body = await readBody(req, max);
		// The invocation may have timed out (and this instance been ended) while the body arrived.
		if (this.#current !== current) {
			refuse(res, 400, "InvalidRequestID", "Invalid request ID");
			return;
		}
		this.#current = undefined;
		if (body === undefined) {
			res.setHeader("connection", "close");
			refuse(
				res,
				413,
				"RequestEntityTooLarge",
				`Response payload size exceeded maximum allowed payload size (${max} bytes).`,
			);
			this.#o.events.done(current.id, {
				ok: false,
				error: {
					errorType: "Function.ResponseSizeTooLarge",
					errorMessage: `Response payload size exceeded maximum allowed payload size (${max} bytes).`,
					trace: [],
				},
			});
		} else {
			accepted(res);
			this.#o.events.done(
				current.id,
				kind === "response"
					? { ok: true, body }
					: {
							ok: false,
							error: parseErrorDocument(
								body,
								header(req, "lambda-runtime-function-error-type"),
							),
						},
			);
		}
		this.#handOut();
	}
}

function header(req: IncomingMessage, name: string): string | undefined {
	const v = req.headers[name];
	return typeof v === "string" ? v : undefined;
}

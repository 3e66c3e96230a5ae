/**
 * Bounds on what a client can make the gateway hold at the socket level, before any route,
 * signature or function is involved. Each limit answers one way a hostile client ties up a
 * server without ever sending a valid request:
 *
 *   slowloris (headers trickled a byte at a time)  headersTimeout, checked every ≤ 1 s (Node checks
 *                                                   every 30 s by default, so a 15 s timeout
 *                                                   closed a socket after up to 45 s)
 *   slow body (a body trickled, or never finished)  requestTimeout; idle timeout mid-body
 *   slow read (an answer the client never reads)    idle timeout while a write is stuck
 *   a silent or idle kept-alive socket              headersTimeout from connect; keepAliveTimeout
 *   many sockets                                    maxConnections: over it, a new socket is closed
 *                                                   at once; the ones already open are served
 *   a pipelining flood (thousands of requests in    maxPipelined requests in flight per socket;
 *   one write, each started at once)                more closes the socket
 *   huge header counts                              maxHeaders (431); Node itself would silently
 *                                                   drop headers past its count, which a verifier
 *                                                   must never see as "not sent"
 *
 * A refused socket is destroyed, never only ended: Node's HTTP server is half-open by design, so
 * `end()` alone keeps the socket until the client closes its side, which a hostile client never
 * does.
 */
import type {
	IncomingMessage,
	Server,
	ServerOptions,
	ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import type { LogEntry } from "./context.ts";

/** Socket-level limits of the gateway's HTTP server; every field has a default. */
export interface ServerLimits {
	/** Concurrent connections; a new one over the cap is closed at once. Default 1024 (`SIGIL_MAX_CONNECTIONS`). */
	readonly maxConnections?: number;
	/** Complete request headers must arrive within this, counted from the connection (or from a kept-alive request's first byte). Default 10 s. */
	readonly headersTimeoutMs?: number;
	/** The whole request, headers and body, must arrive within this. Default 60 s. */
	readonly requestTimeoutMs?: number;
	/** An idle kept-alive connection is closed after this. Default 5 s. */
	readonly keepAliveTimeoutMs?: number;
	/**
	 * A socket with no traffic for this long while the gateway waits on the client (a body that
	 * stopped, an answer not being read) is closed. Waiting on a function does not count. Default 30 s.
	 */
	readonly idleTimeoutMs?: number;
	/** Header fields in one request; more is answered 431. Default 100. */
	readonly maxHeaders?: number;
	/** Requests one connection may have in flight (HTTP/1.1 pipelining); more closes it. Default 16. */
	readonly maxPipelined?: number;
}

export type ResolvedLimits = Required<ServerLimits>;

export const DEFAULT_LIMITS: ResolvedLimits = {
	maxConnections: 1024,
	headersTimeoutMs: 10_000,
	requestTimeoutMs: 60_000,
	keepAliveTimeoutMs: 5_000,
	idleTimeoutMs: 30_000,
	maxHeaders: 100,
	maxPipelined: 16,
};

/** Largest request head; 431 beyond it (unchanged from before the limits were gathered here). */
const MAX_HEADER_BYTES = 16 * 1024;

/** The limits in force: given values, else `SIGIL_MAX_CONNECTIONS`, else the defaults. Throws on a nonsensical value. */
export function resolveLimits(
	given: ServerLimits | undefined,
	env: Record<string, string | undefined>,
): ResolvedLimits {
	const fromEnv = env.SIGIL_MAX_CONNECTIONS;
	if (fromEnv !== undefined && !/^[1-9]\d{0,6}$/.test(fromEnv))
		throw new Error(
			`SIGIL_MAX_CONNECTIONS must be a whole number from 1 to 9999999, got ${JSON.stringify(fromEnv)}`,
		);
	const limits: ResolvedLimits = {
		...DEFAULT_LIMITS,
		...(fromEnv !== undefined && { maxConnections: Number(fromEnv) }),
		...Object.fromEntries(
			Object.entries(given ?? {}).filter(([, v]) => v !== undefined),
		),
	};
	for (const [name, value] of Object.entries(limits)) {
		if (!Number.isSafeInteger(value) || value < 1)
			throw new Error(
				`server limit ${name} must be a positive whole number, got ${value}`,
			);
	}
	if (limits.headersTimeoutMs > limits.requestTimeoutMs)
		throw new Error(
			`server limit headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs})`,
		);
	return limits;
}

/** Options for `http.createServer`: the timeouts Node enforces itself, checked often enough to matter. */
export function httpServerOptions(l: ResolvedLimits): ServerOptions {
	return {
		maxHeaderSize: MAX_HEADER_BYTES,
		headersTimeout: l.headersTimeoutMs,
		requestTimeout: l.requestTimeoutMs,
		keepAliveTimeout: l.keepAliveTimeoutMs,
		// Node looks for expired header/request timers only this often: a timeout is enforced
		// within one interval of its deadline. A quarter of the header timeout, 1 s at most
		// (the check walks the open connections; once a second is nothing at 1024 of them).
		connectionsCheckingInterval: Math.max(
			50,
			Math.min(1_000, Math.floor(l.headersTimeoutMs / 4)),
		),
	};
}

/** What the guard knows of one socket's requests. */
interface SocketState {
	/** Requests admitted and not yet answered (more than one only when the client pipelines). */
	inFlight: number;
	/** The newest admitted request and its response. */
	req?: IncomingMessage;
	res?: ServerResponse;
}

export interface SocketGuard {
	/**
	 * Call first for every request. False when the guard answered or closed it already (too many
	 * headers, too deep a pipeline): the request must not be handled.
	 */
	admit(req: IncomingMessage, res: ServerResponse): boolean;
}

/** Installs the limits on `server` (connection cap, idle timeout, client errors) and returns the per-request check. */
export function guardServer(
	server: Server,
	l: ResolvedLimits,
	log: (entry: LogEntry) => void,
): SocketGuard {
	const sockets = new WeakMap<Socket, SocketState>();
	const stateOf = (socket: Socket): SocketState => {
		let s = sockets.get(socket);
		if (s === undefined) {
			s = { inFlight: 0 };
			sockets.set(socket, s);
		}
		return s;
	};

	server.maxConnections = l.maxConnections;
	// One more than allowed, so a request that reached the cap is seen (Node drops the rest silently).
	server.maxHeadersCount = l.maxHeaders + 1;
	// Socket inactivity; the 'timeout' listener below decides whose fault it is.
	server.timeout = l.idleTimeoutMs;

	// Sockets refused at the cap: one log line, then at most one summary per 10 s, so a flood of
	// connections cannot become a flood of log lines.
	let dropped = 0;
	let summary: NodeJS.Timeout | undefined;
	server.on("drop", () => {
		if (summary !== undefined) {
			dropped++;
			return;
		}
		log({ at: "connection-refused", maxConnections: l.maxConnections });
		summary = setTimeout(() => {
			summary = undefined;
			if (dropped > 0)
				log({
					at: "connection-refused",
					maxConnections: l.maxConnections,
					dropped,
				});
			dropped = 0;
		}, 10_000).unref();
	});
	server.on("close", () => clearTimeout(summary));

	server.on("timeout", (socket: Socket) => {
		const s = sockets.get(socket);
		// Waiting on a function (it may legitimately run for minutes) is not the client's doing:
		// the body is in, nothing is queued for the client. The next write re-arms the timer.
		if (
			s !== undefined &&
			s.inFlight > 0 &&
			s.req?.complete === true &&
			socket.writableLength === 0
		)
			return;
		// Otherwise the client stalled: no request at all, a body that stopped, or an answer it
		// does not read. (Node's own keep-alive timeout also arrives here: the socket is idle.)
		socket.destroy();
	});

	server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
		// Oversized or malformed requests and expired timeouts: answer plainly, never crash.
		const s = sockets.get(socket);
		// A response already under way cannot be followed by another status line.
		if (!socket.writable || s?.res?.headersSent === true) {
			socket.destroy();
			return;
		}
		const status =
			err.code === "HPE_HEADER_OVERFLOW"
				? "431 Request Header Fields Too Large"
				: err.code === "ERR_HTTP_REQUEST_TIMEOUT"
					? "408 Request Timeout"
					: "400 Bad Request";
		socket.end(
			`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
		);
		// Then gone, once the answer is flushed (or after a second if the client never reads it).
		socket.once("finish", () => socket.destroy());
		setTimeout(() => socket.destroy(), 1_000).unref();
	});

	return {
		admit(req, res) {
			const socket = req.socket;
			const s = stateOf(socket);
			s.inFlight++;
			s.req = req;
			s.res = res;
			res.once("close", () => {
				s.inFlight--;
				if (s.res === res) {
					s.req = undefined;
					s.res = undefined;
				}
			});
			if (s.inFlight > l.maxPipelined) {
				// Answers to pipelined requests go out in order, so the queue cannot be refused one
				// request at a time; a client this far ahead of its answers is not a browser.
				socket.destroy();
				return false;
			}
			if (req.rawHeaders.length / 2 > l.maxHeaders) {
				res.shouldKeepAlive = false;
				res.writeHead(431, {
					connection: "close",
					"content-type": "application/json",
				});
				res.end(
					JSON.stringify({
						error: {
							code: "BAD_REQUEST",
							message: `more than ${l.maxHeaders} header fields`,
						},
					}),
				);
				return false;
			}
			return true;
		},
	};
}

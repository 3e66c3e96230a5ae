/**
 * The `http` runtime: every request proxied to an upstream HTTP service, like of-watchdog's
 * http mode. Headers travel as real headers (minus hop-by-hop), the path below the trigger is
 * appended to the upstream's base path, the query passes verbatim. The upstream is an existing
 * service, or a server process Sigil starts, health-checks and restarts (`server`).
 *
 * The request is buffered: the gateway has already read it under the trigger's `maxBodyBytes`
 * (it must, to verify a payload signature over the body). The answer streams through when the
 * caller accepts a stream (`acceptStream`, the HTTP trigger does): the client sees the first
 * bytes as the upstream sends them, still bounded by `maxResponseBytes` and the timeout, and the
 * concurrency slot is held until the last byte. Other callers (async jobs) get it buffered.
 */
import { Agent as HttpAgent, type IncomingMessage, request } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { type Readable, Transform } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { AdmissionGate } from "./admission-gate.ts";
import { utf8Tail } from "./log-tail.ts";
import { endToEndHeaders, firstHeader, upstreamPath } from "./proxy-headers.ts";
import type {
	EventInvocation,
	EventResult,
	FunctionRuntime,
	HttpInvocation,
	HttpResult,
} from "./types.ts";
import { RuntimeError } from "./types.ts";
import {
	startUpstreamServer,
	type UpstreamServer,
	type UpstreamServerSpec,
} from "./upstream-server.ts";

export interface HttpRuntimeSpec {
	readonly name: string;
	/** Base URL of the upstream (`http://127.0.0.1:5000/base`); with `server`, its port is the server's. */
	readonly upstream: string;
	readonly timeoutMs: number;
	/** Requests in flight to the upstream at once (default 64). */
	readonly maxConcurrency?: number;
	/** Requests that may wait for a free place before FUNCTION_QUEUE_FULL (default 100). */
	readonly maxQueue?: number;
	/** Answers larger than this are FUNCTION_ERROR (default 32 MiB). */
	readonly maxResponseBytes?: number;
	/** A server process to start with the runtime and keep running (of-watchdog's `fprocess`). */
	readonly server?: Omit<UpstreamServerSpec, "name" | "port">;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Pause before retrying a refused connection to a server Sigil runs (it is restarting). */
const RETRY_MS = 25;

/** Names the gateway sets itself: a client cannot forge them, the upstream can trust them. */
const OWN = new Set([
	"host",
	"content-length",
	"x-forwarded-for",
	"x-forwarded-host",
	"x-call-id",
]);

interface Answer {
	status: number;
	headers: string[];
	body: Buffer;
	stream?: Readable;
}

const EMPTY = Buffer.alloc(0);

export async function createHttpRuntime(
	spec: HttpRuntimeSpec,
): Promise<FunctionRuntime> {
	const base = new URL(spec.upstream);
	const secure = base.protocol === "https:";
	const maxConcurrency = spec.maxConcurrency ?? 64;
	const agent = new (secure ? HttpsAgent : HttpAgent)({
		// A sandboxed server is reached through its relay's Unix socket, a cheap connect: a fresh
		// connection per request means one never lands on a kept-alive socket its dying server
		// just closed (a POST there would fail, and could not be retried safely).
		keepAlive: spec.server?.sandbox === undefined,
		maxSockets: maxConcurrency,
	});
	const gate = new AdmissionGate(
		spec.name,
		maxConcurrency,
		spec.maxQueue ?? 100,
	);
	const maxResponseBytes = spec.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
	let server: UpstreamServer | undefined;
	if (spec.server) {
		server = await startUpstreamServer({
			...spec.server,
			name: spec.name,
			port: Number(base.port || 80),
		});
	}

	/** The upstream's answer as a stream that errors past `maxResponseBytes` or when cut short. */
	function bounded(res: IncomingMessage): Readable {
		let size = 0;
		const out = new Transform({
			transform(chunk: Buffer, _enc, done) {
				size += chunk.length;
				if (size > maxResponseBytes)
					done(
						new RuntimeError(
							"FUNCTION_ERROR",
							`function ${spec.name}: its upstream answered more than ${maxResponseBytes} bytes (maxResponseBytes)`,
						),
					);
				else done(null, chunk);
			},
		});
		res.on("close", () => {
			if (!res.complete)
				out.destroy(
					connectionError(
						spec.name,
						base,
						Object.assign(new Error("the answer was cut short"), {
							code: "ECONNRESET",
						}),
					),
				);
		});
		res.on("error", (err) => out.destroy(err));
		// The error may come before the caller has attached its reader; it stays on the stream
		// (`errored`) for the reader to see, and must not surface as an uncaught exception meanwhile.
		out.on("error", () => {});
		res.pipe(out);
		return out;
	}

	/** One exchange with the upstream; a failure is a RuntimeError with the cause in `detail`. */
	function exchange(
		method: string,
		path: string,
		headers: string[],
		body: Buffer,
		signal: AbortSignal,
		streaming: boolean,
		retried = false,
	): Promise<Answer> {
		return new Promise((resolve, reject) => {
			const send = secure ? httpsRequest : request;
			const socketPath = server?.socketPath;
			const req = send({
				protocol: base.protocol,
				// A sandboxed server is reached only through its relay's Unix socket.
				...(socketPath !== undefined
					? { socketPath }
					: { hostname: base.hostname, port: base.port }),
				method,
				path,
				headers,
				agent,
				signal,
			});
			let settled = false;
			const fail = (err: Error) => {
				if (settled) return;
				settled = true;
				reject(err);
			};
			req.on("error", (err: NodeJS.ErrnoException) => {
				if (signal.aborted) return fail(signal.reason as Error);
				// A kept-alive socket the upstream closed meanwhile: Node's documented retry case,
				// taken only for safe methods (a POST may have run before the reset).
				if (
					!retried &&
					req.reusedSocket &&
					err.code === "ECONNRESET" &&
					SAFE_METHODS.has(method)
				) {
					settled = true;
					exchange(method, path, headers, body, signal, streaming, true).then(
						resolve,
						reject,
					);
					return;
				}
				fail(connectionError(spec.name, base, err));
			});
			req.on("response", (res: IncomingMessage) => {
				// A sandboxed server's relay saying the server refused (it is restarting): as a
				// refused connection, nothing was delivered.
				if (
					socketPath !== undefined &&
					res.headers["x-sigil-relay"] === "upstream-refused"
				) {
					res.resume();
					fail(
						connectionError(
							spec.name,
							base,
							Object.assign(new Error("the sandboxed server refused it"), {
								code: "ECONNREFUSED",
							}),
						),
					);
					return;
				}
				if (streaming) {
					settled = true;
					resolve({
						status: res.statusCode ?? 502,
						headers: endToEndHeaders(res.rawHeaders),
						body: EMPTY,
						stream: bounded(res),
					});
					return;
				}
				const chunks: Buffer[] = [];
				let size = 0;
				res.on("data", (chunk: Buffer) => {
					size += chunk.length;
					if (size > maxResponseBytes) {
						res.destroy();
						fail(
							new RuntimeError(
								"FUNCTION_ERROR",
								`function ${spec.name}: its upstream answered more than ${maxResponseBytes} bytes (maxResponseBytes)`,
							),
						);
						return;
					}
					chunks.push(chunk);
				});
				res.on("error", (err) => fail(connectionError(spec.name, base, err)));
				res.on("close", () => {
					if (!res.complete)
						fail(
							connectionError(
								spec.name,
								base,
								Object.assign(new Error("the answer was cut short"), {
									code: "ECONNRESET",
								}),
							),
						);
				});
				res.on("end", () => {
					if (settled) return;
					settled = true;
					resolve({
						status: res.statusCode ?? 502,
						headers: endToEndHeaders(res.rawHeaders),
						body: Buffer.concat(chunks),
					});
				});
			});
			req.end(body);
		});
	}

	/** Gate, server readiness, deadline and abort around one exchange. */
	async function call(
		method: string,
		path: string,
		headers: string[],
		body: Buffer,
		outer: AbortSignal | undefined,
		streaming = false,
	): Promise<Answer> {
		const release = await gate.acquire(outer);
		let streamed: Readable | undefined;
		const timeout = AbortSignal.timeout(spec.timeoutMs);
		const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
		try {
			for (;;) {
				if (server) await server.ready(signal);
				try {
					const answer = await exchange(
						method,
						path,
						headers,
						body,
						signal,
						streaming,
					);
					streamed = answer.stream;
					return answer;
				} catch (err) {
					// A refused connection delivered nothing, so it is safe to try again: a server
					// of ours that just died is being restarted (its exit may not be seen yet).
					if (!server || signal.aborted || !refused(err)) throw err;
					await sleep(RETRY_MS, undefined, { signal }).catch(() => {});
				}
			}
		} catch (err) {
			if (outer?.aborted) throw outer.reason;
			if (timeout.aborted)
				throw new RuntimeError(
					"FUNCTION_TIMEOUT",
					`function ${spec.name}: its upstream did not answer within ${spec.timeoutMs} ms`,
				);
			throw err;
		} finally {
			// A streamed answer holds its slot (and its deadline) until the last byte or an error.
			if (streamed && !streamed.destroyed) streamed.once("close", release);
			else release();
		}
	}

	return {
		async invokeHttp(inv: HttpInvocation): Promise<HttpResult> {
			const headers = endToEndHeaders(inv.rawHeaders, OWN);
			const forwardedFor = firstHeader(inv.rawHeaders, "x-forwarded-for");
			headers.push(
				"Host",
				base.host,
				"Content-Length",
				String(inv.body.length),
				"X-Forwarded-For",
				forwardedFor ? `${forwardedFor}, ${inv.sourceIp}` : inv.sourceIp,
				"X-Forwarded-Host",
				inv.host,
				// OpenFaaS's gateway names each call the same way.
				"X-Call-Id",
				inv.requestId,
			);
			const path = upstreamPath(base.pathname, inv.path, inv.rawQuery);
			return call(
				inv.method,
				path,
				headers,
				inv.body,
				inv.signal,
				inv.acceptStream === true,
			);
		},

		async invokeEvent(inv: EventInvocation): Promise<EventResult> {
			const headers = [
				"Host",
				base.host,
				"Content-Type",
				"application/json",
				"Content-Length",
				String(inv.payload.length),
				"X-Call-Id",
				inv.requestId,
			];
			const path = upstreamPath(base.pathname, "/", "");
			const answer = await call("POST", path, headers, inv.payload, inv.signal);
			if (answer.status >= 200 && answer.status < 300)
				return { payload: answer.body };
			const error = {
				errorType: "UpstreamHttpError",
				errorMessage: `upstream answered ${answer.status}: ${utf8Tail(answer.body.toString("utf8"), 512)}`,
				trace: [],
			};
			return {
				payload: Buffer.from(JSON.stringify(error)),
				functionError: "Unhandled",
			};
		},

		async close(graceMs?: number): Promise<void> {
			await gate.close(graceMs ?? spec.timeoutMs);
			agent.destroy();
			await server?.close();
		},
	};
}

function refused(err: unknown): boolean {
	return (
		err instanceof RuntimeError &&
		err.code === "FUNCTION_CRASHED" &&
		// ENOENT: a sandboxed server's relay socket is gone (the relay exits with its server).
		/^(ECONNREFUSED|ENOENT)\b/.test(err.detail ?? "")
	);
}

/** Maps a socket-level failure to a code and a message that says what to check. */
function connectionError(
	name: string,
	base: URL,
	err: NodeJS.ErrnoException,
): RuntimeError {
	const detail = `${err.code ?? err.name}: ${err.message} (upstream ${base.origin})`;
	switch (err.code) {
		case "ENOENT":
		case "ECONNREFUSED":
			return new RuntimeError(
				"FUNCTION_CRASHED",
				`function ${name}: its upstream refused the connection (is the service running and listening?)`,
				detail,
			);
		case "ENOTFOUND":
		case "EAI_AGAIN":
			return new RuntimeError(
				"FUNCTION_CRASHED",
				`function ${name}: its upstream's host name does not resolve`,
				detail,
			);
		default:
			return new RuntimeError(
				"FUNCTION_CRASHED",
				`function ${name}: the connection to its upstream failed before a complete answer (${err.code ?? err.name})`,
				detail,
			);
	}
}

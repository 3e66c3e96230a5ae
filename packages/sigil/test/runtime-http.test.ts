// The `http` runtime: proxying to an existing upstream (headers, path, query, body both ways),
// its failures (refused → FUNCTION_CRASHED, slow → FUNCTION_TIMEOUT, oversized answers), and a
// server process Sigil starts, health-checks and restarts (of-watchdog's http mode).
import assert from "node:assert/strict";
import { once } from "node:events";
import {
	createServer,
	type IncomingMessage,
	type Server,
	type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { createHttpRuntime } from "../src/runtime/http-runtime.ts";
import { endToEndHeaders, upstreamPath } from "../src/runtime/proxy-headers.ts";
import { type HttpInvocation, RuntimeError } from "../src/runtime/types.ts";

/** Whether a process runs (its exit already reaped by this process's child handling). */
function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

const SERVER_DIR = fileURLToPath(
	new URL("./fixtures/functions/http-server/", import.meta.url),
);

interface Seen {
	method: string;
	url: string;
	rawHeaders: string[];
	body: string;
}

let upstream: Server;
let base = "";
const seen: Seen[] = [];
/** Per-path behaviour of the test upstream. */
function handle(req: IncomingMessage, res: ServerResponse, body: string) {
	const path = new URL(req.url ?? "/", "http://x").pathname;
	if (path.startsWith("/base/slow")) return; // never answers
	if (path === "/base/big") {
		res.end(Buffer.alloc(64 * 1024, 0x61));
		return;
	}
	if (path.startsWith("/base/fail")) {
		res.statusCode = 500;
		res.end("upstream broke");
		return;
	}
	res.statusCode = 201;
	res.setHeader("Content-Type", "text/plain");
	res.setHeader("X-Upstream", "yes");
	res.setHeader("Set-Cookie", ["a=1", "b=2"]);
	res.setHeader("Keep-Alive", "timeout=5");
	res.end(`echo:${body}`);
}

before(async () => {
	upstream = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const body = Buffer.concat(chunks).toString();
			seen.push({
				method: req.method ?? "",
				url: req.url ?? "",
				rawHeaders: req.rawHeaders,
				body,
			});
			handle(req, res, body);
		});
	});
	upstream.listen(0, "127.0.0.1");
	await once(upstream, "listening");
	base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
after(() => {
	upstream.closeAllConnections();
	upstream.close();
});

let seq = 0;
function http(over: Partial<HttpInvocation> = {}): HttpInvocation {
	return {
		requestId: `req-${++seq}`,
		functionName: "proxy",
		method: "POST",
		path: "/a/b%20c",
		rawQuery: "x=1&y=%2F",
		rawHeaders: [
			"Host",
			"gw.example:8080",
			"Hmac",
			"sha256=abc",
			"Connection",
			"keep-alive, X-Drop-Me",
			"X-Drop-Me",
			"1",
			"Transfer-Encoding",
			"chunked",
			"X-Call-Id",
			"forged",
			"X-Forwarded-For",
			"10.0.0.1",
		],
		body: Buffer.from("hello"),
		sourceIp: "192.0.2.7",
		host: "gw.example:8080",
		receivedAt: Date.now(),
		...over,
	};
}

function header(raw: readonly string[], name: string): string[] {
	const out: string[] = [];
	for (let i = 0; i + 1 < raw.length; i += 2)
		if ((raw[i] as string).toLowerCase() === name)
			out.push(raw[i + 1] as string);
	return out;
}

describe("proxy-headers", () => {
	it("drops hop-by-hop headers and those Connection names, keeps case and order", () => {
		const out = endToEndHeaders([
			"Connection",
			"close, X-Secret-Hop",
			"X-Secret-Hop",
			"v",
			"TE",
			"trailers",
			"Hmac",
			"sha1=00",
			"Upgrade",
			"h2c",
			"X-A",
			"1",
			"x-a",
			"2",
		]);
		assert.deepEqual(out, ["Hmac", "sha1=00", "X-A", "1", "x-a", "2"]);
	});

	it("joins base path, path below the trigger and query", () => {
		assert.equal(upstreamPath("/", "/", ""), "/");
		assert.equal(upstreamPath("/base", "/", ""), "/base/");
		assert.equal(upstreamPath("/base/", "/a/b", "q=1"), "/base/a/b?q=1");
		assert.equal(upstreamPath("", "", ""), "/");
		fc.assert(
			fc.property(
				fc.stringMatching(/^(\/[a-z0-9%]{1,8}){0,3}\/?$/),
				fc.stringMatching(/^(\/[a-z0-9%]{1,8}){1,3}$/),
				(b, p) => {
					const joined = upstreamPath(b || "/", p, "");
					assert.ok(joined.endsWith(p));
					assert.ok(joined.startsWith(b.replace(/\/$/, "")));
					assert.ok(!joined.includes("//"));
				},
			),
		);
	});
});

describe("http runtime against an existing upstream", () => {
	it("proxies method, path, query, headers and body; answers as the upstream did", async () => {
		const rt = await createHttpRuntime({
			name: "proxy",
			upstream: `${base}/base`,
			timeoutMs: 5000,
		});
		try {
			const result = await rt.invokeHttp(http());
			const got = seen.at(-1) as Seen;
			assert.equal(got.method, "POST");
			assert.equal(got.url, "/base/a/b%20c?x=1&y=%2F");
			assert.equal(got.body, "hello");
			assert.deepEqual(header(got.rawHeaders, "hmac"), ["sha256=abc"]);
			assert.deepEqual(header(got.rawHeaders, "host"), [new URL(base).host]);
			assert.deepEqual(header(got.rawHeaders, "x-drop-me"), []);
			assert.deepEqual(header(got.rawHeaders, "transfer-encoding"), []);
			assert.deepEqual(header(got.rawHeaders, "x-call-id"), ["req-1"]);
			assert.deepEqual(header(got.rawHeaders, "x-forwarded-for"), [
				"10.0.0.1, 192.0.2.7",
			]);
			assert.deepEqual(header(got.rawHeaders, "x-forwarded-host"), [
				"gw.example:8080",
			]);
			assert.equal(result.status, 201);
			assert.equal(result.body.toString(), "echo:hello");
			assert.deepEqual(header(result.headers, "x-upstream"), ["yes"]);
			assert.deepEqual(header(result.headers, "set-cookie"), ["a=1", "b=2"]);
			assert.deepEqual(header(result.headers, "keep-alive"), []);
		} finally {
			await rt.close(100);
		}
	});

	it("refused connection → FUNCTION_CRASHED with a clear detail", async () => {
		const probe = createServer();
		probe.listen(0, "127.0.0.1");
		await once(probe, "listening");
		const port = (probe.address() as AddressInfo).port;
		probe.close();
		const rt = await createHttpRuntime({
			name: "gone",
			upstream: `http://127.0.0.1:${port}`,
			timeoutMs: 5000,
		});
		await assert.rejects(rt.invokeHttp(http()), (err: RuntimeError) => {
			assert.ok(err instanceof RuntimeError);
			assert.equal(err.code, "FUNCTION_CRASHED");
			assert.match(err.message, /refused the connection/);
			assert.match(err.detail ?? "", /ECONNREFUSED/);
			return true;
		});
		await rt.close(100);
	});

	it("a slow upstream → FUNCTION_TIMEOUT at the function's timeout", async () => {
		const rt = await createHttpRuntime({
			name: "slow",
			upstream: `${base}/base`,
			timeoutMs: 300,
		});
		const t0 = performance.now();
		await assert.rejects(
			rt.invokeHttp(http({ path: "/slow" })),
			(err: RuntimeError) => err.code === "FUNCTION_TIMEOUT",
		);
		const took = performance.now() - t0;
		assert.ok(took >= 290 && took < 2000, `took ${took} ms`);
		await rt.close(100);
	});

	it("a streamed answer: the same bytes, the size bound still holds, and the slot is held until the end", async () => {
		const rt = await createHttpRuntime({
			name: "streamed",
			upstream: `${base}/base`,
			timeoutMs: 5000,
			maxResponseBytes: 1024,
			maxConcurrency: 1,
			maxQueue: 0,
		});
		try {
			const ok = await rt.invokeHttp({ ...http(), acceptStream: true });
			assert.ok(ok.stream, "a stream when the caller accepts one");
			assert.equal(ok.body.length, 0);
			// One slot, no queue: while the first answer is still unread the next call is refused.
			await assert.rejects(
				rt.invokeHttp(http()),
				(err: RuntimeError) => err.code === "FUNCTION_QUEUE_FULL",
			);
			const chunks: Buffer[] = [];
			for await (const c of ok.stream) chunks.push(c as Buffer);
			assert.equal(Buffer.concat(chunks).toString(), "echo:hello");
			await new Promise((r) => setImmediate(r));
			assert.equal(
				(await rt.invokeHttp(http())).status,
				201,
				"the slot is free again",
			);
			const big = await rt.invokeHttp({
				...http({ path: "/big" }),
				acceptStream: true,
			});
			await assert.rejects(
				(async () => {
					for await (const _ of big.stream as NodeJS.ReadableStream) {
					}
				})(),
				(err: RuntimeError) => err.code === "FUNCTION_ERROR",
			);
		} finally {
			await rt.close(100);
		}
	});

	it("an answer over maxResponseBytes → FUNCTION_ERROR", async () => {
		const rt = await createHttpRuntime({
			name: "big",
			upstream: `${base}/base`,
			timeoutMs: 5000,
			maxResponseBytes: 1024,
		});
		await assert.rejects(
			rt.invokeHttp(http({ path: "/big" })),
			(err: RuntimeError) =>
				err.code === "FUNCTION_ERROR" && /maxResponseBytes/.test(err.message),
		);
		await rt.close(100);
	});

	it("an aborted invocation rejects with the abort reason", async () => {
		const rt = await createHttpRuntime({
			name: "abort",
			upstream: `${base}/base`,
			timeoutMs: 5000,
		});
		const controller = new AbortController();
		const pending = rt.invokeHttp(
			http({ path: "/slow", signal: controller.signal }),
		);
		setTimeout(() => controller.abort(new Error("client gone")), 50);
		await assert.rejects(pending, /client gone/);
		await rt.close(100);
	});

	it("event invocations POST the payload; a non-2xx answer is Unhandled", async () => {
		const ok = await createHttpRuntime({
			name: "ev",
			upstream: `${base}/base`,
			timeoutMs: 5000,
		});
		const r = await ok.invokeEvent({
			requestId: "e1",
			functionName: "ev",
			payload: Buffer.from('{"k":1}'),
		});
		assert.equal(r.payload.toString(), 'echo:{"k":1}');
		assert.equal(r.functionError, undefined);
		assert.equal((seen.at(-1) as Seen).url, "/base/");
		await ok.close(100);
		const failing = await createHttpRuntime({
			name: "ev",
			upstream: `${base}/base/fail`,
			timeoutMs: 5000,
		});
		const f = await failing.invokeEvent({
			requestId: "e2",
			functionName: "ev",
			payload: Buffer.from("{}"),
		});
		assert.equal(f.functionError, "Unhandled");
		assert.match(f.payload.toString(), /upstream answered 500: upstream broke/);
		await failing.close(100);
	});
});

describe("http runtime with a server it starts (of-watchdog http mode)", () => {
	async function freePort(): Promise<number> {
		const s = createServer();
		s.listen(0, "127.0.0.1");
		await once(s, "listening");
		const { port } = s.address() as AddressInfo;
		await new Promise((r) => s.close(r));
		return port;
	}

	it("starts the server with PORT, proxies to it, restarts it when it dies, stops it on close", async () => {
		const port = await freePort();
		const rt = await createHttpRuntime({
			name: "served",
			upstream: `http://127.0.0.1:${port}`,
			timeoutMs: 5000,
			server: {
				fprocess: `'${process.execPath}' server.mjs`,
				cwd: SERVER_DIR,
				env: { GREETING: "hi" },
			},
		});
		try {
			const first = JSON.parse(
				(await rt.invokeHttp(http({ path: "/x" }))).body.toString(),
			) as { pid: number; url: string; greeting: string; body: string };
			assert.equal(first.url, "/x?x=1&y=%2F");
			assert.equal(first.greeting, "hi");
			assert.equal(first.body, "hello");
			// The server dies mid-request: that request fails; once the process is gone, the
			// next request is served by a new one.
			await assert.rejects(
				rt.invokeHttp(http({ path: "/exit", rawQuery: "" })),
				(err: RuntimeError) => err.code === "FUNCTION_CRASHED",
			);
			while (alive(first.pid)) await sleep(10);
			const second = JSON.parse(
				(await rt.invokeHttp(http({ path: "/y" }))).body.toString(),
			) as { pid: number };
			assert.notEqual(second.pid, first.pid);
			await rt.close(100);
			assert.equal(alive(second.pid), false);
		} finally {
			await rt.close(100);
		}
	});

	it("a server killed from outside (kill -9) is replaced before the next request needs it", async () => {
		const port = await freePort();
		const rt = await createHttpRuntime({
			name: "killed",
			upstream: `http://127.0.0.1:${port}`,
			timeoutMs: 5000,
			server: {
				fprocess: `'${process.execPath}' server.mjs`,
				cwd: SERVER_DIR,
				env: {},
			},
		});
		try {
			const get = async () =>
				JSON.parse(
					(
						await rt.invokeHttp(http({ method: "GET", body: Buffer.alloc(0) }))
					).body.toString(),
				) as { pid: number };
			const first = await get();
			process.kill(first.pid, "SIGKILL");
			while (alive(first.pid)) await sleep(10);
			const second = await get();
			assert.notEqual(second.pid, first.pid);
			assert.ok(alive(second.pid));
		} finally {
			await rt.close(100);
		}
	});

	it("a server that never listens fails the start with FUNCTION_START_FAILED and its output", async () => {
		const port = await freePort();
		await assert.rejects(
			createHttpRuntime({
				name: "broken",
				upstream: `http://127.0.0.1:${port}`,
				timeoutMs: 5000,
				server: {
					fprocess: `'${process.execPath}' -e "console.error('cannot bind'); process.exit(4)"`,
					cwd: SERVER_DIR,
					env: {},
				},
			}),
			(err: RuntimeError) => {
				assert.equal(err.code, "FUNCTION_START_FAILED");
				assert.match(err.message, /exited with status 4 before listening/);
				assert.match(err.detail ?? "", /cannot bind/);
				return true;
			},
		);
	});
});

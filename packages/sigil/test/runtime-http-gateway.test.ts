// The `http` runtime behind a real gateway: `/function/NAME/sub?q` proxied to the upstream's
// base path with the caller's headers, a refused upstream answered 502 FUNCTION_CRASHED, a slow
// one 504 FUNCTION_TIMEOUT, and a server Sigil starts itself from `fprocess`.
import assert from "node:assert/strict";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

const SERVER_JS = fileURLToPath(
	new URL("./fixtures/functions/http-server/server.mjs", import.meta.url),
);

let gw: TestGateway;
let upstream: Server;
let upstreamUrl = "";
let refusedUrl = "";

before(async () => {
	upstream = createServer((req, res) => {
		if (req.url?.startsWith("/api/slow")) return;
		if (req.url?.startsWith("/api/drip")) {
			// One chunk now, the rest after a pause: a streamed answer shows the first at once.
			res.writeHead(200, { "content-type": "text/plain" });
			res.write("first\n");
			setTimeout(() => res.end("second\n"), 600);
			return;
		}
		if (req.url?.startsWith("/api/flood")) {
			res.writeHead(200, { "content-type": "application/octet-stream" });
			res.end(Buffer.alloc(64 * 1024, 0x61));
			return;
		}
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			res.setHeader("content-type", "application/json");
			res.setHeader("x-from-upstream", "1");
			res.end(
				JSON.stringify({
					method: req.method,
					url: req.url,
					hmac: req.headers.hmac ?? null,
					forwardedHost: req.headers["x-forwarded-host"] ?? null,
					body: Buffer.concat(chunks).toString(),
				}),
			);
		});
	});
	upstream.listen(0, "127.0.0.1");
	await once(upstream, "listening");
	upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/api`;
	const probe = createServer().listen(0, "127.0.0.1");
	await once(probe, "listening");
	refusedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
	await new Promise((r) => probe.close(r));

	gw = await startTestGateway();
	await gw.deploy("proxied", { runtime: "http", upstream: upstreamUrl });
	await gw.deploy("refused", { runtime: "http", upstream: refusedUrl });
	await gw.deploy("drip", { runtime: "http", upstream: `${upstreamUrl}/drip` });
	await gw.deploy("slow", {
		runtime: "http",
		upstream: upstreamUrl,
		timeout: "400ms",
	});
	// Dies on /die without answering; every other request is answered.
	await gw.deploy(
		"crashy",
		{ runtime: "http", fprocess: "node server.mjs" },
		{
			"server.mjs": `import { createServer } from "node:http";
const srv = createServer((req, res) => {
	if (!req.url.startsWith("/die")) return res.end("alive");
	// Stops listening first and exits a little later, as a server shutting down does: meanwhile
	// its port refuses, and the relay in front of it is still there.
	srv.close();
	req.socket.destroy();
	setTimeout(() => process.exit(3), 300);
});
srv.listen(Number(process.env.PORT), "127.0.0.1");`,
		},
	);
	await gw.deploy(
		"served",
		{
			runtime: "http",
			// In the sandbox `node` is Sigil's pinned Node (docs/runtimes.md); outside, the gateway's.
			fprocess: "node server.mjs",
			environment: { GREETING: "hello" },
		},
		{
			"server.mjs": await readFile(SERVER_JS, "utf8"),
		},
	);
});
after(async () => {
	await gw?.stop();
	upstream.closeAllConnections();
	upstream.close();
});

describe("http runtime through the gateway", () => {
	it("proxies path below the trigger, query, headers and body; answers with the upstream's", async () => {
		const res = await fetch(`${gw.url}/function/proxied/users/42?expand=1`, {
			method: "PUT",
			headers: { Hmac: "sha256=00", "content-type": "text/plain" },
			body: "payload",
		});
		assert.equal(res.status, 200);
		assert.equal(res.headers.get("x-from-upstream"), "1");
		const seen = (await res.json()) as Record<string, unknown>;
		assert.deepEqual(seen, {
			method: "PUT",
			url: "/api/users/42?expand=1",
			hmac: "sha256=00",
			forwardedHost: new URL(gw.url).host,
			body: "payload",
		});
	});

	it("a refused upstream → 502 FUNCTION_CRASHED saying so", async () => {
		const res = await fetch(`${gw.url}/function/refused`, {
			method: "POST",
			body: "x",
		});
		assert.equal(res.status, 502);
		const text = await res.text();
		assert.match(text, /FUNCTION_CRASHED/);
		assert.match(text, /refused the connection/);
	});

	it("a slow upstream → 504 FUNCTION_TIMEOUT at the function's timeout", async () => {
		const t0 = performance.now();
		const res = await fetch(`${gw.url}/function/slow/slow`);
		assert.equal(res.status, 504);
		assert.match(await res.text(), /FUNCTION_TIMEOUT/);
		assert.ok(performance.now() - t0 < 3000);
	});

	it("fprocess: Sigil starts the function's own server on $PORT with its environment", async () => {
		const res = await fetch(`${gw.url}/function/served/hi?x=1`, {
			method: "POST",
			body: "b",
		});
		assert.equal(res.status, 200);
		const seen = (await res.json()) as Record<string, unknown>;
		assert.equal(seen.url, "/hi?x=1");
		assert.equal(seen.body, "b");
		assert.equal(seen.greeting, "hello");
	});
});

describe("a server Sigil starts dies", () => {
	it("the request that killed it fails (502); the ones right after are held until the restart, none lost", async () => {
		for (let round = 0; round < 6; round++) {
			const died = await fetch(`${gw.url}/function/crashy/die`, {
				method: "POST",
				body: "x",
			});
			assert.equal(died.status, 502);
			assert.match(await died.text(), /FUNCTION_CRASHED/);
			// Sent while the server is down (it stopped listening, lingers 300 ms, exits, restarts):
			// refused inside its sandbox, retried until it listens again. A connection that was
			// already in the server's accept queue when it stopped listening is reset instead —
			// TCP cannot tell that from a request the server read and died on, so it is not retried
			// and this test does not send one: it waits until the listening socket is closed.
			// Spread over the server's exit (300 ms) and its restart: one lands as the relay stops
			// offering its socket, which must not reset a connection waiting to be accepted.
			await new Promise((r) => setTimeout(r, 100));
			const after = await Promise.all(
				Array.from({ length: 24 }, (_, i) =>
					new Promise((r) => setTimeout(r, i * 20)).then(() =>
						fetch(`${gw.url}/function/crashy/ok`, {
							method: "POST",
							body: "y",
						}).then(async (r) => `${r.status} ${await r.text()}`),
					),
				),
			);
			assert.deepEqual(after, Array(24).fill("200 alive"));
		}
	});
});

describe("streamed answers", () => {
	it("the client gets the upstream's first bytes before the upstream has finished", async () => {
		const started = performance.now();
		const res = await fetch(`${gw.url}/function/drip`);
		assert.equal(res.status, 200);
		const reader = (res.body as ReadableStream<Uint8Array>).getReader();
		const first = await reader.read();
		const firstAt = performance.now() - started;
		assert.equal(Buffer.from(first.value as Uint8Array).toString(), "first\n");
		let rest = "";
		for (let r = await reader.read(); !r.done; r = await reader.read())
			rest += Buffer.from(r.value).toString();
		const totalAt = performance.now() - started;
		assert.equal(rest, "second\n");
		assert.ok(firstAt < 450, `first chunk after ${Math.round(firstAt)} ms`);
		assert.ok(totalAt >= 550, `whole answer after ${Math.round(totalAt)} ms`);
	});
});

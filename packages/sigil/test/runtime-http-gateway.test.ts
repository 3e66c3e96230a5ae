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
	await gw.deploy("slow", {
		runtime: "http",
		upstream: upstreamUrl,
		timeout: "400ms",
	});
	await gw.deploy(
		"served",
		{
			runtime: "http",
			fprocess: `'${process.execPath}' server.mjs`,
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

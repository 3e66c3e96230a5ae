// Adversarial: what a client can hold at the socket level without ever sending a valid request.
// Raw TCP sockets against a real gateway whose limits are shortened (GatewayOptions.server), so
// each bound is seen to hold within its timeout plus the server's check interval: a socket
// trickling its headers, a silent socket, a body that stops, a connection flood over the cap,
// a pipelining flood, a request with too many headers. Normal requests keep working throughout.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
	type Gateway,
	type GatewayOptions,
	startGateway,
} from "../../src/gateway/server.ts";
import { REGION, ROOT_KEY, signedFetch } from "../helpers/gateway.ts";

const HEADERS_TIMEOUT_MS = 1_000;
/** What "promptly" allows past a deadline: the check interval (≤ 1 s) and a loaded CI machine. */
const SLACK_MS = 1_000;

interface Started {
	readonly gateway: Gateway;
	readonly port: number;
	readonly logs: string[];
	stop(): Promise<void>;
}

async function start(server: GatewayOptions["server"]): Promise<Started> {
	const dataDir = await mkdtemp(join(tmpdir(), "sigil-slowloris-"));
	const logs: string[] = [];
	const gateway = await startGateway({
		host: "127.0.0.1",
		port: 0,
		dataDir,
		region: REGION,
		env: {
			SIGIL_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
			SIGIL_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
		},
		log: (line) => logs.push(line),
		drainMs: 1_000,
		server,
	});
	return {
		gateway,
		port: Number(new URL(gateway.url).port),
		logs,
		async stop() {
			await gateway.close();
			await rm(dataDir, { recursive: true, force: true });
		},
	};
}

/**
 * A raw client socket that never closes its side (allowHalfOpen), as a hostile client would not:
 * the server has let go only once the socket is gone on its end too, not merely half-closed.
 */
interface Client {
	readonly socket: Socket;
	/** Everything received so far. */
	text(): string;
	/**
	 * Resolves with the milliseconds from `since` until the server closed the connection (its FIN
	 * or reset), or `Infinity` after `withinMs`. After a FIN the client keeps writing: the server
	 * must have destroyed the socket (a reset follows), not kept it half-open.
	 */
	gone(withinMs: number): Promise<number>;
}

async function open(port: number): Promise<Client> {
	const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
	let text = "";
	socket.on("data", (d: Buffer) => {
		text += d.toString("latin1");
	});
	socket.on("error", () => {});
	await new Promise<void>((resolve, reject) => {
		socket.once("connect", resolve);
		socket.once("error", reject);
	});
	const began = performance.now();
	let endedAt: number | undefined;
	const closed = new Promise<void>((resolve) => socket.once("close", resolve));
	socket.once("end", () => {
		endedAt = performance.now();
		const probe = setInterval(() => {
			if (!socket.destroyed) socket.write("x");
		}, 50);
		void closed.then(() => clearInterval(probe));
	});
	return {
		socket,
		text: () => text,
		async gone(withinMs) {
			const limit = new Promise<"late">((r) =>
				setTimeout(() => r("late"), withinMs).unref(),
			);
			if ((await Promise.race([closed, limit])) === "late")
				return Number.POSITIVE_INFINITY;
			return (endedAt ?? performance.now()) - began;
		},
	};
}

async function info(port: number): Promise<number> {
	const res = await fetch(`http://127.0.0.1:${port}/sigil/v1/info`, {
		headers: { connection: "close" },
	});
	await res.arrayBuffer();
	return res.status;
}

describe("timeouts are enforced promptly", { concurrency: true }, () => {
	let gw: Started;
	before(async () => {
		gw = await start({
			headersTimeoutMs: HEADERS_TIMEOUT_MS,
			requestTimeoutMs: 2_000,
			idleTimeoutMs: 1_500,
			maxHeaders: 20,
			maxPipelined: 8,
		});
	});
	after(() => gw.stop());

	test("a socket trickling its headers a byte every 200 ms is closed at the header timeout", async () => {
		const c = await open(gw.port);
		c.socket.write("GET /sigil/v1/info HTTP/1.1\r\nHost: x\r\nX-Slow: ");
		const trickle = setInterval(() => {
			if (!c.socket.destroyed) c.socket.write("a");
		}, 200);
		const ms = await c.gone(HEADERS_TIMEOUT_MS + SLACK_MS + 1_000);
		clearInterval(trickle);
		assert.ok(
			ms <= HEADERS_TIMEOUT_MS + SLACK_MS,
			`closed after ${ms} ms; the header timeout is ${HEADERS_TIMEOUT_MS} ms`,
		);
		assert.ok(ms >= HEADERS_TIMEOUT_MS - 100, `closed early, after ${ms} ms`);
	});

	test("a socket that connects and sends nothing is closed at the header timeout", async () => {
		const c = await open(gw.port);
		const ms = await c.gone(HEADERS_TIMEOUT_MS + SLACK_MS + 1_000);
		assert.ok(ms <= HEADERS_TIMEOUT_MS + SLACK_MS, `closed after ${ms} ms`);
	});

	test("a body that stops arriving is cut off (idle or request timeout)", async () => {
		const c = await open(gw.port);
		c.socket.write(
			'PUT /sigil/v1/secrets/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"va',
		);
		const ms = await c.gone(2_000 + SLACK_MS + 1_000);
		assert.ok(ms <= 2_000 + SLACK_MS, `closed after ${ms} ms`);
	});

	test("too many header fields: 431, not a request with headers silently dropped", async () => {
		const many = await open(gw.port);
		const extra = Array.from({ length: 25 }, (_, i) => `X-H${i}: v\r\n`);
		many.socket.write(
			`GET /sigil/v1/info HTTP/1.1\r\nHost: x\r\n${extra.join("")}\r\n`,
		);
		assert.ok((await many.gone(2_000)) < 2_000, "the socket stayed open");
		assert.match(many.text(), /^HTTP\/1\.1 431 /);
		// At the limit (Host, Connection and 18 more: 20) is fine.
		const ok = await open(gw.port);
		ok.socket.write(
			`GET /sigil/v1/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra.slice(0, 18).join("")}\r\n`,
		);
		await ok.gone(2_000);
		assert.match(ok.text(), /^HTTP\/1\.1 200 /);
	});

	test("a pipelining flood closes the connection; a modest pipeline is answered in full", async () => {
		const flood = await open(gw.port);
		const one = "GET /sigil/v1/info HTTP/1.1\r\nHost: x\r\n\r\n";
		flood.socket.write(one.repeat(200));
		assert.ok(
			(await flood.gone(2_000)) < 2_000,
			"the flood's socket stayed open",
		);
		const answers = flood.text().match(/HTTP\/1\.1 200 /g)?.length ?? 0;
		assert.ok(answers < 200, `the flood was served: ${answers} answers`);

		const modest = await open(gw.port);
		modest.socket.write(
			one.repeat(7) +
				"GET /sigil/v1/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		);
		await modest.gone(2_000);
		assert.equal(modest.text().match(/HTTP\/1\.1 200 /g)?.length, 8);
	});

	test("a normal request is served meanwhile", async () => {
		assert.equal(await info(gw.port), 200);
	});

	test("a function that takes longer than the idle timeout is waited for, not cut off", async () => {
		const res = await signedFetch(
			gw.gateway.url,
			"PUT",
			"/sigil/v1/functions/sleepy",
			{
				body: JSON.stringify({
					config: {
						runtime: "node",
						timeout: "10s",
						trigger: { auth: "none" },
					},
					code: {
						files: [
							{
								path: "index.mjs",
								mode: 0o644,
								data: Buffer.from(
									"export const handler = async () => { await new Promise((r) => setTimeout(r, 2500)); return { slept: true }; };",
								).toString("base64"),
							},
						],
					},
				}),
				headers: { "content-type": "application/json" },
			},
		);
		assert.equal(res.status, 201, await res.text());
		const slow = await fetch(`${gw.gateway.url}/function/sleepy`);
		assert.equal(slow.status, 200);
		assert.deepEqual(await slow.json(), { slept: true });
	});
});

describe("the connection cap", () => {
	const CAP = 4;
	let gw: Started;
	before(async () => {
		// Long header timeout: the held sockets must outlive the test.
		gw = await start({ maxConnections: CAP, headersTimeoutMs: 10_000 });
	});
	after(() => gw.stop());

	test("refuses the socket over the cap at once, keeps the others, serves again once they close", async () => {
		const held: Client[] = [];
		for (let i = 0; i < CAP; i++) held.push(await open(gw.port));
		// The server counts a connection when it accepts it: let it catch up.
		await new Promise((r) => setTimeout(r, 100));
		const extra = await open(gw.port);
		const ms = await extra.gone(1_000);
		assert.ok(ms < 500, `the socket over the cap was closed after ${ms} ms`);
		assert.ok(
			gw.logs.some((l) => l.includes('"at":"connection-refused"')),
			"the refusal is logged",
		);
		// The held ones are still open and still served.
		for (const c of held) assert.equal(c.socket.readableEnded, false);
		const first = held[0] as Client;
		first.socket.write(
			"GET /sigil/v1/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		);
		await first.gone(2_000);
		assert.match(first.text(), /^HTTP\/1\.1 200 /);
		for (const c of held) c.socket.destroy();
		let status = 0;
		for (let i = 0; i < 20 && status !== 200; i++) {
			await new Promise((r) => setTimeout(r, 50));
			status = await info(gw.port).catch(() => 0);
		}
		assert.equal(status, 200);
	});
});

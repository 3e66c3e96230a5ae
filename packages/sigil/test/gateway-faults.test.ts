// One misbehaving function must never take the gateway or its neighbours down: throws, hangs,
// memory hogs and process.exit each cost only their own request. Restarts keep state, and a
// SIGTERM drains in-flight requests instead of dropping them.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import {
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "./helpers/gateway.ts";

const OK = `export const handler = async () => ({ statusCode: 200, body: "ok" });`;
const SLOW = `export const handler = async (e) => { await new Promise((r) => setTimeout(r, Number(e.queryStringParameters?.ms ?? 300))); return { statusCode: 200, body: "slow ok" }; };`;

describe("faulty functions", () => {
	let gw: TestGateway;
	before(async () => {
		gw = await startTestGateway();
		const none = { trigger: { auth: "none" } };
		await gw.deploy("ok", { runtime: "node", ...none }, { "index.mjs": OK });
		await gw.deploy(
			"thrower",
			{ runtime: "node", ...none },
			{
				"index.mjs": `export const handler = async () => { throw new Error("boom"); };`,
			},
		);
		await gw.deploy(
			"hang",
			{ runtime: "node", timeout: "300ms", ...none },
			{
				"index.mjs": `export const handler = () => new Promise(() => { for (;;) {} });`,
			},
		);
		await gw.deploy(
			"hog",
			{ runtime: "node", memory: 32, ...none },
			{
				"index.mjs": `export const handler = async () => { const a = []; for (;;) a.push(new Array(1e6).fill(Math.random())); };`,
			},
		);
		await gw.deploy(
			"quitter",
			{ runtime: "node", ...none },
			{
				"index.mjs": `export const handler = async () => { process.exit(3); };`,
			},
		);
		await gw.deploy(
			"narrow",
			{
				runtime: "node",
				concurrency: { max: 1, perInstance: 1, queue: 2 },
				...none,
			},
			{ "index.mjs": SLOW },
		);
	});
	after(() => gw.stop());

	const call = (name: string, q = "") =>
		fetch(`${gw.url}/function/${name}${q}`);
	const code = async (res: Response) =>
		((await res.json()) as { error: { code: string } }).error.code;

	test("a handler that throws → 502 FUNCTION_ERROR; the gateway keeps serving", async () => {
		const res = await call("thrower");
		assert.equal(res.status, 502);
		assert.equal(await code(res), "FUNCTION_ERROR");
		assert.equal((await call("ok")).status, 200);
	});

	test("a handler that spins past its timeout → 504, and its replacement serves", async () => {
		const res = await call("hang");
		assert.equal(res.status, 504);
		assert.equal(await code(res), "FUNCTION_TIMEOUT");
		assert.equal(
			(await call("hang")).status,
			504,
			"a fresh worker ran (and timed out) again",
		);
		assert.equal((await call("ok")).status, 200);
	});

	test("a handler that runs out of memory → 502 FUNCTION_CRASHED, others unaffected", async () => {
		const res = await call("hog");
		assert.equal(res.status, 502);
		assert.equal(await code(res), "FUNCTION_CRASHED");
		assert.equal((await call("ok")).status, 200);
	});

	test("process.exit in a handler → 502 FUNCTION_CRASHED, and the next call gets a fresh worker", async () => {
		assert.equal((await call("quitter")).status, 502);
		assert.equal((await call("quitter")).status, 502);
		assert.equal((await call("ok")).status, 200);
	});

	test("a burst past instances + queue: exactly the overflow gets 429", async () => {
		// max 1 instance × 1 in flight + 2 queued = 3 admitted; 3 more are refused.
		const results = await Promise.all(
			Array.from({ length: 6 }, () => call("narrow", "?ms=400")),
		);
		const statuses = results.map((r) => r.status).sort();
		assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429]);
		const refused = results.find((r) => r.status === 429) as Response;
		assert.equal(await code(refused), "FUNCTION_QUEUE_FULL");
	});
});

describe("process lifecycle", () => {
	let dataDir: string;
	before(async () => {
		dataDir = await mkdtemp(join(tmpdir(), "sigil-life-"));
	});
	after(() => rm(dataDir, { recursive: true, force: true }));

	async function spawnGateway(): Promise<{ child: ChildProcess; url: string }> {
		const child = spawn(
			process.execPath,
			[join(import.meta.dirname, "helpers", "gateway-process.ts"), dataDir],
			{ stdio: ["ignore", "pipe", "inherit"] },
		);
		const lines = createInterface({
			input: child.stdout as NodeJS.ReadableStream,
		});
		const [line] = (await once(lines, "line")) as [string];
		return { child, url: (JSON.parse(line) as { url: string }).url };
	}

	test("a restart keeps functions, keys and secrets", async () => {
		const gw = await startTestGateway({ dataDir });
		await gw.putSecret("kept", "value");
		await gw.deploy(
			"slow",
			{ runtime: "node", trigger: { auth: "aws_iam" }, secrets: ["kept"] },
			{ "index.mjs": SLOW },
		);
		await gw.stop();
		const again = await startTestGateway({ dataDir });
		try {
			const res = await signedFetch(again.url, "GET", "/function/slow?ms=1", {
				service: "lambda",
			});
			assert.equal(res.status, 200);
			const secrets = (await (
				await again.signed("GET", "/sigil/v1/secrets")
			).json()) as { secrets: { name: string }[] };
			assert.deepEqual(
				secrets.secrets.map((s) => s.name),
				["kept"],
			);
		} finally {
			await again.stop();
		}
	});

	test("SIGTERM during load: every request already accepted is answered", async () => {
		const { child, url } = await spawnGateway();
		const inflight = Array.from({ length: 8 }, () =>
			signedFetch(url, "GET", "/function/slow?ms=700", { service: "lambda" }),
		);
		await new Promise((r) => setTimeout(r, 200));
		child.kill("SIGTERM");
		const results = await Promise.all(inflight);
		assert.deepEqual(
			results.map((r) => r.status),
			Array(8).fill(200),
		);
		const [exitCode] = (await once(child, "exit")) as [number];
		assert.equal(exitCode, 0);
	});
});

describe("deploys that cannot start", () => {
	let gw: TestGateway;
	before(async () => {
		gw = await startTestGateway();
	});
	after(() => gw.stop());

	test("a redeploy that cannot start (python3 without its vendored requirements) is refused; the live version keeps serving", async () => {
		await gw.deploy(
			"stable",
			{ runtime: "node", trigger: { auth: "none" } },
			{ "index.mjs": OK },
		);
		const refused = await gw.signed("PUT", "/sigil/v1/functions/stable", {
			body: JSON.stringify({
				config: { runtime: "python3", trigger: { auth: "none" } },
				code: {
					files: [
						{
							path: "handler.py",
							mode: 0o644,
							data: Buffer.from("def handle(req):\n    return req\n").toString(
								"base64",
							),
						},
						{
							path: "requirements.txt",
							mode: 0o644,
							data: Buffer.from("requests\n").toString("base64"),
						},
					],
				},
			}),
			headers: { "content-type": "application/json" },
		});
		assert.equal(refused.status, 400, await refused.clone().text());
		const fn = (await (
			await gw.signed("GET", "/sigil/v1/functions/stable")
		).json()) as { function: { runtime: string; revision: number } };
		assert.equal(
			fn.function.runtime,
			"node",
			"the store still holds the live version",
		);
		assert.equal((await fetch(`${gw.url}/function/stable`)).status, 200);
	});
});

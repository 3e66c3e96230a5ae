// Async enqueue benchmark (issue 4): how many invocations per second the gateway accepts with
// 202 (each one durable: SQLite in WAL mode with synchronous = FULL, so every enqueue is an
// fsync'd commit before the 202), beside the synchronous RequestResponse baseline in the same
// run. The gateway runs in its own process with the worker paused, so the figure is the accept
// path alone; the load generator shares the machine.
//   npx node packages/sigil/bench/async.bench.ts [--json]   BENCH_SECONDS (3), BENCH_CONNECTIONS (16)
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { SigningKeyCache, signSigV4 } from "@sigil/signature";

const json = process.argv.includes("--json");
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
// The test gateway's root key (test/helpers/gateway.ts): AWS's documented example pair.
const KEY = {
	accessKeyId: "AKIAIOSFODNN7EXAMPLE",
	secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
const keyCache = new SigningKeyCache();

async function startGateway(
	dataDir: string,
): Promise<{ child: ChildProcess; url: string }> {
	const options = {
		paused: true,
		maxQueuedPerFunction: 1e9,
		maxQueuedPerAccount: 1e9,
	};
	const script = join(
		import.meta.dirname,
		"..",
		"test",
		"async-gateway-process.ts",
	);
	const child = spawn(
		process.execPath,
		[script, dataDir, JSON.stringify(options)],
		{ stdio: ["ignore", "pipe", "inherit"] },
	);
	const [line] = (await once(
		createInterface({ input: child.stdout as NodeJS.ReadableStream }),
		"line",
	)) as [string];
	return { child, url: (JSON.parse(line) as { url: string }).url };
}

interface Req {
	readonly method: string;
	readonly path: string;
	readonly headers: Record<string, string>;
	readonly body: string;
}

function signed(
	host: string,
	method: string,
	path: string,
	body: string,
	service: string,
	extra: Record<string, string> = {},
): Req {
	const s = signSigV4({ method, host, path, headers: extra, body }, KEY, {
		region: "us-east-1",
		service,
		now: Date.now(),
		keyCache,
	});
	return { method, path, headers: { ...extra, ...s.headers }, body };
}

async function drive(
	url: string,
	ms: number,
	expect: number,
	next: (i: number) => Req,
): Promise<{ opsPerSec: number; errors: number }> {
	const u = new URL(url);
	const agent = new Agent({ keepAlive: true, maxSockets: connections });
	let ok = 0;
	let errors = 0;
	let issued = 0;
	const deadline = performance.now() + ms;
	const one = (r: Req) =>
		new Promise<void>((resolve) => {
			const req = request(
				{
					host: u.hostname,
					port: u.port,
					path: r.path,
					method: r.method,
					headers: r.headers,
					agent,
				},
				(res) => {
					res.resume();
					res.on("end", () => {
						if (res.statusCode === expect) ok++;
						else errors++;
						resolve();
					});
				},
			);
			req.on("error", () => {
				errors++;
				resolve();
			});
			req.end(r.body);
		});
	const start = performance.now();
	await Promise.all(
		Array.from({ length: connections }, async () => {
			while (performance.now() < deadline) await one(next(issued++));
		}),
	);
	agent.destroy();
	return { opsPerSec: ok / ((performance.now() - start) / 1000), errors };
}

const dataDir = await mkdtemp(join(tmpdir(), "sigil-bench-async-"));
const gw = await startGateway(dataDir);
const host = new URL(gw.url).host;
try {
	const code = {
		files: [
			{
				path: "index.mjs",
				mode: 420,
				data: Buffer.from(
					"export const handler = async (e) => ({ ok: true });",
				).toString("base64"),
			},
		],
	};
	const deployBody = JSON.stringify({
		config: { runtime: "node", trigger: { auth: "none" } },
		code,
	});
	const d = signed(
		host,
		"PUT",
		"/sigil/v1/functions/trivial",
		deployBody,
		"sigil",
		{ "content-type": "application/json" },
	);
	const res = await fetch(`${gw.url}${d.path}`, {
		method: d.method,
		headers: d.headers,
		body: d.body,
	});
	if (res.status !== 201)
		throw new Error(`deploy → ${res.status} ${await res.text()}`);

	// Requests are signed before the clock starts, each distinct (its own body), so the load
	// generator spends its core on load, not on HMACs.
	const pool = (n: number, make: (i: number) => Req) =>
		Array.from({ length: n }, (_, i) => make(i));
	const POOL = Number(process.env.BENCH_POOL ?? 8000 * seconds);
	const invoke = "/2015-03-31/functions/trivial/invocations";
	const cases: [string, number, Req[]][] = [
		[
			"sync.lambda-invoke.RequestResponse",
			200,
			pool(POOL, (i) => signed(host, "POST", invoke, `{"n":${i}}`, "lambda")),
		],
		[
			"async.lambda-invoke.Event",
			202,
			pool(POOL, (i) =>
				signed(host, "POST", invoke, `{"n":${i}}`, "lambda", {
					"x-amz-invocation-type": "Event",
				}),
			),
		],
		[
			"async.openfaas.async-function",
			202,
			pool(POOL, (i) => ({
				method: "POST",
				path: "/async-function/trivial",
				headers: {},
				body: `{"n":${i}}`,
			})),
		],
	];
	for (const [, expect, reqs] of cases)
		await drive(gw.url, 500, expect, (i) => reqs[i % reqs.length] as Req); // warm-up
	const results: { name: string; opsPerSec: number; errors: number }[] = [];
	for (const [name, expect, reqs] of cases)
		results.push({
			name,
			...(await drive(gw.url, seconds * 1000, expect, (i) => {
				const r = reqs[i];
				if (!r) throw new Error("pre-signed pool exhausted: raise BENCH_POOL");
				return r;
			})),
		});
	if (json)
		for (const r of results)
			console.log(
				JSON.stringify({ name: r.name, opsPerSec: Math.round(r.opsPerSec) }),
			);
	else {
		console.log(
			`async benchmark: ${connections} connections, ${seconds}s per case, SQLite WAL + synchronous=FULL (each 202 is an fsync'd commit), node ${process.version}`,
		);
		for (const r of results)
			console.log(
				`  ${r.name.padEnd(36)} ${Math.round(r.opsPerSec).toLocaleString("en").padStart(8)} ops/s   errors ${r.errors}`,
			);
	}
} finally {
	gw.child.kill("SIGTERM");
	await once(gw.child, "exit");
	await rm(dataDir, { recursive: true, force: true });
}

// Gateway benchmark (issue 3): requests/s and p50/p99 latency at 32 connections for a trivial
// function behind `aws_iam` and behind `none`, against a bare node:http server measured in the
// same run. Every signed request is distinct (its own query and time), so none is a replay.
// The load generator shares the machine (2 cores), as the target says.
//   npm run bench:gateway [-- --json]     BENCH_SECONDS (default 5), BENCH_CONNECTIONS (32)
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { SigningKeyCache, signSigV4 } from "@sigil/signature";
import { BENCH_KEY } from "./bench-servers.ts";

const json = process.argv.includes("--json");
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);

async function startServer(
	kind: string,
): Promise<{ child: ChildProcess; url: string }> {
	const child = spawn(
		process.execPath,
		[join(import.meta.dirname, "bench-servers.ts"), kind],
		{ stdio: ["ignore", "pipe", "inherit"] },
	);
	const [line] = (await once(
		createInterface({ input: child.stdout as NodeJS.ReadableStream }),
		"line",
	)) as [string];
	return { child, url: (JSON.parse(line) as { url: string }).url };
}

type Req = { path: string; headers: Record<string, string> };

/** Runs `connections` concurrent request loops for `ms`, taking requests from `next`. */
async function drive(
	url: string,
	ms: number,
	next: (i: number) => Req,
): Promise<{ rps: number; p50Ms: number; p99Ms: number; errors: number }> {
	const u = new URL(url);
	const agent = new Agent({ keepAlive: true, maxSockets: connections });
	const latencies: number[] = [];
	let errors = 0;
	let issued = 0;
	const deadline = performance.now() + ms;
	const one = (r: Req) =>
		new Promise<void>((resolve) => {
			const t0 = performance.now();
			const req = request(
				{
					host: u.hostname,
					port: u.port,
					path: r.path,
					method: "GET",
					headers: r.headers,
					agent,
				},
				(res) => {
					res.resume();
					res.on("end", () => {
						if (res.statusCode === 200) latencies.push(performance.now() - t0);
						else errors++;
						resolve();
					});
				},
			);
			req.on("error", () => {
				errors++;
				resolve();
			});
			req.end();
		});
	const start = performance.now();
	await Promise.all(
		Array.from({ length: connections }, async () => {
			while (performance.now() < deadline) await one(next(issued++));
		}),
	);
	const elapsed = (performance.now() - start) / 1000;
	agent.destroy();
	latencies.sort((a, b) => a - b);
	const pct = (p: number) =>
		latencies[
			Math.min(latencies.length - 1, Math.floor(latencies.length * p))
		] ?? Number.NaN;
	return {
		rps: latencies.length / elapsed,
		p50Ms: pct(0.5),
		p99Ms: pct(0.99),
		errors,
	};
}

const bare = await startServer("bare");
const gateway = await startServer("gateway");
const host = new URL(gateway.url).host;
const keyCache = new SigningKeyCache();
// Requests are signed before the clock starts, so the load generator spends its core on load.
// Each is distinct (its own query); the pool is sized well past what 2 cores can send.
const presigned: Req[] = [];
const presign = (count: number) => {
	presigned.length = 0;
	const now = Date.now();
	for (let i = 0; i < count; i++) {
		const s = signSigV4(
			{ method: "GET", host, path: "/function/trivial-iam", query: `n=${i}` },
			BENCH_KEY,
			{ region: "us-east-1", service: "lambda", now, keyCache },
		);
		presigned.push({
			path: `/function/trivial-iam?n=${i}`,
			headers: { ...s.headers },
		});
	}
};
const POOL = Number(process.env.BENCH_POOL ?? 25_000 * seconds);
const signedReq = (i: number): Req => {
	const r = presigned[i];
	if (!r)
		throw new Error(`pre-signed pool of ${POOL} exhausted: raise BENCH_POOL`);
	return r;
};
const cases: [string, string, (i: number) => Req][] = [
	[
		"baseline.bare-node-http",
		bare.url,
		(i) => ({ path: `/?n=${i}`, headers: {} }),
	],
	[
		"gateway.none",
		gateway.url,
		(i) => ({ path: `/function/trivial?n=${i}`, headers: {} }),
	],
	["gateway.aws_iam", gateway.url, signedReq],
];
presign(POOL);
for (const [, url, next] of cases) await drive(url, 1000, next); // warm-up: JIT, workers, keep-alive
const results = new Map<string, Awaited<ReturnType<typeof drive>>>();
for (const [name, url, next] of cases) {
	if (next === signedReq) presign(POOL);
	results.set(name, await drive(url, seconds * 1000, next));
}
bare.child.kill("SIGTERM");
gateway.child.kill("SIGTERM");

const base = results.get("baseline.bare-node-http");
const iam = results.get("gateway.aws_iam");
if (json) {
	for (const [name, r] of results)
		console.log(
			JSON.stringify({
				name,
				rps: Math.round(r.rps),
				p50Ms: Math.round(r.p50Ms * 100) / 100,
				p99Ms: Math.round(r.p99Ms * 100) / 100,
				errors: r.errors,
			}),
		);
	if (base && iam)
		console.log(
			JSON.stringify({
				name: "ratio.aws_iam/bare",
				rps: Math.round((iam.rps / base.rps) * 100) / 100,
				p99: Math.round((iam.p99Ms / base.p99Ms) * 100) / 100,
			}),
		);
} else {
	console.log(
		`gateway benchmark: ${connections} connections, ${seconds}s per case, node ${process.version}`,
	);
	for (const [name, r] of results)
		console.log(
			`  ${name.padEnd(26)} ${Math.round(r.rps).toLocaleString("en").padStart(8)} req/s   p50 ${r.p50Ms.toFixed(2)} ms   p99 ${r.p99Ms.toFixed(2)} ms   errors ${r.errors}`,
		);
	if (base && iam)
		console.log(
			`  aws_iam / bare: throughput ${(iam.rps / base.rps).toFixed(2)}× (target ≥ 0.5), p99 ${(iam.p99Ms / base.p99Ms).toFixed(2)}× (target ≤ 2)`,
		);
}
process.exit(0);

// Runtime benchmark (issue 9), every function in its sandbox and deployed with default settings:
// 1. req/s, p50/p99 and errors under wrk per runtime — node (warm processes, framed protocol),
//    python3 (warm Python host, OpenFaaS handle(req)), provided (a stdlib-Python bootstrap on
//    the Lambda Runtime API), process (`cat`, one sandboxed fork per request). Unsigned triggers,
//    so the figures are the runtimes', not the signature check's (gateway.bench.ts has that).
// 2. cold start to first response: the gateway restarted on the same data directory, the first
//    request to each function starts its runtime and first instance (min 0: none runs before).
// 3. idle memory: a gateway restarted the same way, 10 node functions each answered once (one
//    warm instance each), then left idle: RSS and PSS of the gateway and all its descendants.
//
//   npm run bench:runtimes [-- --json]
//   BENCH_SECONDS (8 per runtime), BENCH_WARMUP (2), BENCH_CONNECTIONS (8), BENCH_THREADS (2),
//   BENCH_COLD_ROUNDS (3 restarts), BENCH_IDLE_FUNCTIONS (10)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
	type BenchFunction,
	type BenchServer,
	files,
	round2,
	serveGateway,
	spawnServer,
} from "./harness.ts";
import { treeMemory } from "./proc-cpu.ts";
import { prepare, runWrk, type WrkFigures } from "./wrk.ts";

const NODE_HANDLER = `export const handler = async (event) => ({ statusCode: 200, headers: { "content-type": "text/plain" }, body: event.isBase64Encoded ? Buffer.from(event.body, "base64").toString() : event.body });`;
const PY_HANDLER = "def handle(req):\n    return req\n";
/** A provided.al2023-style bootstrap in Python's standard library: echoes the URL event's body. */
const PROVIDED_BOOTSTRAP = `#!/usr/bin/env python3
import base64, http.client, json, os
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
api = http.client.HTTPConnection(host, int(port))
base = "/2018-06-01/runtime/invocation/"
while True:
    api.request("GET", base + "next")
    r = api.getresponse()
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    event = json.loads(r.read())
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    answer = json.dumps({"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": body})
    api.request("POST", base + rid + "/response", answer.encode())
    api.getresponse().read()
`;

/** The functions measured, in report order; every setting not named is the default. */
const RUNTIMES: BenchFunction[] = [
	["bench-node", { runtime: "node" }, files({ "index.mjs": NODE_HANDLER })],
	[
		"bench-python3",
		{ runtime: "python3" },
		files({ "handler.py": PY_HANDLER }),
	],
	[
		"bench-provided",
		{ runtime: "provided" },
		files({ bootstrap: PROVIDED_BOOTSTRAP }, ["bootstrap"]),
	],
	["bench-process", { runtime: "process", fprocess: "cat" }, files({})],
];
const IDLE_COUNT = Number(process.env.BENCH_IDLE_FUNCTIONS ?? 10);
const IDLE: BenchFunction[] = Array.from({ length: IDLE_COUNT }, (_, i) => [
	`idle-${i}`,
	{ runtime: "node" },
	files({ "index.mjs": NODE_HANDLER }),
]);

const BODY = "hello";

/** One echo through the gateway; throws unless the body comes back. Resolves to its ms. */
async function echo(url: string, name: string): Promise<number> {
	const t0 = performance.now();
	const res = await fetch(new URL(`/function/${name}`, url), {
		method: "POST",
		headers: { "content-type": "text/plain" },
		body: BODY,
	});
	const text = await res.text();
	const ms = performance.now() - t0;
	if (res.status !== 200 || text.trimEnd() !== BODY)
		throw new Error(`${name}: ${res.status} ${text.slice(0, 500)}`);
	return ms;
}

const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
	const json = process.argv.includes("--json");
	const env = (name: string, fallback: number) =>
		Number(process.env[name] ?? fallback);
	const seconds = env("BENCH_SECONDS", 8);
	const warmup = env("BENCH_WARMUP", 2);
	const connections = env("BENCH_CONNECTIONS", 8);
	const threads = env("BENCH_THREADS", 2);
	const rounds = env("BENCH_COLD_ROUNDS", 3);
	const work = await mkdtemp(join(tmpdir(), "sigil-bench-runtimes-"));
	const dataDir = join(work, "data");
	const log = join(work, "gateway.log");
	const serve = (deploy: boolean) =>
		spawnServer(
			import.meta.filename,
			["serve", dataDir, deploy ? "deploy" : "keep"],
			log,
		);
	let server: BenchServer | undefined;
	try {
		// 1. Throughput, on the gateway that deployed everything.
		server = await serve(true);
		const figures = new Map<string, WrkFigures>();
		for (const [name] of RUNTIMES) {
			await echo(server.url, name); // the answer is right before it is fast
			const host = new URL(server.url).host;
			const req = Array.from({ length: 200 }, (_, i) => ({
				method: "POST",
				path: `/function/${name}?n=${i}`,
				headers: { "content-type": "text/plain" },
				body: BODY,
			}));
			const prepared = await prepare(work, name, host, req);
			const run = (s: number) =>
				runWrk({
					url: server?.url as string,
					...prepared,
					seconds: s,
					connections,
					threads,
				});
			if (warmup > 0) await run(warmup);
			figures.set(name.replace("bench-", ""), await run(seconds));
		}
		await server.stop();

		// 2. Cold start: each restart finds the functions deployed and none running.
		const cold = new Map<string, number[]>();
		const warm = new Map<string, number[]>();
		for (let r = 0; r < rounds; r++) {
			server = await serve(false);
			for (const [name] of RUNTIMES) {
				const key = name.replace("bench-", "");
				cold.set(key, [...(cold.get(key) ?? []), await echo(server.url, name)]);
				warm.set(key, [...(warm.get(key) ?? []), await echo(server.url, name)]);
			}
			await server.stop();
		}

		// 3. Idle memory with IDLE_COUNT warm functions.
		server = await serve(false);
		for (const [name] of IDLE) await echo(server.url, name);
		await sleep(2_000); // let start-up garbage go
		const mem = treeMemory(server.child.pid as number);
		await server.stop();
		server = undefined;

		const mb = (b: number) => Math.round(b / (1024 * 1024));
		const totalPss = mem.selfPssBytes + mem.childrenPssBytes;
		const totalRss = mem.selfRssBytes + mem.childrenRssBytes;
		if (json) {
			for (const [name, f] of figures) {
				console.log(
					JSON.stringify({
						name: `runtime.${name}`,
						rps: Math.round(f.rps),
						p50Ms: round2(f.p50Ms),
						p99Ms: round2(f.p99Ms),
						errors: f.errors,
						coldStartMs: round2(median(cold.get(name) ?? [])),
						coldStartMaxMs: round2(Math.max(...(cold.get(name) ?? []))),
						warmMs: round2(median(warm.get(name) ?? [])),
					}),
				);
			}
			console.log(
				JSON.stringify({
					name: "idle-memory",
					functions: IDLE_COUNT,
					processes: mem.children + 1,
					gatewayRssMb: mb(mem.selfRssBytes),
					gatewayPssMb: mb(mem.selfPssBytes),
					totalRssMb: mb(totalRss),
					totalPssMb: mb(totalPss),
				}),
			);
		} else {
			console.log(
				`runtime benchmark: wrk ${threads} threads, ${connections} connections, ${seconds}s per runtime (+${warmup}s warm-up), default settings, every function sandboxed, node ${process.version}`,
			);
			console.log(
				"  runtime       req/s    p50 ms   p99 ms  errors   cold start (median, max of restarts)   next request",
			);
			for (const [name, f] of figures) {
				const c = cold.get(name) ?? [];
				console.log(
					`  ${name.padEnd(9)} ${Math.round(f.rps).toLocaleString("en").padStart(8)}  ${f.p50Ms.toFixed(2).padStart(8)} ${f.p99Ms.toFixed(2).padStart(8)} ${String(f.errors).padStart(7)}   ${median(c).toFixed(0).padStart(6)} ms, ${Math.max(
						...c,
					)
						.toFixed(0)
						.padStart(
							4,
						)} ms (${c.length} restarts)             ${median(warm.get(name) ?? []).toFixed(1)} ms`,
				);
			}
			console.log(
				`  cold start targets: ≤ 150 ms for node and python3 (first request after a gateway restart: runtime set-up, sandbox, first instance, the answer)`,
			);
			console.log(
				`  idle memory, gateway + ${IDLE_COUNT} warm node functions (${mem.children + 1} processes): PSS ${mb(totalPss)} MB (gateway ${mb(mem.selfPssBytes)} MB), RSS summed ${mb(totalRss)} MB (gateway ${mb(mem.selfRssBytes)} MB; shared pages counted per process) — target ≤ 600 MB`,
			);
		}
		for (const [name, f] of figures)
			if (f.errors > 0)
				console.error(
					`${name}: ${f.errors} requests failed ${JSON.stringify(f.errorKinds)}`,
				);
	} finally {
		await server?.stop();
		await rm(work, { recursive: true, force: true });
	}
	process.exit(0);
}

if (process.argv[2] === "serve")
	await serveGateway([...RUNTIMES, ...IDLE], {
		dataDir: process.argv[3] as string,
		deploy: process.argv[4] === "deploy",
	});
else await main();

// Runtime benchmark (issue 4): requests/s and p50/p99 latency through the real gateway for a
// `process` function (`cat`, one fork per request, OpenFaaS classic watchdog) and a `python3`
// function (the shipped watchdog + an echo handler.py, one interpreter per request), with the
// `node` worker-pool function as the same-run baseline. Unsigned triggers (auth none), so the
// figures are the runtimes' cost, not the signature check's (see gateway.bench.ts for that).
// The gateway runs in its own process; the load generator shares the machine.
//   npx node packages/sigil/bench/runtimes.bench.ts [--json]
//   BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 8)
import {
	type BenchFunction,
	drive,
	type Figures,
	files,
	round2,
	serveGateway,
	spawnServer,
} from "./harness.ts";

const NODE_HANDLER = `export const handler = async (event) => ({ statusCode: 200, headers: { "content-type": "text/plain" }, body: event.isBase64Encoded ? Buffer.from(event.body, "base64").toString() : event.body });`;
const PY_HANDLER = "def handle(req):\n    return req\n";
/** The functions measured, in report order. */
const FUNCTIONS: BenchFunction[] = [
	[
		"bench-node",
		{
			runtime: "node",
			concurrency: { min: 1, max: 2, perInstance: 64, queue: 10_000 },
		},
		files({ "index.mjs": NODE_HANDLER }),
	],
	[
		"bench-process",
		{
			runtime: "process",
			fprocess: "cat",
			concurrency: { max: 8, queue: 10_000 },
		},
		files({}),
	],
	[
		"bench-python3",
		{ runtime: "python3", concurrency: { max: 8, queue: 10_000 } },
		files({ "handler.py": PY_HANDLER }),
	],
];

async function main(): Promise<void> {
	const json = process.argv.includes("--json");
	const seconds = Number(process.env.BENCH_SECONDS ?? 5);
	const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);
	const { child, url } = await spawnServer(import.meta.filename, ["serve"]);
	// Only a 200 echoing the body counts as an answer.
	const echo = (path: string) => () => ({
		method: "POST",
		path,
		headers: { "content-type": "text/plain" },
		body: "hello",
	});
	const echoed = (status: number, body: string) =>
		status === 200 && body.trimEnd() === "hello";
	const results = new Map<string, Figures>();
	for (const [name] of FUNCTIONS) {
		const next = echo(`/function/${name}`);
		await drive(url, 1000, connections, next, echoed); // warm-up: JIT, workers, page cache
		results.set(
			name.replace("bench-", ""),
			await drive(url, seconds * 1000, connections, next, echoed),
		);
	}
	child.kill("SIGTERM");
	if (json) {
		for (const [name, r] of results)
			console.log(
				JSON.stringify({
					name: `runtime.${name}`,
					rps: Math.round(r.rps),
					p50Ms: round2(r.p50Ms),
					p99Ms: round2(r.p99Ms),
				}),
			);
	} else {
		console.log(
			`runtime benchmark: ${connections} connections, ${seconds}s per function, node ${process.version}`,
		);
		for (const [name, r] of results)
			console.log(
				`  ${name.padEnd(8)} ${Math.round(r.rps).toLocaleString("en").padStart(7)} req/s   p50 ${r.p50Ms.toFixed(2)} ms   p99 ${r.p99Ms.toFixed(2)} ms   errors ${r.errors}`,
			);
	}
	for (const [name, r] of results)
		if (r.errors > 0) console.error(`${name}: ${r.errors} requests failed`);
	process.exit(0);
}

if (process.argv[2] === "serve") await serveGateway(FUNCTIONS);
else await main();

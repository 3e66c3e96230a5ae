// Runtime benchmark (issue 4): requests/s and p50/p99 latency through the real gateway for a
// `process` function (`cat`, one fork per request, OpenFaaS classic watchdog) and a `python3`
// function (the shipped watchdog + an echo handler.py, one interpreter per request), with the
// `node` worker-pool function as the same-run baseline. Unsigned triggers (auth none), so the
// figures are the runtimes' cost, not the signature check's (see gateway.bench.ts for that).
// The gateway runs in its own process; the load generator shares the machine.
//   npx node packages/sigil/bench/runtimes.bench.ts [--json]
//   BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 8)
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { startGateway } from "../src/gateway/server.ts";

const KEY = {
	accessKeyId: "AKIABENCHRUNTIMES000",
	secretAccessKey: "benchruntimesbenchruntimesbenchruntimes0",
};
const NODE_HANDLER = `export const handler = async (event) => ({ statusCode: 200, headers: { "content-type": "text/plain" }, body: event.isBase64Encoded ? Buffer.from(event.body, "base64").toString() : event.body });`;
const PY_HANDLER = "def handle(req):\n    return req\n";
const files = (entries: Record<string, string>) => ({
	files: Object.entries(entries).map(([path, text]) => ({
		path,
		mode: 0o644,
		data: Buffer.from(text).toString("base64"),
	})),
});
/** The functions measured, in report order. */
const FUNCTIONS: [string, Record<string, unknown>, ReturnType<typeof files>][] =
	[
		[
			"node",
			{
				runtime: "node",
				concurrency: { min: 1, max: 2, perInstance: 64, queue: 10_000 },
			},
			files({ "index.mjs": NODE_HANDLER }),
		],
		[
			"process",
			{
				runtime: "process",
				fprocess: "cat",
				concurrency: { max: 8, queue: 10_000 },
			},
			files({}),
		],
		[
			"python3",
			{ runtime: "python3", concurrency: { max: 8, queue: 10_000 } },
			files({ "handler.py": PY_HANDLER }),
		],
	];

/** Child mode: a gateway with the three functions; prints `{"url"}` once they are deployed. */
async function serve(): Promise<void> {
	const dataDir = await mkdtemp(join(tmpdir(), "sigil-bench-runtimes-"));
	const gateway = await startGateway({
		host: "127.0.0.1",
		port: 0,
		dataDir,
		region: "us-east-1",
		env: {
			SIGIL_ROOT_ACCESS_KEY_ID: KEY.accessKeyId,
			SIGIL_ROOT_SECRET_ACCESS_KEY: KEY.secretAccessKey,
		},
		log: () => {},
	});
	const { signSigV4 } = await import("@sigil/signature");
	for (const [name, config, code] of FUNCTIONS) {
		const body = JSON.stringify({ config, code });
		const u = new URL(`/sigil/v1/functions/bench-${name}`, gateway.url);
		const headers = { "content-type": "application/json" };
		const s = signSigV4({ method: "PUT", url: u, headers, body }, KEY, {
			region: "us-east-1",
			service: "sigil",
			now: Date.now(),
		});
		const res = await fetch(u, {
			method: "PUT",
			headers: { ...headers, ...s.headers },
			body,
		});
		if (res.status >= 300)
			throw new Error(`deploy ${name}: ${res.status} ${await res.text()}`);
	}
	process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);
	const stop = () =>
		void gateway
			.close()
			.then(() => rm(dataDir, { recursive: true, force: true }))
			.then(() => process.exit(0));
	process.once("SIGTERM", stop);
	process.once("SIGINT", stop);
}

interface Figures {
	rps: number;
	p50Ms: number;
	p99Ms: number;
	errors: number;
}

/** `connections` request loops for `ms`; only 200s with the echoed body count as answers. */
async function drive(
	url: string,
	ms: number,
	connections: number,
): Promise<Figures> {
	const u = new URL(url);
	const agent = new Agent({ keepAlive: true, maxSockets: connections });
	const latencies: number[] = [];
	let errors = 0;
	const deadline = performance.now() + ms;
	const one = () =>
		new Promise<void>((resolve) => {
			const t0 = performance.now();
			const req = request(
				{
					host: u.hostname,
					port: u.port,
					path: u.pathname,
					method: "POST",
					agent,
					headers: { "content-type": "text/plain" },
				},
				(res) => {
					let body = "";
					res.on("data", (c) => {
						body += c;
					});
					res.on("end", () => {
						if (res.statusCode === 200 && body.trimEnd() === "hello")
							latencies.push(performance.now() - t0);
						else errors++;
						resolve();
					});
				},
			);
			req.on("error", () => {
				errors++;
				resolve();
			});
			req.end("hello");
		});
	const start = performance.now();
	await Promise.all(
		Array.from({ length: connections }, async () => {
			while (performance.now() < deadline) await one();
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

async function main(): Promise<void> {
	const json = process.argv.includes("--json");
	const seconds = Number(process.env.BENCH_SECONDS ?? 5);
	const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);
	const child: ChildProcess = spawn(
		process.execPath,
		[import.meta.filename, "serve"],
		{
			stdio: ["ignore", "pipe", "inherit"],
		},
	);
	const [line] = (await once(
		createInterface({ input: child.stdout as NodeJS.ReadableStream }),
		"line",
	)) as [string];
	const { url } = JSON.parse(line) as { url: string };
	const results = new Map<string, Figures>();
	for (const [name] of FUNCTIONS) {
		const target = `${url}/function/bench-${name}`;
		await drive(target, 1000, connections); // warm-up: JIT, workers, page cache
		results.set(name, await drive(target, seconds * 1000, connections));
	}
	child.kill("SIGTERM");
	const round = (x: number) => Math.round(x * 100) / 100;
	if (json) {
		for (const [name, r] of results)
			console.log(
				JSON.stringify({
					name: `runtime.${name}`,
					rps: Math.round(r.rps),
					p50Ms: round(r.p50Ms),
					p99Ms: round(r.p99Ms),
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

if (process.argv[2] === "serve") await serve();
else await main();

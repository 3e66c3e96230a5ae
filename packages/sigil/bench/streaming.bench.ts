// Response streaming benchmark (issue 11): what RESPONSE_STREAM buys and costs, as ratios
// against BUFFERED in the same run, on one sandboxed node function deployed twice (same code,
// the two invoke modes):
// 1. time to first byte of a handler that writes a line, works 300 ms, then writes the rest:
//    streamed, the line arrives at once; buffered, after the work.
// 2. throughput of a 5 MiB answer written in 64 KiB pieces: streamed (framed pieces, acks,
//    chunked HTTP) against buffered (the same pieces collected, one answer).
// 3. the gateway's memory with clients that stop reading: 8 streams of 19 MiB each, every
//    client reading its first bytes and then nothing; the gateway process's RSS growth against
//    the 152 MiB the handlers try to send (flow control should hold it to a few MiB a stream).
//
//   npx node packages/sigil/bench/streaming.bench.ts [--json]
//   BENCH_ROUNDS (20 per figure)
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import {
	type BenchFunction,
	files,
	round2,
	serveGateway,
	spawnServer,
} from "./harness.ts";

const HANDLER = `const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const piece = Buffer.alloc(64 * 1024, 120);
export const handler = awslambda.streamifyResponse(async (event, stream) => {
	const out = awslambda.HttpResponseStream.from(stream, { statusCode: 200, headers: { "content-type": "text/plain" } });
	if (event.rawPath === "/stall") {
		const MiB = Buffer.alloc(1024 * 1024, 120);
		for (let i = 0; i < 19; i++) if (!out.write(MiB)) await new Promise((r) => out.once("drain", r));
		out.end();
		return;
	}
	if (event.rawPath === "/ttfb") {
		out.write("first line\\n");
		await sleep(300);
		out.end("the rest\\n");
		return;
	}
	for (let i = 0; i < 80; i++) if (!out.write(piece)) await new Promise((r) => out.once("drain", r));
	out.end();
});`;

const code = files({ "index.mjs": HANDLER });
const FUNCTIONS: BenchFunction[] = [
	[
		"bench-stream",
		{
			runtime: "node",
			trigger: { auth: "none", invokeMode: "RESPONSE_STREAM" },
		},
		code,
	],
	[
		"bench-buffered",
		{ runtime: "node", trigger: { auth: "none", invokeMode: "BUFFERED" } },
		code,
	],
];

/** One GET: ms to the first body byte, ms to the end, bytes. */
function get(base: string, path: string) {
	return new Promise<{ firstMs: number; totalMs: number; bytes: number }>(
		(resolve, reject) => {
			const started = performance.now();
			let firstMs = -1;
			let bytes = 0;
			request(new URL(path, base), (res) => {
				res.on("data", (c: Buffer) => {
					if (firstMs < 0) firstMs = performance.now() - started;
					bytes += c.length;
				});
				res.on("end", () =>
					resolve({ firstMs, totalMs: performance.now() - started, bytes }),
				);
				res.on("error", reject);
			})
				.on("error", reject)
				.end();
		},
	);
}

function rssMiB(pid: number): number {
	const m = /VmRSS:\s+(\d+) kB/.exec(
		readFileSync(`/proc/${pid}/status`, "utf8"),
	);
	return Number(m?.[1] ?? 0) / 1024;
}

/** Opens 8 streams whose clients read their first bytes and then nothing; RSS growth in MiB. */
async function stalledClients(base: string, pid: number): Promise<number> {
	const { port } = new URL(base);
	await get(base, "/function/bench-stream/ttfb"); // warm
	const before = rssMiB(pid);
	const sockets = await Promise.all(
		Array.from({ length: 8 }, async () => {
			const socket = connect(Number(port), "127.0.0.1");
			socket.write(
				"GET /function/bench-stream/stall HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			);
			await once(socket, "data");
			socket.pause();
			return socket;
		}),
	);
	// Long enough for every handler to write all it may.
	await sleep(3000);
	const after = rssMiB(pid);
	for (const s of sockets) s.destroy();
	return after - before;
}

const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)] as number;
};

async function main() {
	const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
	const server = await spawnServer(import.meta.filename, ["serve"]);
	try {
		const figures: Record<string, number> = {};
		for (const [name] of FUNCTIONS) {
			await get(server.url, `/function/${name}/ttfb`); // warm
			const first: number[] = [];
			const bulk: number[] = [];
			for (let i = 0; i < rounds; i++) {
				first.push((await get(server.url, `/function/${name}/ttfb`)).firstMs);
				const b = await get(server.url, `/function/${name}/bulk`);
				if (b.bytes !== 80 * 64 * 1024)
					throw new Error(`${name}: ${b.bytes} bytes, not 5 MiB`);
				bulk.push((b.bytes / 1024 / 1024 / b.totalMs) * 1000);
			}
			figures[`${name} ttfb ms (p50)`] = round2(median(first));
			figures[`${name} 5 MiB MiB/s (p50)`] = round2(median(bulk));
		}
		figures["ttfb ratio stream/buffered"] = round2(
			(figures["bench-stream ttfb ms (p50)"] as number) /
				(figures["bench-buffered ttfb ms (p50)"] as number),
		);
		figures["throughput ratio stream/buffered"] = round2(
			(figures["bench-stream 5 MiB MiB/s (p50)"] as number) /
				(figures["bench-buffered 5 MiB MiB/s (p50)"] as number),
		);
		const stalled = await stalledClients(
			server.url,
			server.child.pid as number,
		);
		figures[
			"stalled: gateway RSS growth MiB (8 clients, 152 MiB sent at them)"
		] = round2(stalled);
		figures["stalled: RSS growth per stream MiB"] = round2(stalled / 8);
		if (process.argv.includes("--json")) console.log(JSON.stringify(figures));
		else
			for (const [k, v] of Object.entries(figures)) console.log(`${k}\t${v}`);
	} finally {
		await server.stop();
	}
	process.exit(0);
}

if (process.argv[2] === "serve") await serveGateway(FUNCTIONS);
else await main();

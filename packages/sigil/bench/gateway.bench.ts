// Gateway benchmark (issue 3): requests/s and p50/p99 latency at 32 connections for a trivial
// function behind `aws_iam` and behind `none`, against a bare node:http server measured in the
// same run. Every signed request is distinct (its own query), so none is a replay.
// The load generator shares the machine (2 cores), as the target says.
//   npm run bench:gateway [-- --json]     BENCH_SECONDS (default 5), BENCH_CONNECTIONS (32)
import { join } from "node:path";
import { SigningKeyCache, signSigV4 } from "@sigil/signature";
import {
	BENCH_KEY,
	type BenchRequest,
	drive,
	type Figures,
	round2,
	spawnServer,
} from "./harness.ts";

const json = process.argv.includes("--json");
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const servers = join(import.meta.dirname, "bench-servers.ts");

const bare = await spawnServer(servers, ["bare"]);
const gateway = await spawnServer(servers, ["gateway"]);
const host = new URL(gateway.url).host;

// Requests are signed before the clock starts, so the load generator spends its core on load;
// the pool is sized well past what 2 cores can send.
const POOL = Number(process.env.BENCH_POOL ?? 25_000 * seconds);
const keyCache = new SigningKeyCache();
let presigned: BenchRequest[] = [];
const presign = () => {
	const now = Date.now();
	presigned = Array.from({ length: POOL }, (_, i) => ({
		path: `/function/trivial-iam?n=${i}`,
		headers: signSigV4(
			{ method: "GET", host, path: "/function/trivial-iam", query: `n=${i}` },
			BENCH_KEY,
			{ region: "us-east-1", service: "lambda", now, keyCache },
		).headers,
	}));
};
const signedReq = (i: number): BenchRequest => {
	const r = presigned[i];
	if (!r)
		throw new Error(`pre-signed pool of ${POOL} exhausted: raise BENCH_POOL`);
	return r;
};
const cases: [string, string, (i: number) => BenchRequest][] = [
	["baseline.bare-node-http", bare.url, (i) => ({ path: `/?n=${i}` })],
	["gateway.none", gateway.url, (i) => ({ path: `/function/trivial?n=${i}` })],
	["gateway.aws_iam", gateway.url, signedReq],
];
presign();
for (const [, url, next] of cases) await drive(url, 1000, connections, next); // warm-up: JIT, workers, keep-alive
const results = new Map<string, Figures>();
for (const [name, url, next] of cases) {
	if (next === signedReq) presign();
	results.set(name, await drive(url, seconds * 1000, connections, next));
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
				p50Ms: round2(r.p50Ms),
				p99Ms: round2(r.p99Ms),
				errors: r.errors,
			}),
		);
	if (base && iam)
		console.log(
			JSON.stringify({
				name: "ratio.aws_iam/bare",
				rps: round2(iam.rps / base.rps),
				p99: round2(iam.p99Ms / base.p99Ms),
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

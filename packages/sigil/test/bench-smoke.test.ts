// The benchmarks are not tests, but they must not rot: each runs here in a smoke mode (a second
// per case, a few distinct requests) and must print well-formed figures with every answer right.
// Nothing here asserts a speed. Needs wrk and bubblewrap (npm run setup installs both): a
// missing one fails the test, it is not skipped.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type CpuProfile, PHASES, phaseBreakdown } from "../bench/phases.ts";
import { rawRequest } from "../bench/wrk.ts";

const BENCH = join(import.meta.dirname, "..", "bench");

function runBench(
	script: string,
	env: Record<string, string>,
): Promise<Record<string, unknown>[]> {
	return new Promise((resolve, reject) => {
		execFile(
			process.execPath,
			[join(BENCH, script), "--json"],
			{ env: { ...process.env, ...env }, timeout: 240_000, maxBuffer: 1 << 20 },
			(err, stdout, stderr) => {
				if (err) {
					reject(new Error(`${script}: ${err.message}\n${stderr}`));
					return;
				}
				resolve(
					stdout
						.trim()
						.split("\n")
						.map((l) => JSON.parse(l) as Record<string, unknown>),
				);
			},
		);
	});
}

const isCount = (v: unknown) =>
	typeof v === "number" && Number.isFinite(v) && v >= 0;

describe("bench smoke", () => {
	it("bench:gateway prints every case, the ratios to bare and the phase breakdown", async () => {
		const lines = await runBench("gateway.bench.ts", {
			BENCH_SECONDS: "1",
			BENCH_WARMUP: "0",
			BENCH_REQUESTS: "20",
			BENCH_CONNECTIONS: "4",
		});
		const byName = new Map(lines.map((l) => [l.name, l]));
		for (const signer of ["bare", "none", "aws_iam", "hmac"])
			for (const method of ["GET", "POST"]) {
				const l = byName.get(`${signer}.${method}`);
				assert.ok(
					l,
					`${signer}.${method} missing from ${JSON.stringify(lines)}`,
				);
				assert.ok((l.rps as number) > 0, `${signer}.${method} served nothing`);
				for (const k of ["p50Ms", "p99Ms", "gatewayCpuUs", "functionsCpuUs"])
					assert.ok(isCount(l[k]), `${signer}.${method}.${k}: ${l[k]}`);
				// Signed requests rotate and repeat: none may be refused as a replay or a bad signature.
				assert.equal(l.errors, 0, `${signer}.${method} had errors`);
				if (signer !== "bare")
					assert.ok(isCount(l.ratioRps) && isCount(l.ratioP99));
			}
		const b = byName.get("breakdown.aws_iam.POST") as {
			phasesUs: Record<string, number>;
			mainThreadUs: number;
		};
		assert.ok(b, "no breakdown");
		assert.deepEqual(Object.keys(b.phasesUs), [...PHASES]);
		assert.ok(b.mainThreadUs > 0);
		assert.ok(
			(b.phasesUs.verify ?? 0) > 0,
			"a signed request spends time verifying",
		);
	});

	it("bench:runtimes prints each runtime with its cold start, and the idle memory", async () => {
		const lines = await runBench("runtimes.bench.ts", {
			BENCH_SECONDS: "1",
			BENCH_WARMUP: "0",
			BENCH_COLD_ROUNDS: "1",
			BENCH_IDLE_FUNCTIONS: "2",
		});
		for (const r of ["node", "python3", "provided", "process"]) {
			const l = lines.find((x) => x.name === `runtime.${r}`);
			assert.ok(l, `runtime.${r} missing`);
			assert.ok((l.rps as number) > 0);
			assert.equal(l.errors, 0);
			for (const k of ["p99Ms", "coldStartMs", "warmMs"])
				assert.ok(isCount(l[k]));
		}
		const mem = lines.find((x) => x.name === "idle-memory");
		assert.ok(mem && (mem.totalPssMb as number) > 0);
		assert.ok((mem.processes as number) > 2, "the warm instances are counted");
	});
});

describe("bench parts", () => {
	it("phaseBreakdown attributes a sample to the innermost Sigil frame, Node's own work by file, idle apart", () => {
		const frame = (functionName: string, url: string) => ({
			functionName,
			url,
		});
		const root = "file:///w/packages";
		// (root) → parser → pipeline.handleRequest → authenticate → writev (native, no url)
		const profile: CpuProfile = {
			nodes: [
				{ id: 1, callFrame: frame("(root)", ""), children: [2, 6, 7, 9] },
				{
					id: 2,
					callFrame: frame("parserOnHeadersComplete", "node:_http_common"),
					children: [3],
				},
				{
					id: 3,
					callFrame: frame(
						"handleRequest",
						`${root}/sigil/src/gateway/pipeline.ts`,
					),
					children: [4, 8],
				},
				{
					id: 4,
					callFrame: frame(
						"authenticateSigV4",
						`${root}/sigil/src/gateway/authenticate.ts`,
					),
					children: [5],
				},
				{ id: 5, callFrame: frame("digest", "") },
				{ id: 6, callFrame: frame("(idle)", "") },
				{ id: 7, callFrame: frame("(garbage collector)", "") },
				{
					id: 8,
					callFrame: frame("audit", `${root}/sigil/src/gateway/pipeline.ts`),
				},
				// The bench's own profiler session, driven from bench/harness.ts: left out.
				{
					id: 9,
					callFrame: frame("post", `${root}/sigil/bench/harness.ts`),
				},
			],
			samples: [5, 5, 2, 6, 7, 3, 8, 9],
			timeDeltas: [10, 10, 5, 100, 3, 2, 4, 50],
			startTime: 0,
			endTime: 134,
		};
		const b = phaseBreakdown(profile);
		assert.equal(b.byPhase.verify, 20);
		assert.equal(b.byPhase.parse, 5);
		assert.equal(b.byPhase.gc, 3);
		assert.equal(b.byPhase.pipeline, 2);
		assert.equal(b.byPhase.audit, 4);
		assert.equal(b.idleUs, 100);
		assert.equal(b.profilerUs, 50);
		assert.equal(b.busyUs, 34);
	});

	it("rawRequest writes the request as signed: Host, headers, Content-Length of a POST", () => {
		assert.equal(
			rawRequest("127.0.0.1:9", {
				method: "POST",
				path: "/f?n=1",
				headers: { "x-a": "1" },
				body: "é",
			}),
			"POST /f?n=1 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nx-a: 1\r\nContent-Length: 2\r\n\r\né",
		);
		assert.equal(
			rawRequest("h", { method: "GET", path: "/" }),
			"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		);
	});
});

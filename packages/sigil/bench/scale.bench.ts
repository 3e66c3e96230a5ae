// `npm run bench:scale` (issue 12): what several gateways on PostgreSQL, Redis and NATS give on
// this machine, every figure measured in the same run:
// 1. signed (SigV4, aws_iam) invocations per second through one gateway, then through two at once
//    (wrk, pre-signed distinct requests: bench/wrk.ts), the load generator on the same cores;
// 2. asynchronous enqueue/s and end-to-end job latency (enqueue sent → callback received) on the
//    NATS JetStream queue against the embedded store queue;
// 3. how long a policy change on gateway A takes to be enforced by gateway B (p50/p99).
// Gateways run as child processes with isolation `none` (test/multi-gateway-process.ts). Needs
// the local engines (npm run setup). BENCH_SECONDS (default 5) per wrk run.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SigningKeyCache, signSigV4 } from "@sigil/signature";
import { startReceiver } from "../test/async-helpers.ts";
import { ROOT_KEY } from "../test/helpers/gateway.ts";
import {
	callUrl,
	cp,
	createUser,
	fnArn,
	putUserPolicy,
} from "../test/helpers/iam.ts";
import {
	type ClusterGateway,
	enginesMissing,
	spawnGateway,
	startCluster,
} from "../test/multi-gateway-harness.ts";
import { prepare, runWrk, type WrkRequest } from "./wrk.ts";

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const missing = await enginesMissing();
if (missing) {
	console.error(`bench:scale needs PostgreSQL, Redis and NATS: ${missing}`);
	process.exit(1);
}

const OK = `export const handler = async () => ({ statusCode: 200, body: "ok" });`;
const code = (text: string) => ({
	files: [
		{
			path: "index.mjs",
			mode: 0o644,
			data: Buffer.from(text).toString("base64"),
		},
	],
});
const pct = (xs: number[], p: number) => {
	const s = [...xs].sort((a, b) => a - b);
	return (
		Math.round(
			(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0) * 10,
		) / 10
	);
};

const work = await mkdtemp(join(tmpdir(), "sigil-bench-scale-"));
const cluster = await startCluster(2, { concurrency: 16 });
const [a, b] = cluster.gateways as [ClusterGateway, ClusterGateway];
let embedded: ClusterGateway | undefined;
const receiver = await startReceiver();
try {
	const accountId = (await cp<{ Account: string }>(a.gw, "GET", "/whoami"))
		.Account;
	await cp(a.gw, "PUT", "/functions/scale-iam", {
		config: { runtime: "node", trigger: { auth: "aws_iam" } },
		code: code(OK),
	});

	// 1. Signed invocations/s: one gateway, then two at once.
	const keyCache = new SigningKeyCache();
	const signedFor = (g: ClusterGateway): WrkRequest[] => {
		const host = new URL(g.url).host;
		const now = Date.now();
		return Array.from({ length: 2000 }, (_, i) => {
			const query = `n=${i}`;
			const path = "/function/scale-iam";
			return {
				method: "GET",
				path: `${path}?${query}`,
				headers: signSigV4(
					{ method: "GET", host, path, query, headers: {}, body: "" },
					ROOT_KEY,
					{ region: "us-east-1", service: "lambda", now, keyCache },
				).headers,
			};
		});
	};
	const filesA = await prepare(
		join(work),
		"a",
		new URL(a.url).host,
		signedFor(a),
	);
	const workB = await mkdtemp(join(work, "b-"));
	const filesB = await prepare(workB, "b", new URL(b.url).host, signedFor(b));
	await runWrk({
		url: a.url,
		...filesA,
		seconds: 2,
		connections: 32,
		threads: 2,
	});
	await runWrk({
		url: b.url,
		...filesB,
		seconds: 2,
		connections: 32,
		threads: 2,
	});
	const one = await runWrk({
		url: a.url,
		...filesA,
		seconds,
		connections: 32,
		threads: 2,
	});
	const [twoA, twoB] = await Promise.all([
		runWrk({ url: a.url, ...filesA, seconds, connections: 16, threads: 1 }),
		runWrk({ url: b.url, ...filesB, seconds, connections: 16, threads: 1 }),
	]);

	// 2. Async: NATS (the cluster's A) against the embedded queue (a gateway of its own, SQLite).
	embedded = await spawnGateway(
		{} as Parameters<typeof spawnGateway>[0],
		{ SIGIL_MASTER_KEY: cluster.masterKey },
		{ concurrency: 16 },
	);
	const asyncRun = async (g: ClusterGateway, label: string) => {
		await cp(g.gw, "PUT", `/functions/scale-job-${label}`, {
			config: { runtime: "node", trigger: { auth: "none" } },
			code: code(OK),
		});
		const n = 500;
		const sentAt = new Map<string, number>();
		const started = performance.now();
		for (let i = 0; i < n; i += 20)
			await Promise.all(
				Array.from({ length: 20 }, async () => {
					const t = performance.now();
					const res = await fetch(
						`${g.url}/async-function/scale-job-${label}/`,
						{
							method: "POST",
							headers: { "x-callback-url": receiver.url },
							body: "x",
						},
					);
					await res.text();
					if (res.status === 202)
						sentAt.set(res.headers.get("x-call-id") as string, t);
				}),
			);
		const enqueueSeconds = (performance.now() - started) / 1000;
		const latencies: number[] = [];
		const seen = new Set<string>();
		const deadline = performance.now() + 60_000;
		while (seen.size < sentAt.size && performance.now() < deadline) {
			for (const r of receiver.received) {
				const id = r.headers["x-call-id"] as string;
				if (!sentAt.has(id) || seen.has(id)) continue;
				seen.add(id);
				// Seen within one 5 ms poll of its arrival.
				latencies.push(performance.now() - (sentAt.get(id) as number));
			}
			await new Promise((r) => setTimeout(r, 5));
		}
		return {
			queue: label,
			enqueuePerSecond: Math.round(sentAt.size / enqueueSeconds),
			jobs: sentAt.size,
			delivered: seen.size,
			latencyP50Ms: pct(latencies, 50),
			latencyP99Ms: pct(latencies, 99),
		};
	};
	const natsFigures = await asyncRun(a, "nats");
	const embeddedFigures = await asyncRun(embedded, "embedded");

	// 3. Policy propagation A → B.
	await cp(a.gw, "PUT", "/functions/scale-policy", {
		config: { runtime: "node", trigger: { auth: "aws_iam" } },
		code: code(OK),
	});
	const user = await createUser(a.gw, "scale-user");
	const allow = [
		{
			Effect: "Allow",
			Action: "lambda:InvokeFunctionUrl",
			Resource: fnArn(accountId, "scale-policy"),
		},
	];
	const untilStatus = async (want: number) => {
		const t = performance.now();
		for (;;) {
			if ((await callUrl(b.gw, "scale-policy", user.keys)).status === want)
				return performance.now() - t;
			if (performance.now() - t > 10_000)
				throw new Error(`B never answered ${want}`);
		}
	};
	const propagation: number[] = [];
	for (let i = 0; i < 20; i++) {
		await putUserPolicy(a.gw, "scale-user", "p", allow);
		propagation.push(await untilStatus(200));
		await cp(a.gw, "DELETE", "/users/scale-user/policies/p");
		propagation.push(await untilStatus(403));
	}

	const figures = {
		at: new Date().toISOString(),
		machine:
			"2 cores shared by the load generator and the gateways; isolation none",
		signedInvocations: {
			oneGateway: {
				rps: Math.round(one.rps),
				p50Ms: one.p50Ms,
				p99Ms: one.p99Ms,
				errors: one.errors,
			},
			twoGateways: {
				rps: Math.round(twoA.rps + twoB.rps),
				perGateway: [Math.round(twoA.rps), Math.round(twoB.rps)],
				p99Ms: Math.max(twoA.p99Ms, twoB.p99Ms),
				errors: twoA.errors + twoB.errors,
			},
		},
		async: [natsFigures, embeddedFigures],
		policyPropagationMs: {
			samples: propagation.length,
			p50: pct(propagation, 50),
			p99: pct(propagation, 99),
			max: pct(propagation, 100),
		},
	};
	console.log(JSON.stringify(figures, null, 2));
} finally {
	await receiver.close();
	await embedded?.stop();
	await cluster.cleanup();
	await rm(work, { recursive: true, force: true });
}

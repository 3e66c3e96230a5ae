// Gateway benchmark (issue 9): requests/s, p50/p99 and errors under wrk (2 threads, 32
// connections) for trivial Node functions deployed with default settings behind `aws_iam`,
// `none` and `hmac` triggers, GET and POST with a small JSON body, against a bare node:http
// hello world measured in the same run; then where the gateway's CPU goes per request.
//
// Requests are written out before the clock starts (signed ones included: SigV4 with the
// bench's root key, payload HMAC with the trigger's secret), each distinct by its query, and
// wrk rotates through them. Repeats are fine: neither SigV4 nor payload HMAC is one-time at
// this gateway (only Standard Webhooks ids are remembered against replay), and a SigV4 request
// stays valid for the 5-minute clock-skew window, so every case's requests are signed just
// before it runs.
//
//   npm run bench:gateway [-- --json]
//   BENCH_SECONDS (10 per case), BENCH_WARMUP (2), BENCH_CONNECTIONS (32), BENCH_THREADS (2),
//   BENCH_REQUESTS (distinct requests per case, 5000), BENCH_PROFILE=0 skips the CPU breakdown,
//   BENCH_PROFILE_TOP=N lists the N heaviest frames of the profile, BENCH_PROFILE_SAVE=FILE
//   keeps the .cpuprofile, BENCH_PROFILE_CASE=NAME profiles that case (default aws_iam.POST),
//   BENCH_CASES=a,b runs only those (empty: none, only the profiled run), BENCH_BEFORE=DIR adds
//   the aws_iam and hmac cases against another checkout's gateway (see below). An unknown case
//   name is refused, naming the known ones.

import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { SigningKeyCache, signPayloadHmac, signSigV4 } from "@sigil/signature";
import { HMAC_SECRET } from "./bench-servers.ts";
import { BENCH_KEY, round2, spawnServer } from "./harness.ts";
import {
	type CpuProfile,
	PHASE_MEANING,
	PHASES,
	type PhaseBreakdown,
	phaseBreakdown,
} from "./phases.ts";
import {
	childrenCpuBetween,
	descendantPids,
	machineBusySeconds,
	treeUsage,
} from "./proc-cpu.ts";
import { prepare, runWrk, type WrkFigures, type WrkRequest } from "./wrk.ts";

const json = process.argv.includes("--json");
const env = (name: string, fallback: number) =>
	Number(process.env[name] ?? fallback);
const seconds = env("BENCH_SECONDS", 10);
const warmup = env("BENCH_WARMUP", 2);
const connections = env("BENCH_CONNECTIONS", 32);
const threads = env("BENCH_THREADS", 2);
const distinct = env("BENCH_REQUESTS", 5000);
const profile = process.env.BENCH_PROFILE !== "0";

const BODY = '{"hello":"world"}';
type Method = "GET" | "POST";
type Signer = "bare" | "relay" | "none" | "aws_iam" | "hmac" | "aws_iam-strict";
interface Case {
	readonly name: string;
	readonly target: "bare" | "relay" | "gateway" | "before";
	readonly signer: Signer;
	readonly method: Method;
}
const FUNCTION_OF: Record<Exclude<Signer, "bare" | "relay">, string> = {
	none: "trivial-none",
	aws_iam: "trivial-iam",
	hmac: "trivial-hmac",
	"aws_iam-strict": "trivial-iam-strict",
};

const CASES: Case[] = [];
for (const method of ["GET", "POST"] as const)
	for (const signer of ["bare", "relay", "none", "aws_iam", "hmac"] as const)
		CASES.push({
			name: `${signer}.${method}`,
			target: signer === "bare" || signer === "relay" ? signer : "gateway",
			signer,
			method,
		});
CASES.push({
	name: "aws_iam-strict.GET",
	target: "gateway",
	signer: "aws_iam-strict",
	method: "GET",
});

const keyCache = new SigningKeyCache();

/** `distinct` requests for one case, signed now. */
function requestsFor(c: Case, host: string): WrkRequest[] {
	const now = Date.now();
	const path =
		c.signer === "bare" || c.signer === "relay"
			? "/"
			: `/function/${FUNCTION_OF[c.signer]}`;
	return Array.from({ length: distinct }, (_, i) => {
		const query = `n=${i}`;
		const body = c.method === "POST" ? BODY : "";
		const base: Record<string, string> =
			c.method === "POST" ? { "content-type": "application/json" } : {};
		let headers = base;
		if (c.signer === "aws_iam" || c.signer === "aws_iam-strict")
			headers = {
				...base,
				...signSigV4(
					{ method: c.method, host, path, query, headers: base, body },
					BENCH_KEY,
					{ region: "us-east-1", service: "lambda", now, keyCache },
				).headers,
			};
		else if (c.signer === "hmac")
			headers = { ...base, Hmac: signPayloadHmac(body, HMAC_SECRET, "sha256") };
		return { method: c.method, path: `${path}?${query}`, headers, body };
	});
}

interface CaseResult extends WrkFigures {
	/** CPU per request: the gateway's process (every thread) and its function instances. */
	readonly gatewayCpuUs: number;
	/** Of it, the main thread's (the event loop's). */
	readonly mainThreadCpuUs: number;
	readonly functionsCpuUs: number;
	/** Every core's busy time per request: wrk, server, instances and kernel together. */
	readonly machineCpuUs: number;
}

const work = await mkdtemp(join(tmpdir(), "sigil-bench-gateway-"));
const servers = join(import.meta.dirname, "bench-servers.ts");
const bare = await spawnServer(servers, ["bare"]);
const relay = await spawnServer(servers, ["relay"]);
const gateway = await spawnServer(
	servers,
	["gateway"],
	join(work, "gateway.log"),
);
// BENCH_BEFORE=DIR: the gateway of another checkout (e.g. `git archive COMMIT | tar -x -C DIR`,
// with DIR/node_modules linking to this one's), measured in the same run on the aws_iam and
// hmac cases.
const beforeDir = process.env.BENCH_BEFORE;
const before = beforeDir
	? await spawnServer(servers, ["gateway"], join(work, "before.log"), {
			BENCH_GATEWAY_SRC: beforeDir,
		})
	: undefined;
// Each right after its case of this checkout, so both see the same minutes of a shared machine.
if (before)
	for (const signer of ["aws_iam", "hmac"] as const)
		for (const method of ["GET", "POST"] as const)
			CASES.splice(
				CASES.findIndex((c) => c.name === `${signer}.${method}`) + 1,
				0,
				{
					name: `${signer}@before.${method}`,
					target: "before",
					signer,
					method,
				},
			);
const serverOf = (c: Case) =>
	c.target === "bare"
		? bare
		: c.target === "relay"
			? relay
			: c.target === "before" && before
				? before
				: gateway;
const pidOf = (c: Case) => serverOf(c).child.pid as number;

/**
 * The profiler samples on wall time, so a sample lands on whatever the main thread was in when
 * the kernel ran something else on its core (a `writev` that woke wrk, say). For the profiled
 * run, with two CPUs or more, the gateway's process gets CPU 0 to itself and wrk and the
 * function instances share the others: a sample then counts the gateway's own work.
 */
const pinForProfile = profile && availableParallelism() >= 2;
function pin(pid: number, cpus: string): void {
	execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], {
		stdio: "ignore",
	});
}
function pinTree(gatewayPid: number, pinned: boolean): void {
	const all = `0-${availableParallelism() - 1}`;
	pin(gatewayPid, pinned ? "0" : all);
	for (const pid of descendantPids(gatewayPid)) {
		try {
			pin(pid, pinned ? `1-${availableParallelism() - 1}` : all);
		} catch {
			// an instance that ended meanwhile
		}
	}
}

async function measure(c: Case, profileTo?: string): Promise<CaseResult> {
	const server = serverOf(c);
	const host = new URL(server.url).host;
	const files = await prepare(work, c.name, host, requestsFor(c, host));
	const pinned = profileTo !== undefined && pinForProfile;
	const run = (s: number) =>
		runWrk({
			url: server.url,
			...files,
			seconds: s,
			connections,
			threads,
			...(pinned && { cpus: `1-${availableParallelism() - 1}` }),
		});
	if (warmup > 0) await run(warmup); // JIT, instances started, keep-alive
	if (pinned) pinTree(pidOf(c), true);
	if (profileTo) await gateway.command("profile-start");
	const before = treeUsage(pidOf(c));
	const busyBefore = machineBusySeconds();
	const figures = await run(seconds);
	const busyAfter = machineBusySeconds();
	const after = treeUsage(pidOf(c));
	if (profileTo) await gateway.command(`profile-stop ${profileTo}`);
	if (pinned) pinTree(pidOf(c), false);
	const perRequest = (s: number) => (s * 1e6) / Math.max(1, figures.requests);
	return {
		...figures,
		gatewayCpuUs: perRequest(after.selfCpuS - before.selfCpuS),
		mainThreadCpuUs: perRequest(after.mainThreadCpuS - before.mainThreadCpuS),
		functionsCpuUs: perRequest(childrenCpuBetween(before, after)),
		machineCpuUs: perRequest(busyAfter - busyBefore),
	};
}

const only =
	process.env.BENCH_CASES === undefined
		? undefined
		: process.env.BENCH_CASES.split(",").filter((n) => n !== "");
const profiledName = process.env.BENCH_PROFILE_CASE ?? "aws_iam.POST";
// A profile case named while profiling is off is still checked: a typo must not pass unseen.
const profileNamed = profile || process.env.BENCH_PROFILE_CASE !== undefined;
const unknown = [
	...(only ?? []),
	...(profileNamed ? [profiledName] : []),
].filter((n) => !CASES.some((c) => c.name === n));
if (unknown.length > 0) {
	await Promise.all([
		bare.stop(),
		relay.stop(),
		gateway.stop(),
		before?.stop(),
	]);
	await rm(work, { recursive: true, force: true });
	console.error(
		`unknown case ${unknown.join(", ")} (BENCH_CASES / BENCH_PROFILE_CASE); the cases: ${CASES.map((c) => c.name).join(", ")}`,
	);
	process.exit(2);
}
const results = new Map<string, CaseResult>();
for (const c of CASES)
	if (!only || only.includes(c.name)) results.set(c.name, await measure(c));

// The breakdown comes from its own run: the sampling profiler costs a little, so none of the
// figures above ran under it.
let breakdown:
	| { case: string; result: CaseResult; phases: PhaseBreakdown }
	| undefined;
const profiled = CASES.find((c) => c.name === profiledName);
if (profile && profiled) {
	const file = join(work, "gateway.cpuprofile");
	const result = await measure(profiled, file);
	const text = await readFile(file, "utf8");
	if (process.env.BENCH_PROFILE_SAVE)
		await writeFile(process.env.BENCH_PROFILE_SAVE, text); // for DevTools or speedscope
	const phases = phaseBreakdown(JSON.parse(text) as CpuProfile);
	breakdown = { case: profiled.name, result, phases };
}
await Promise.all([bare.stop(), relay.stop(), gateway.stop(), before?.stop()]);
await rm(work, { recursive: true, force: true });

const ratio = (name: string) => {
	const r = results.get(name);
	const base = results.get(`bare.${name.split(".")[1]}`);
	return r && base
		? { rps: r.rps / base.rps, p99: r.p99Ms / base.p99Ms }
		: undefined;
};
/** A phase's main-thread CPU per request: its share of the profile × the main thread's CPU (/proc). */
const perRequestUs = (b: NonNullable<typeof breakdown>, us: number) =>
	(us / Math.max(1, b.phases.busyUs)) * b.result.mainThreadCpuUs;

if (json) {
	for (const [name, r] of results)
		console.log(
			JSON.stringify({
				name,
				rps: Math.round(r.rps),
				p50Ms: round2(r.p50Ms),
				p99Ms: round2(r.p99Ms),
				errors: r.errors,
				gatewayCpuUs: Math.round(r.gatewayCpuUs),
				functionsCpuUs: Math.round(r.functionsCpuUs),
				machineCpuUs: Math.round(r.machineCpuUs),
				...(ratio(name) && {
					ratioRps: round2(ratio(name)?.rps ?? 0),
					ratioP99: round2(ratio(name)?.p99 ?? 0),
				}),
			}),
		);
	if (breakdown) {
		const b = breakdown;
		console.log(
			JSON.stringify({
				name: `breakdown.${b.case}`,
				mainThreadUs: Math.round(b.result.mainThreadCpuUs),
				processUs: Math.round(b.result.gatewayCpuUs),
				runtimeUs: Math.round(b.result.functionsCpuUs),
				phasesUs: Object.fromEntries(
					PHASES.map((p) => [p, round2(perRequestUs(b, b.phases.byPhase[p]))]),
				),
			}),
		);
	}
} else {
	console.log(
		`gateway benchmark: wrk ${threads} threads, ${connections} connections, ${seconds}s per case (+${warmup}s warm-up), ${distinct} distinct requests per case, node ${process.version}`,
	);
	console.log(
		"  case                  req/s     p50 ms   p99 ms  errors   ×bare req/s  ×bare p99   gateway CPU/req  functions CPU/req  machine CPU/req",
	);
	for (const [name, r] of results) {
		const q = ratio(name);
		console.log(
			`  ${name.padEnd(19)} ${Math.round(r.rps).toLocaleString("en").padStart(8)}  ${r.p50Ms.toFixed(2).padStart(8)} ${r.p99Ms.toFixed(2).padStart(8)} ${String(r.errors).padStart(7)}   ${q ? q.rps.toFixed(2).padStart(9) : "        —"}   ${q ? q.p99.toFixed(2).padStart(8) : "       —"}   ${Math.round(r.gatewayCpuUs).toString().padStart(9)} µs   ${Math.round(r.functionsCpuUs).toString().padStart(9)} µs  ${Math.round(r.machineCpuUs).toString().padStart(9)} µs`,
		);
	}
	for (const name of ["aws_iam.GET", "aws_iam.POST"]) {
		const q = ratio(name);
		const r = results.get(name);
		if (q && r)
			console.log(
				`  ${name} / bare: ${q.rps.toFixed(2)}× throughput (target ≥ 0.5), ${q.p99.toFixed(2)}× p99 (target ≤ 2), ${r.errors} errors (target 0)`,
			);
	}
	// The most any design could serve here: every core busy at this case's CPU per request.
	const cores = availableParallelism();
	for (const method of ["GET", "POST"]) {
		const base = results.get(`bare.${method}`);
		const signed = results.get(`aws_iam.${method}`);
		const floor = results.get(`relay.${method}`);
		if (base && signed && floor) {
			const ceiling = (r: CaseResult) => (cores * 1e6) / r.machineCpuUs;
			console.log(
				`  ${method}: with all ${cores} cores busy at these CPU costs per request, aws_iam could reach at most ${Math.round(ceiling(signed)).toLocaleString("en")} req/s = ${(ceiling(signed) / base.rps).toFixed(2)}× bare, the relay ${(ceiling(floor) / base.rps).toFixed(2)}× bare; 0.5× bare needs ≤ ${Math.round((cores * 1e6) / (0.5 * base.rps))} µs of machine CPU per request (aws_iam spends ${Math.round(signed.machineCpuUs)}, the relay ${Math.round(floor.machineCpuUs)}, bare ${Math.round(base.machineCpuUs)})`,
			);
		}
	}
	for (const method of ["GET", "POST"]) {
		const floor = results.get(`relay.${method}`);
		const base = results.get(`bare.${method}`);
		const signed = results.get(`aws_iam.${method}`);
		if (floor && base && signed)
			console.log(
				`  ${method}: the hop to another process alone (relay) reaches ${(floor.rps / base.rps).toFixed(2)}× bare; aws_iam reaches ${(signed.rps / floor.rps).toFixed(2)}× the relay`,
			);
	}
	if (breakdown) {
		const b = breakdown;
		console.log(
			`\nwhere a signed invocation's CPU goes (${b.case}, its own ${seconds}s run under the sampling profiler${pinForProfile ? ", the gateway pinned to CPU 0" : ""}, ${Math.round(b.result.rps).toLocaleString("en")} req/s):`,
		);
		console.log(
			`  gateway process ${Math.round(b.result.gatewayCpuUs)} µs CPU/request (/proc utime+stime, all threads), of which the main thread ${Math.round(b.result.mainThreadCpuUs)} µs, by phase (shares of the profile's busy samples):`,
		);
		for (const p of PHASES) {
			const us = perRequestUs(b, b.phases.byPhase[p]);
			console.log(
				`    ${p.padEnd(12)} ${us.toFixed(1).padStart(7)} µs  ${((100 * b.phases.byPhase[p]) / Math.max(1, b.phases.busyUs)).toFixed(1).padStart(5)} %   ${PHASE_MEANING[p]}`,
			);
		}
		console.log(
			`    runtime      ${Math.round(b.result.functionsCpuUs).toString().padStart(7)} µs          the function instances' processes (bwrap + sandboxed node, /proc of the gateway's descendants)`,
		);
		const top = Number(process.env.BENCH_PROFILE_TOP ?? 0);
		if (top > 0) {
			console.log(
				`  the ${top} heaviest (phase, deciding Sigil frame, leaf frame):`,
			);
			for (const [key, us] of [...b.phases.byFrame]
				.sort((x, y) => y[1] - x[1])
				.slice(0, top))
				console.log(
					`    ${perRequestUs(b, us).toFixed(1).padStart(6)} µs  ${key.replaceAll("\t", "  |  ")}`,
				);
		}
		console.log(
			`  main thread idle ${((100 * b.phases.idleUs) / (b.phases.idleUs + b.phases.busyUs)).toFixed(1)} % of the run`,
		);
		console.log(
			`  method: V8's sampling CPU profiler (200 µs) started in the gateway's process over the measured window only (node:inspector, driven by the bench; no code in the gateway)${pinForProfile ? ", with the gateway's process pinned to CPU 0 and wrk and the instances to the other CPUs, so a wall-time sample counts the gateway's own work and not time the kernel gave others on its core" : ""}. Each sample goes to the phase of the innermost Sigil frame on its stack (file → phase, see bench/phases.ts), so Node/V8 work done for a phase counts for it; stacks without a Sigil frame are Node's own (HTTP parsing before Sigil, deferred socket I/O, GC); idle and the profiler's own samples are left out. The sampler ticks on wall time, so only the shares come from it: the CPU per request is /proc's (utime+stime of the main thread, the whole process, and the function instances alive at the end) over the same window.`,
		);
	}
}
process.exit(0);

// What an instance's pids cgroup costs (runtime/cgroup.ts), measured against the same thing
// without one in the same run:
// 1. one sandbox start to exit (`/bin/true` in the sandbox argv every runtime uses), alternated
//    with and without entering a fresh cgroup — the cost every instance start pays once;
// 2. the fork-per-request `process` runtime (`cat`), which pays it per request: wrk against two
//    gateways, one with SIGIL_CGROUP=off, in alternating pairs.
//
//   npm run bench:cgroup
//   BENCH_STARTS (40 per kind), BENCH_PAIRS (3), BENCH_SECONDS (6 per run), BENCH_CONNECTIONS (8)
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	detectPidsCgroup,
	enterInstanceCgroup,
	type InstanceCgroup,
} from "../src/runtime/cgroup.ts";
import {
	cgroupPlacement,
	DEFAULT_LIMITS,
	detectSandbox,
	type SandboxPolicy,
	sandboxArgv,
} from "../src/runtime/sandbox.ts";
import { files, serveGateway, spawnServer } from "./harness.ts";
import { prepare, runWrk } from "./wrk.ts";

const env = (name: string, fallback: number) =>
	Number(process.env[name] ?? fallback);

const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
};

function exitOf(entered: InstanceCgroup): Promise<number | null> {
	const [file, ...args] = entered.argv as [string, ...string[]];
	return new Promise((resolve) => {
		const child = spawn(file, args, {
			stdio: entered.stdio(["ignore", "ignore", "ignore"]),
			env: entered.env,
		});
		entered.started(child);
		child.once("exit", (code) => resolve(code));
	});
}

async function sandboxStarts(work: string): Promise<void> {
	const probe = await detectSandbox();
	const found = await detectPidsCgroup(process.env.SIGIL_CGROUP);
	if (!probe.ok || !found.ok)
		throw new Error(
			`needs a sandbox and a pids cgroup: ${probe.ok ? "" : probe.reason} ${found.ok ? "" : found.reason}`,
		);
	const policy: SandboxPolicy = {
		codeDir: work,
		network: "full",
		limits: { memoryMb: 128, ...DEFAULT_LIMITS },
		uid: 0x7000_0010,
		gid: 0x7000_0010,
	};
	const hosts = {
		without: probe.host,
		with: { ...probe.host, pidsCgroup: found.cgroup },
	};
	const ms: Record<keyof typeof hosts, number[]> = { without: [], with: [] };
	const starts = env("BENCH_STARTS", 40);
	for (let i = 0; i < starts; i++)
		for (const kind of ["without", "with"] as const) {
			const host = hosts[kind];
			const argv = sandboxArgv(host, policy, ["/bin/true"]);
			const t0 = performance.now();
			const entered = enterInstanceCgroup(
				argv,
				cgroupPlacement(host, policy.limits),
				{ PATH: "/usr/bin:/bin" },
			);
			const code = await exitOf(entered);
			ms[kind].push(performance.now() - t0);
			entered.release();
			if (code !== 0)
				throw new Error(`the sandbox ${kind} a cgroup exited ${code}`);
			// Apart, as instance starts are: back to back, the kernel's cgroup migrations share
			// one RCU grace period and look cheaper than a lone start pays.
			await new Promise((r) => setTimeout(r, 20));
		}
	const w = median(ms.with);
	const wo = median(ms.without);
	console.log(
		`  sandbox start to exit (median of ${starts}, cgroup v${found.cgroup.version}): ${wo.toFixed(1)} ms without a cgroup, ${w.toFixed(1)} ms with (+${(w - wo).toFixed(1)} ms)`,
	);
}

async function processRuntime(work: string): Promise<void> {
	const seconds = env("BENCH_SECONDS", 6);
	const connections = env("BENCH_CONNECTIONS", 8);
	const pairs = env("BENCH_PAIRS", 3);
	const serve = (name: string, extra: Record<string, string>) =>
		spawnServer(
			import.meta.filename,
			["serve", join(work, name)],
			join(work, `${name}.log`),
			extra,
		);
	const on = await serve("on", {});
	const off = await serve("off", { SIGIL_CGROUP: "off" });
	try {
		const rows: string[] = [];
		const rps = { on: [] as number[], off: [] as number[] };
		for (let pair = 0; pair < pairs; pair++)
			for (const [kind, server] of [
				["on", on],
				["off", off],
			] as const) {
				const host = new URL(server.url).host;
				const prepared = await prepare(
					work,
					kind,
					host,
					Array.from({ length: 50 }, (_, i) => ({
						method: "POST",
						path: `/function/bench-process?n=${i}`,
						headers: { "content-type": "text/plain" },
						body: "hello",
					})),
				);
				const f = await runWrk({
					url: server.url,
					...prepared,
					seconds,
					connections,
					threads: 2,
				});
				if (f.errors > 0) throw new Error(`${kind}: ${f.errors} errors`);
				rps[kind].push(f.rps);
				rows.push(
					`    pair ${pair + 1} ${kind === "on" ? "with cgroups   " : "SIGIL_CGROUP=off"} ${Math.round(f.rps).toString().padStart(5)} req/s  p99 ${f.p99Ms.toFixed(1)} ms`,
				);
			}
		const ratio = median(rps.on) / median(rps.off);
		console.log(
			`  process runtime (cat, fork per request, wrk 2 threads × ${connections} connections, ${seconds}s): ${ratio.toFixed(2)}× the throughput without cgroups (medians)`,
		);
		for (const r of rows) console.log(r);
	} finally {
		await Promise.all([on.stop(), off.stop()]);
	}
}

if (process.argv[2] === "serve")
	await serveGateway(
		[["bench-process", { runtime: "process", fprocess: "cat" }, files({})]],
		{ dataDir: process.argv[3] as string },
	);
else {
	const work = await mkdtemp(join(tmpdir(), "sigil-bench-cgroup-"));
	try {
		console.log(`pids cgroup benchmark, node ${process.version}`);
		await sandboxStarts(work);
		await processRuntime(work);
	} finally {
		await rm(work, { recursive: true, force: true });
	}
}

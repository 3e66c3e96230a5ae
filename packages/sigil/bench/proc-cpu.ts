/**
 * CPU time and memory of a process tree from Linux's /proc: the gateway's own process (all its
 * threads) and, apart, its descendants (the function instances: bwrap and the sandboxed
 * processes under it). Read before and after a measured run, the differences divided by the
 * requests served give CPU microseconds per request, without touching either process.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on every Linux this runs on (getconf CLK_TCK)

interface Stat {
	readonly pid: number;
	readonly ppid: number;
	/** utime + stime, in clock ticks. */
	readonly cpuTicks: number;
	/** Resident pages (field 24). */
	readonly rssPages: number;
}

function readStat(pid: number, file = `/proc/${pid}/stat`): Stat | undefined {
	let text: string;
	try {
		text = readFileSync(file, "utf8");
	} catch {
		return undefined; // gone meanwhile
	}
	// The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
	const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
	// f[0] is field 3 (state); field N is f[N - 3].
	return {
		pid,
		ppid: Number(f[1]),
		cpuTicks: Number(f[11]) + Number(f[12]),
		rssPages: Number(f[21]),
	};
}

function allStats(): Stat[] {
	const out: Stat[] = [];
	for (const name of readdirSync("/proc"))
		if (/^\d+$/.test(name)) {
			const s = readStat(Number(name));
			if (s) out.push(s);
		}
	return out;
}

function descendantsOf(root: number, stats: readonly Stat[]): Stat[] {
	const children = new Map<number, Stat[]>();
	for (const s of stats) {
		const list = children.get(s.ppid) ?? [];
		list.push(s);
		children.set(s.ppid, list);
	}
	const out: Stat[] = [];
	const walk = (pid: number) => {
		for (const c of children.get(pid) ?? []) {
			out.push(c);
			walk(c.pid);
		}
	};
	walk(root);
	return out;
}

export interface TreeUsage {
	/** CPU seconds of the process itself (every thread). */
	readonly selfCpuS: number;
	/** CPU seconds of its main thread (the event loop). */
	readonly mainThreadCpuS: number;
	/** CPU seconds of its live descendants. */
	readonly childrenCpuS: number;
	/** The same per live descendant, so a difference counts only processes alive at its end. */
	readonly childCpuS: ReadonlyMap<number, number>;
	readonly selfRssBytes: number;
	readonly childrenRssBytes: number;
	readonly children: number;
}

const PAGE = 4096;

/** The process `pid` and its descendants, now. */
export function treeUsage(pid: number): TreeUsage {
	const stats = allStats();
	const self = stats.find((s) => s.pid === pid);
	const kids = descendantsOf(pid, stats);
	const main = readStat(pid, `/proc/${pid}/task/${pid}/stat`);
	return {
		selfCpuS: (self?.cpuTicks ?? 0) / TICKS_PER_SECOND,
		mainThreadCpuS: (main?.cpuTicks ?? 0) / TICKS_PER_SECOND,
		childrenCpuS: kids.reduce((a, s) => a + s.cpuTicks, 0) / TICKS_PER_SECOND,
		childCpuS: new Map(kids.map((k) => [k.pid, k.cpuTicks / TICKS_PER_SECOND])),
		selfRssBytes: (self?.rssPages ?? 0) * PAGE,
		childrenRssBytes: kids.reduce((a, s) => a + s.rssPages, 0) * PAGE,
		children: kids.length,
	};
}

/** Proportional set size (shared pages split between their users), in bytes; 0 when unreadable. */
function pssBytes(pid: number): number {
	try {
		const m = /^Pss:\s+(\d+) kB/m.exec(
			readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"),
		);
		return m ? Number(m[1]) * 1024 : 0;
	} catch {
		return 0;
	}
}

export interface TreeMemory {
	readonly selfRssBytes: number;
	readonly selfPssBytes: number;
	/** Summed over the descendants: RSS counts a shared page once per process, PSS splits it. */
	readonly childrenRssBytes: number;
	readonly childrenPssBytes: number;
	readonly children: number;
}

/** Memory of the process `pid` and its descendants, now. */
export function treeMemory(pid: number): TreeMemory {
	const stats = allStats();
	const self = stats.find((s) => s.pid === pid);
	const kids = descendantsOf(pid, stats);
	return {
		selfRssBytes: (self?.rssPages ?? 0) * PAGE,
		selfPssBytes: pssBytes(pid),
		childrenRssBytes: kids.reduce((a, s) => a + s.rssPages, 0) * PAGE,
		childrenPssBytes: kids.reduce((a, s) => a + pssBytes(s.pid), 0),
		children: kids.length,
	};
}

/**
 * CPU seconds the descendants spent between two readings: each process alive at the end, less
 * what it had at the start (0 for one started since). One that ended in between is not counted.
 */
export function childrenCpuBetween(
	before: TreeUsage,
	after: TreeUsage,
): number {
	let s = 0;
	for (const [pid, cpu] of after.childCpuS)
		s += cpu - (before.childCpuS.get(pid) ?? 0);
	return s;
}

/** The process ids below `pid` (its function instances, their sandboxes). */
export function descendantPids(pid: number): number[] {
	return descendantsOf(pid, allStats()).map((s) => s.pid);
}

/**
 * CPU seconds the whole machine has been busy (every core: user, nice, system, irq, softirq —
 * not idle, iowait, or steal, the hypervisor's time), from /proc/stat. Its difference over a
 * run, per request served, is everything a request costs: wrk, the server, the function
 * instances, the kernel.
 */
export function machineBusySeconds(): number {
	const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
	const [, user, nice, system, , , irq, softirq] = line
		.trim()
		.split(/\s+/)
		.map(Number);
	const busy = [user, nice, system, irq, softirq].reduce<number>(
		(sum, v) => sum + (v ?? 0),
		0,
	);
	return busy / TICKS_PER_SECOND;
}

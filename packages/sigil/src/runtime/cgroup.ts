/**
 * A pids cgroup per sandboxed instance: the number of processes one instance may have, whoever
 * its uid is.
 *
 * Why: RLIMIT_NPROC counts a uid's processes machine-wide. Under a root gateway each function
 * has a uid of its own, so the rlimit bounds that function alone; under an unprivileged gateway
 * every function is the gateway's uid, and one function's fork bomb would make every other
 * function's fork fail until its timeout. A cgroup's `pids.max` counts only what is inside it.
 *
 * Layout: `<parent>/sigil-<gateway pid>/i<n>`, one `i<n>` per started instance process, removed
 * when it ends. `<parent>` is the gateway's own pids cgroup (cgroup v1), or a delegated cgroup v2
 * folder named by `SIGIL_CGROUP`. A process enters its cgroup before bubblewrap starts: a shell
 * writes its own pid to `cgroup.procs`, then execs bwrap, so nothing the function forks is ever
 * outside. sandboxArgv puts that shell first with a placeholder; `enterInstanceCgroup` replaces
 * the placeholder with a fresh cgroup at each spawn — a spawn that skipped it fails at once
 * (the shell cannot write to the placeholder), it never runs unbounded.
 *
 * That shell runs on the host, outside the sandbox, so it must not see the function's
 * environment: a shell reads some variables at start (bash imports SHELLOPTS and, unless root,
 * expands an inherited PS4 — a function's `environment` could run code as the gateway's uid). It
 * is started with no environment at all, and bwrap receives the instance's variables as
 * `--setenv` options on a pipe (`--args`), never in an argv another user could read.
 */
import {
	type ChildProcess,
	execFile,
	type StdioOptions,
} from "node:child_process";
import {
	accessSync,
	constants,
	mkdirSync,
	readdirSync,
	readFileSync,
	rmdirSync,
	statfsSync,
	writeFileSync,
} from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { alive } from "./private-dir.ts";

/** Where this gateway process makes its instances' cgroups. */
export interface PidsCgroup {
	/** `<parent>/sigil-<pid>`: this process's own folder. */
	readonly root: string;
	readonly version: 1 | 2;
}

export type CgroupProbe =
	| { readonly ok: true; readonly cgroup: PidsCgroup }
	| { readonly ok: false; readonly reason: string };

/**
 * Stands for the instance's `cgroup.procs` in an argv until `enterInstanceCgroup` fills it: a
 * path in /proc, where no file can ever be created, so an unfilled argv fails in its shell.
 */
export const CGROUP_PLACEHOLDER = "/proc/sigil-instance-cgroup";

/** The shell that joins the cgroup named by $1 and then becomes the rest of the argv. */
const JOIN_SCRIPT =
	'echo "$$" 2>/dev/null >"$1" || { echo "sigil: the instance could not enter its pids cgroup ($1)" >&2; exit 125; }; shift; exec "$@"';

/** One entry of spawn's stdio array. */
type StdioEntry = Extract<StdioOptions, readonly unknown[]>[number];

/** The fd bwrap reads the instance's environment from (`--args`: NUL-separated `--setenv`s). */
export const ENV_ARGS_FD = 4;

/** The joining shell alone: it enters the cgroup named by the placeholder, then execs the rest. */
export function joinShell(): string[] {
	return ["/bin/sh", "-c", JOIN_SCRIPT, "sigil-cgroup", CGROUP_PLACEHOLDER];
}

/**
 * The argv prefix sandboxArgv puts before bwrap's own options when instances get a cgroup
 * each: the joining shell, bwrap, and bwrap's `--args` for the environment.
 */
export function cgroupPrefix(bwrap: string): string[] {
	return [...joinShell(), bwrap, "--args", String(ENV_ARGS_FD)];
}

/**
 * One instance's start through its cgroup: the argv that enters it, the environment and stdio
 * to spawn with, the hand-over of the instance's environment once spawned, and the removal of
 * the cgroup once the process ended.
 */
export interface InstanceCgroup {
	readonly argv: readonly string[];
	/** What to spawn with: nothing for the host shell; the instance's own go to bwrap. */
	readonly env: Readonly<Record<string, string>>;
	/** `base` with the environment pipe at ENV_ARGS_FD (as it is without a shell first). */
	stdio(base: readonly StdioEntry[]): StdioEntry[];
	/** Writes the instance's environment to bwrap's `--args` pipe (call right after spawn). */
	started(child: ChildProcess): void;
	/** Kills what is still inside, then removes the folder (retried while the kernel empties it). */
	release(): void;
}

/** The start of an argv without the joining shell: as it is. */
function direct(
	argv: readonly string[],
	env: Readonly<Record<string, string>>,
): InstanceCgroup {
	return {
		argv,
		env,
		stdio: (base) => [...base],
		started: () => {},
		release: () => {},
	};
}

/**
 * `--setenv NAME VALUE` for each variable, NUL-separated, as bwrap's `--args` reads them — after
 * `--unsetenv PWD`, the one variable the joining shell adds (the host's working directory, which
 * the function must not see).
 */
export function setenvArgs(env: Readonly<Record<string, string>>): Buffer {
	const words: string[] = ["--unsetenv", "PWD"];
	for (const [name, value] of Object.entries(env)) {
		// A NUL would end the word early and shift every option after it.
		if (name.includes("\0") || value.includes("\0"))
			throw new TypeError(`environment variable ${name} holds a NUL byte`);
		words.push("--setenv", name, value);
	}
	return Buffer.from(words.map((w) => `${w}\0`).join(""), "utf8");
}

/** Where a runtime's instances go, and their bound: what a spawn site needs. */
export interface CgroupPlacement {
	readonly cgroup: PidsCgroup;
	readonly maxPids: number;
}

let sequence = 0;

/**
 * Fills the placeholder of a sandbox argv with a new cgroup of `placement`. An argv without the
 * placeholder (no cgroups here, or no sandbox) is returned as it is; one with it but no
 * placement is returned as it is too, and then fails at once in its shell.
 */
export function enterInstanceCgroup(
	argv: readonly string[],
	placement: CgroupPlacement | undefined,
	env: Readonly<Record<string, string>>,
): InstanceCgroup {
	const at = argv.indexOf(CGROUP_PLACEHOLDER);
	if (at < 0) return direct(argv, env);
	const args = setenvArgs(env);
	const through = (filled: readonly string[], release: () => void) => ({
		argv: filled,
		env: {},
		stdio: (base: readonly StdioEntry[]): StdioEntry[] => {
			const out: StdioEntry[] = [...base];
			while (out.length < ENV_ARGS_FD) out.push("ignore");
			out[ENV_ARGS_FD] = "pipe";
			return out;
		},
		started: (child: ChildProcess) => {
			const pipe = child.stdio[ENV_ARGS_FD] as NodeJS.WritableStream | null;
			if (pipe === null || pipe === undefined) return;
			// A start that failed closes the pipe first: nothing to hand over then.
			(pipe as NodeJS.WritableStream & { on: ChildProcess["on"] }).on(
				"error",
				() => {},
			);
			pipe.end(args);
		},
		release,
	});
	if (placement === undefined) return through(argv, () => {});
	const dir = join(placement.cgroup.root, `i${++sequence}`);
	try {
		mkdirSync(dir);
		writeFileSync(join(dir, "pids.max"), String(placement.maxPids));
	} catch {
		// Left unfilled, the argv fails closed in its shell, saying so on stderr.
		removeCgroup(dir);
		return through(argv, () => {});
	}
	const filled = [...argv];
	filled[at] = join(dir, "cgroup.procs");
	let released = false;
	return through(filled, () => {
		if (released) return;
		released = true;
		releaseCgroup(dir);
	});
}

/** Pids inside a cgroup folder (none when it is gone). */
function members(dir: string): number[] {
	try {
		return readFileSync(join(dir, "cgroup.procs"), "utf8")
			.split("\n")
			.filter((l) => l !== "")
			.map(Number);
	} catch {
		return [];
	}
}

/** One attempt: kill what is left, rmdir. True when the folder is gone. */
function removeCgroup(dir: string): boolean {
	for (const pid of members(dir)) {
		try {
			process.kill(pid, "SIGKILL");
		} catch {
			// gone meanwhile
		}
	}
	try {
		rmdirSync(dir);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === "ENOENT";
	}
}

/** A killed process leaves its cgroup only once reaped: retry for up to ~2 s, then leave it to the sweep. */
function releaseCgroup(dir: string, tries = 40): void {
	if (removeCgroup(dir) || tries <= 1) return;
	setTimeout(() => releaseCgroup(dir, tries - 1), 50).unref();
}

/** Removes the `sigil-<pid>` folders (and their instance folders) of gateway processes that are gone. */
export function sweepCgroups(parent: string): string[] {
	const removed: string[] = [];
	let names: string[];
	try {
		names = readdirSync(parent);
	} catch {
		return removed;
	}
	for (const name of names) {
		const m = /^sigil-(\d+)$/.exec(name);
		if (m === null || alive(Number(m[1]))) continue;
		const dir = join(parent, name);
		let children: string[] = [];
		try {
			children = readdirSync(dir, { withFileTypes: true })
				.filter((d) => d.isDirectory())
				.map((d) => d.name);
		} catch {
			continue;
		}
		for (const child of children) removeCgroup(join(dir, child));
		if (removeCgroup(dir)) removed.push(name);
	}
	return removed;
}

interface Hierarchy {
	readonly version: 1 | 2;
	/** The gateway's own cgroup folder in that hierarchy. */
	readonly own: string;
}

/** The gateway's pids cgroup folders, from /proc/self/cgroup and /proc/self/mountinfo. */
export function ownHierarchies(
	cgroupText: string,
	mountinfoText: string,
): Hierarchy[] {
	const mounts: { version: 1 | 2; root: string; point: string }[] = [];
	for (const line of mountinfoText.split("\n")) {
		const [left, right] = line.split(" - ");
		if (left === undefined || right === undefined) continue;
		const f = left.split(" ");
		const [fstype, , superOptions = ""] = right.split(" ");
		const root = f[3];
		const point = f[4];
		if (root === undefined || point === undefined) continue;
		const unescaped = point.replace(/\\(\d{3})/g, (_, o: string) =>
			String.fromCharCode(Number.parseInt(o, 8)),
		);
		if (fstype === "cgroup2")
			mounts.push({ version: 2, root, point: unescaped });
		else if (fstype === "cgroup" && superOptions.split(",").includes("pids"))
			mounts.push({ version: 1, root, point: unescaped });
	}
	const found: Hierarchy[] = [];
	for (const line of cgroupText.split("\n")) {
		const m = /^(\d+):([^:]*):(.*)$/.exec(line);
		if (m === null) continue;
		const [, id, controllers = "", path = ""] = m;
		const version =
			id === "0" && controllers === ""
				? 2
				: controllers.split(",").includes("pids")
					? 1
					: undefined;
		if (version === undefined) continue;
		for (const mount of mounts) {
			if (mount.version !== version) continue;
			// A mount of a sub-tree (a container's) shows paths below its root only.
			const prefix = mount.root === "/" ? "" : mount.root;
			if (prefix !== "" && path !== prefix && !path.startsWith(`${prefix}/`))
				continue;
			found.push({
				version,
				own: join(mount.point, path.slice(prefix.length)),
			});
			break;
		}
	}
	// v1's pids controller, where mounted, is the one that counts: v2 then has no pids.
	return found.sort((a, b) => a.version - b.version);
}

/** statfs(2) magic numbers of the two cgroup file systems. */
const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * Which cgroup file system `parent` is on; throws for anything else, before a folder is made
 * there (a mistyped SIGIL_CGROUP must not litter an ordinary directory with look-alikes).
 */
function version(parent: string): 1 | 2 {
	const type = statfsSync(parent).type;
	if (type === CGROUP2_SUPER_MAGIC) return 2;
	if (type === CGROUP_SUPER_MAGIC) return 1;
	throw new Error(
		`${parent} is not a cgroup folder (no cgroup file system there)`,
	);
}

/** Makes `<parent>/sigil-<pid>` ready for instance folders; throws with the reason when it cannot. */
function prepareRoot(parent: string): PidsCgroup {
	const v = version(parent);
	accessSync(parent, constants.W_OK);
	if (v === 2) {
		const enabled = readFileSync(
			join(parent, "cgroup.subtree_control"),
			"utf8",
		);
		if (!enabled.split(/\s+/).includes("pids"))
			throw new Error(
				`${parent} does not pass the pids controller to its children (its cgroup.subtree_control lacks pids)`,
			);
	}
	sweepCgroups(parent);
	const root = join(parent, `sigil-${process.pid}`);
	mkdirSync(root, { recursive: true });
	if (v === 2) writeFileSync(join(root, "cgroup.subtree_control"), "+pids");
	process.once("exit", () => {
		try {
			for (const d of readdirSync(root, { withFileTypes: true }))
				if (d.isDirectory()) removeCgroup(join(root, d.name));
		} catch {
			// already gone
		}
		removeCgroup(root);
	});
	return { root, version: v };
}

/** One real entry: a shell joins an instance cgroup and reads its own /proc/self/cgroup. */
function tryEntering(cgroup: PidsCgroup): Promise<string | undefined> {
	const entered = enterInstanceCgroup(
		[...joinShell(), "/bin/cat", "/proc/self/cgroup"],
		{ cgroup, maxPids: 8 },
		{},
	);
	const [file, ...args] = entered.argv as [string, ...string[]];
	return new Promise((resolve) => {
		execFile(
			file,
			args,
			{ env: { PATH: "/usr/bin:/bin" }, timeout: 10_000 },
			(err, stdout, stderr) => {
				entered.release();
				const inside = `/sigil-${process.pid}/i`;
				if (err) resolve(`${err.message.trim()} ${stderr.trim()}`.trim());
				else if (!stdout.includes(inside))
					resolve(`a process did not land in its cgroup (${stdout.trim()})`);
				else resolve(undefined);
			},
		);
	});
}

/** Probes by setting: gateways of one process (tests) may name different folders. */
const probed = new Map<string, Promise<CgroupProbe>>();

/**
 * Finds where instances' pids cgroups can be made: `configured` (SIGIL_CGROUP: a folder, or
 * `off`), else the gateway's own cgroup v1 pids folder. Probed once per process, with a real entry.
 */
export function detectPidsCgroup(
	configured: string | undefined,
): Promise<CgroupProbe> {
	const key = configured ?? "";
	const known = probed.get(key);
	if (known !== undefined) return known;
	const p = probeCgroup(configured);
	probed.set(key, p);
	return p;
}

async function probeCgroup(
	configured: string | undefined,
): Promise<CgroupProbe> {
	if (configured === "off")
		return { ok: false, reason: "turned off (SIGIL_CGROUP=off)" };
	if (process.platform !== "linux")
		return {
			ok: false,
			reason: `cgroups need Linux (this is ${process.platform})`,
		};
	let parents: string[];
	if (configured !== undefined && configured !== "") {
		if (!configured.startsWith("/"))
			return {
				ok: false,
				reason: `SIGIL_CGROUP must be an absolute path or off, not ${JSON.stringify(configured)}`,
			};
		parents = [configured];
	} else {
		let cgroupText = "";
		let mountinfoText = "";
		try {
			cgroupText = readFileSync("/proc/self/cgroup", "utf8");
			mountinfoText = readFileSync("/proc/self/mountinfo", "utf8");
		} catch (error) {
			return {
				ok: false,
				reason: `cannot read /proc: ${(error as Error).message}`,
			};
		}
		// cgroup v2 needs a delegated folder the gateway is not itself in (no internal
		// processes): the operator names one; only v1 is found alone.
		parents = ownHierarchies(cgroupText, mountinfoText)
			.filter((h) => h.version === 1)
			.map((h) => h.own);
		if (parents.length === 0)
			return {
				ok: false,
				reason:
					"no cgroup v1 pids hierarchy for this process; on cgroup v2, name a delegated folder with SIGIL_CGROUP",
			};
	}
	const reasons: string[] = [];
	for (const parent of parents) {
		try {
			const cgroup = prepareRoot(parent);
			const failed = await tryEntering(cgroup);
			if (failed === undefined) return { ok: true, cgroup };
			reasons.push(`${parent}: ${failed}`);
		} catch (error) {
			reasons.push(`${parent}: ${(error as Error).message}`);
		}
	}
	return { ok: false, reason: reasons.join("; ") };
}

/**
 * Whether this kernel counts RLIMIT_NPROC per user namespace (Linux ≥ 5.14, "ucounts"): then an
 * unprivileged gateway's sandboxes, each in a user namespace of its own, are counted apart even
 * without a cgroup, all sharing only the gateway's own limit.
 */
export function nprocPerUserNamespace(kernel = release()): boolean {
	const m = /^(\d+)\.(\d+)/.exec(kernel);
	if (m === null) return false;
	const major = Number(m[1]);
	return major > 5 || (major === 5 && Number(m[2]) >= 14);
}

/** How an instance's processes are bounded, in words for the start-up line. */
export function describeProcessBound(
	probe: CgroupProbe,
	privileged: boolean,
	kernel = release(),
): string {
	if (probe.ok)
		return `processes counted per instance in ${probe.cgroup.root} (cgroup v${probe.cgroup.version})`;
	if (privileged)
		return `processes counted per function uid, shared by its instances (no pids cgroup: ${probe.reason})`;
	if (nprocPerUserNamespace(kernel))
		return `processes counted per instance by its user namespace (Linux ${kernel}; no pids cgroup: ${probe.reason})`;
	return `WARNING: no pids cgroup (${probe.reason}) and Linux ${kernel} counts RLIMIT_NPROC per uid, so all functions share the gateway uid's process count: one function's fork bomb can make the others' forks fail until its timeout`;
}

/** For tests: forget the cached probe. */
export function resetCgroupProbe(): void {
	probed.clear();
}

// Per-instance pids cgroups (runtime/cgroup.ts): finding the gateway's hierarchy from /proc, the
// argv that enters a cgroup before bwrap, a placeholder left unfilled failing closed, pids.max
// really bounding what is inside, release killing what is left, and the sweep of a dead
// gateway's folders. The real-cgroup cases need root and a cgroup v1 pids hierarchy (CI has both).
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
	CGROUP_PLACEHOLDER,
	cgroupPrefix,
	describeProcessBound,
	detectPidsCgroup,
	enterInstanceCgroup,
	joinShell,
	nprocPerUserNamespace,
	ownHierarchies,
	type PidsCgroup,
	resetCgroupProbe,
	setenvArgs,
	sweepCgroups,
} from "../src/runtime/cgroup.ts";
import {
	cgroupPlacement,
	DEFAULT_LIMITS,
	detectSandbox,
	type SandboxHost,
	sandboxArgv,
} from "../src/runtime/sandbox.ts";

const V1_MOUNTS = [
	"25 24 0:22 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755",
	"33 25 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory",
	"34 25 0:30 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids",
	"35 25 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw",
].join("\n");

describe("ownHierarchies", () => {
	it("v1: the pids controller's mount joined with this process's path", () => {
		const h = ownHierarchies(
			"8:pids:/user.slice/gw\n4:memory:/x\n0::/user.slice/gw",
			V1_MOUNTS,
		);
		assert.deepEqual(h[0], {
			version: 1,
			own: "/sys/fs/cgroup/pids/user.slice/gw",
		});
		assert.deepEqual(h[1], {
			version: 2,
			own: "/sys/fs/cgroup/unified/user.slice/gw",
		});
	});

	it("a controller list that merely contains the letters is not pids; no mount, no answer", () => {
		assert.deepEqual(
			ownHierarchies("3:cpu,cpuacct:/a", V1_MOUNTS).filter(
				(h) => h.version === 1,
			),
			[],
		);
		assert.deepEqual(ownHierarchies("8:pids:/a", ""), []);
	});

	it("a container's mount of a sub-tree: the path below its root; an escaped mount point", () => {
		const mounts =
			"40 30 0:30 /docker/abc /sys/fs/cgroup/my\\040pids rw - cgroup cgroup rw,nsdelegate,pids";
		assert.deepEqual(ownHierarchies("8:pids:/docker/abc/fn", mounts), [
			{ version: 1, own: "/sys/fs/cgroup/my pids/fn" },
		]);
		// A path outside the mounted sub-tree cannot be reached through it.
		assert.deepEqual(ownHierarchies("8:pids:/docker/abcd", mounts), []);
	});

	it("v2 alone: 0:: joined with the cgroup2 mount", () => {
		assert.deepEqual(
			ownHierarchies(
				"0::/system.slice/sigil.service",
				"30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate",
			),
			[{ version: 2, own: "/sys/fs/cgroup/system.slice/sigil.service" }],
		);
	});
});

describe("the start-up line's process bound", () => {
	const none = { ok: false, reason: "turned off (SIGIL_CGROUP=off)" } as const;
	it("RLIMIT_NPROC counts per user namespace from Linux 5.14 on", () => {
		for (const k of ["5.14.0-1", "5.15.0", "6.18.44-fc-v1272", "10.0"])
			assert.equal(nprocPerUserNamespace(k), true, k);
		for (const k of [
			"5.13.19",
			"5.10.0-28-amd64",
			"4.18.0-513.el8",
			"3.10",
			"weird",
		])
			assert.equal(nprocPerUserNamespace(k), false, k);
	});

	it("a cgroup, root without one, unprivileged without one on new and old kernels", () => {
		const cg = {
			ok: true,
			cgroup: { root: "/sys/fs/cgroup/pids/sigil-9", version: 1 },
		} as const;
		assert.match(
			describeProcessBound(cg, false),
			/per instance in \/sys\/fs\/cgroup\/pids\/sigil-9 \(cgroup v1\)/,
		);
		assert.match(
			describeProcessBound(none, true, "6.1.0"),
			/per function uid, shared by its instances .*SIGIL_CGROUP=off/,
		);
		const fresh = describeProcessBound(none, false, "6.1.0");
		assert.match(fresh, /per instance by its user namespace/);
		assert.doesNotMatch(fresh, /WARNING/);
		assert.match(
			describeProcessBound(none, false, "5.10.0"),
			/^WARNING: .*share the gateway uid's process count/,
		);
	});
});

const HOST: SandboxHost = {
	bwrap: "/usr/bin/bwrap",
	prlimit: "/usr/bin/prlimit",
	version: "0.8.0",
	privileged: false,
	tmpfsSize: true,
	rootEntries: [{ path: "/usr", kind: "dir" }],
};
const POLICY = {
	codeDir: "/data/code/abc",
	network: "full" as const,
	limits: { memoryMb: 128, ...DEFAULT_LIMITS },
	uid: 1_879_048_300,
	gid: 1_879_048_300,
};

describe("sandboxArgv with a pids cgroup", () => {
	const cgroup: PidsCgroup = {
		root: "/sys/fs/cgroup/pids/sigil-1",
		version: 1,
	};

	for (const privileged of [false, true])
		it(`${privileged ? "root" : "unprivileged"}: the joining shell first, then bwrap; no RLIMIT_NPROC`, () => {
			const host = {
				...HOST,
				privileged,
				...(privileged && { setpriv: "/usr/bin/setpriv" }),
			};
			const a = sandboxArgv({ ...host, pidsCgroup: cgroup }, POLICY, ["true"]);
			// The shell, bwrap, and bwrap's environment on a pipe: none of it in the argv.
			assert.deepEqual(a.slice(0, 8), cgroupPrefix("/usr/bin/bwrap"));
			assert.deepEqual(a.slice(5, 8), ["/usr/bin/bwrap", "--args", "4"]);
			assert.ok(!a.some((w) => w.startsWith("--nproc")));
			const plain = sandboxArgv(host, POLICY, ["true"]);
			assert.equal(plain[0], "/usr/bin/bwrap");
			assert.ok(plain.includes(`--nproc=${DEFAULT_LIMITS.maxProcesses}`));
		});

	it("an argv without the placeholder keeps its environment; with it, the shell gets none", () => {
		const env = { FOO: "bar" };
		const argv = ["/usr/bin/bwrap", "--", "true"];
		const plain = enterInstanceCgroup(argv, { cgroup, maxPids: 4 }, env);
		assert.equal(plain.argv, argv);
		assert.equal(plain.env, env);
		assert.deepEqual(plain.stdio(["ignore", "pipe"]), ["ignore", "pipe"]);
		// No placement: the argv stays unfilled (it fails in its shell), still without the env.
		const withPrefix = [...cgroupPrefix("/usr/bin/bwrap"), "true"];
		const unfilled = enterInstanceCgroup(withPrefix, undefined, env);
		assert.deepEqual(unfilled.argv, withPrefix);
		assert.deepEqual(unfilled.env, {});
		assert.deepEqual(unfilled.stdio(["ignore", "pipe"]), [
			"ignore",
			"pipe",
			"ignore",
			"ignore",
			"pipe",
		]);
	});

	it("the environment goes to bwrap as NUL-separated --setenv words; a NUL in it is refused", () => {
		assert.equal(
			setenvArgs({ A: "1", B: "x y\nz" }).toString("utf8"),
			[
				"--unsetenv",
				"PWD",
				"--setenv",
				"A",
				"1",
				"--setenv",
				"B",
				"x y\nz",
				"",
			].join("\u0000"),
		);
		assert.throws(() => setenvArgs({ A: "a\0b" }), /NUL byte/);
	});
});

/** Alive and not a zombie waiting for its parent to reap it. */
function running(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		return !/^\d+ \(.*\) [ZX] /.test(stat);
	} catch {
		return false;
	}
}

function run(argv: readonly string[]): Promise<{ code: number; out: string }> {
	const [file, ...args] = argv as [string, ...string[]];
	return new Promise((resolve) => {
		execFile(
			file,
			args,
			{ env: { PATH: "/usr/bin:/bin" }, timeout: 20_000 },
			(err, stdout, stderr) =>
				resolve({
					code: err ? ((err as { code?: number }).code ?? -1) : 0,
					out: `${stdout}${stderr}`,
				}),
		);
	});
}

describe("the joining shell", () => {
	it("an unfilled placeholder fails closed: exit 125, saying so, and the command never runs", async () => {
		const marker = join("/tmp", `sigil-cgroup-never-${process.pid}`);
		const r = await run([...joinShell(), "/usr/bin/touch", marker]);
		assert.equal(r.code, 125);
		assert.match(r.out, /could not enter its pids cgroup/);
		assert.ok(r.out.includes(CGROUP_PLACEHOLDER));
		assert.ok(!existsSync(marker), "the command ran outside any cgroup");
	});
});

const canCgroup =
	process.getuid?.() === 0 && (await detectPidsCgroup(undefined)).ok;
if (!canCgroup && process.env.CI)
	throw new Error(
		"CI must run every test: no cgroup v1 pids hierarchy writable here",
	);

describe("real pids cgroups", {
	skip: canCgroup ? false : "needs root and cgroup v1 pids",
}, async () => {
	const found = await detectPidsCgroup(undefined);
	const cgroup = found.ok ? found.cgroup : (undefined as never);

	it("pids.max bounds the processes inside; release kills the rest and removes the folder", async () => {
		const entered = enterInstanceCgroup(
			[
				...joinShell(),
				"/usr/bin/perl",
				"-e",
				// 40 tries to fork sleepers; the shell and perl are 1 of the 12 allowed.
				'my $n = 0; for (1 .. 40) { my $p = fork; next unless defined $p; if ($p == 0) { close STDOUT; close STDERR; sleep 30; exit 0 } $n++ } print "$n\\n"; exit 0',
			],
			{ cgroup, maxPids: 12 },
			{ PATH: "/usr/bin:/bin" },
		);
		const procs = entered.argv[4] as string;
		const dir = procs.slice(0, -"/cgroup.procs".length);
		assert.equal(readFileSync(join(dir, "pids.max"), "utf8").trim(), "12");
		const r = await run(entered.argv);
		assert.equal(r.out.trim(), "11");
		// The sleepers outlived perl, still inside: release kills them and the folder goes.
		const sleepers = readFileSync(procs, "utf8").trim().split("\n").map(Number);
		assert.equal(sleepers.length, 11);
		entered.release();
		for (let i = 0; i < 40 && existsSync(dir); i++)
			await new Promise((res) => setTimeout(res, 50));
		assert.ok(!existsSync(dir), "the instance's cgroup is still there");
		for (const pid of sleepers)
			assert.ok(!running(pid), `pid ${pid} outlived its release`);
	});

	it("SIGIL_CGROUP naming an ordinary folder, a relative path or nothing writable is refused, leaving nothing", async () => {
		resetCgroupProbe();
		const plain = await mkdtemp(join(tmpdir(), "sigil-not-cgroup-"));
		try {
			const r = await detectPidsCgroup(plain);
			assert.equal(r.ok, false);
			assert.match(r.ok ? "" : r.reason, /is not a cgroup folder/);
			assert.deepEqual(
				readdirSync(plain),
				[],
				"it wrote into an ordinary folder",
			);
			const rel = await detectPidsCgroup("sys/fs/cgroup/pids");
			assert.match(rel.ok ? "" : rel.reason, /must be an absolute path or off/);
			const gone = await detectPidsCgroup("/sys/fs/cgroup/pids/no-such-folder");
			assert.equal(gone.ok, false);
			const off = await detectPidsCgroup("off");
			assert.match(off.ok ? "" : off.reason, /turned off/);
		} finally {
			await rm(plain, { recursive: true, force: true });
		}
	});

	it("a real sandbox through its cgroup: the function has its environment, the host-side shell and bwrap none", async () => {
		const probe = await detectSandbox();
		assert.ok(probe.ok, probe.ok ? "" : probe.reason);
		const host = { ...probe.host, pidsCgroup: cgroup };
		const code = await mkdtemp(join(tmpdir(), "sigil-cgroup-env-"));
		await chmod(code, 0o755);
		// What would run code in a bash started with them (bash as /bin/sh, an unprivileged
		// gateway): the host shell must never see a function's variables.
		const env = {
			PATH: "/usr/bin:/bin",
			SIGIL_TEST_SECRET: "s3cr3t value with spaces",
			SHELLOPTS: "xtrace",
			PS4: "$(touch /tmp/sigil-ps4-ran)",
		};
		const limits = { memoryMb: 128, ...DEFAULT_LIMITS };
		const argv = sandboxArgv(
			host,
			{
				codeDir: code,
				network: "none",
				limits,
				uid: 0x7000_0011,
				gid: 0x7000_0011,
			},
			["/bin/sh", "-c", "env; sleep 1"],
		);
		const entered = enterInstanceCgroup(
			argv,
			cgroupPlacement(host, limits),
			env,
		);
		try {
			const [file, ...args] = entered.argv as [string, ...string[]];
			const child = spawn(file, args, {
				env: entered.env,
				stdio: entered.stdio(["ignore", "pipe", "pipe"]),
			});
			entered.started(child);
			let out = "";
			child.stdout?.on("data", (c: Buffer) => {
				out += c.toString("utf8");
			});
			child.stderr?.on("data", (c: Buffer) => {
				out += c.toString("utf8");
			});
			// While it sleeps: the host process (the shell, now bwrap) holds none of the function's
			// variables — only the working directory the shell exports.
			await new Promise((r) => setTimeout(r, 500));
			const hostEnv = readFileSync(`/proc/${child.pid}/environ`, "utf8")
				.split("\0")
				.filter((v) => v !== "");
			assert.deepEqual(
				hostEnv.filter((v) => !v.startsWith("PWD=")),
				[],
				`the host-side process holds: ${hostEnv.join(" ")}`,
			);
			assert.ok(
				!readFileSync(`/proc/${child.pid}/cmdline`, "utf8").includes("s3cr3t"),
				"a variable is in the argv",
			);
			await once(child, "exit");
			// Inside: exactly its own variables (sh adds PWD, the sandbox's /var/task).
			const inside = out
				.trim()
				.split("\n")
				.filter((l) => !l.startsWith("PWD="));
			assert.deepEqual(
				inside.sort(),
				Object.entries(env)
					.map(([k, v]) => `${k}=${v}`)
					.sort(),
			);
			assert.ok(out.includes("PWD=/var/task"), out);
			assert.ok(!existsSync("/tmp/sigil-ps4-ran"));
		} finally {
			entered.release();
			await rm(code, { recursive: true, force: true });
		}
	});

	it("the sweep removes a gone gateway's folders, never a live one's", () => {
		const parent = join(cgroup.root, "..");
		// A pid that no longer runs: a finished child's.
		const dead = spawnSync("/bin/true").pid as number;
		const gone = join(parent, `sigil-${dead}`);
		mkdirSync(join(gone, "i7"), { recursive: true });
		const removed = sweepCgroups(parent);
		assert.ok(removed.includes(`sigil-${dead}`));
		assert.ok(!existsSync(gone));
		assert.ok(existsSync(cgroup.root), "a live gateway's folder was swept");
	});

	it("pids.max cannot be raised from inside: the function's uid does not own its cgroup", async () => {
		const entered = enterInstanceCgroup(
			[...joinShell(), "true"],
			{ cgroup, maxPids: 5 },
			{},
		);
		const dir = (entered.argv[4] as string).slice(0, -"/cgroup.procs".length);
		try {
			// Root made it: another uid (a function's) may not write its limit.
			const r = spawnSync("/bin/sh", ["-c", `echo max > ${dir}/pids.max`], {
				uid: 1_879_048_300,
				gid: 1_879_048_300,
			});
			assert.notEqual(r.status, 0);
			assert.equal(readFileSync(join(dir, "pids.max"), "utf8").trim(), "5");
		} finally {
			entered.release();
		}
	});
});

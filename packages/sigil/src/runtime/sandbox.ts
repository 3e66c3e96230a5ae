/**
 * The function sandbox: the bubblewrap command line that starts one function instance in its
 * own mount, PID, IPC and UTS namespaces (and network, when asked), under an unprivileged uid,
 * with rlimits, on a minimal read-only root that holds the function's code, its own secrets and
 * nothing else of the gateway's machine.
 *
 * One job: describe the host once (`detectSandbox`) and turn a policy into an argv
 * (`sandboxArgv`). Starting, piping and killing stay with the runtimes (run-process.ts).
 *
 * Two ways to drop privilege, chosen by who runs the gateway:
 * - **as root**: bwrap runs privileged without a user namespace (an unprivileged user namespace
 *   would map the function's uid back to outer uid 0, i.e. root's files and root's signals), and
 *   `setpriv` inside the sandbox switches to a per-function uid/gid with every capability,
 *   the bounding set and supplementary groups gone and no_new_privs set. The uid owns nothing on
 *   the host; RLIMIT_NPROC counts per uid, so a fork bomb exhausts only its own function's uid.
 * - **unprivileged**: a user namespace maps the gateway's uid to `nobody` (65534) inside;
 *   further user namespaces are disabled. The function is still the gateway's uid to the kernel,
 *   but it sees none of the gateway's files or processes.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { lstat, mkdtemp, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import {
	type CgroupPlacement,
	cgroupPrefix,
	type PidsCgroup,
} from "./cgroup.ts";

/** How far functions are kept from the gateway; `sigil up --isolation`. */
export type Isolation = "sandbox" | "process" | "none";
export const ISOLATIONS: readonly Isolation[] = ["sandbox", "process", "none"];

/**
 * A function's network: `full` shares the host's; `loopback` is a network namespace of its own
 * whose only interface is its own loopback (bwrap brings it up) — the function can talk to
 * itself, not to the host's 127.0.0.1, the gateway or anything beyond; `none` is the same
 * namespace with the loopback taken down too when the gateway is root (unprivileged, the
 * sandbox cannot take it down after bwrap: `none` then equals `loopback`, still reaching nothing
 * outside the instance).
 */
export type NetworkMode = "full" | "loopback" | "none";
export const NETWORK_MODES: readonly NetworkMode[] = [
	"full",
	"loopback",
	"none",
];

/** What the gateway hands each runtime: the isolation chosen and, for `sandbox`, the host probed. */
export type RuntimeIsolation =
	| {
			readonly kind: "sandbox";
			readonly host: SandboxHost;
			readonly uidRange: UidRange;
	  }
	| { readonly kind: "process" }
	| { readonly kind: "none" };

/** Where things are inside every sandbox: fixed, so nothing reveals the host's layout. */
export const TASK_ROOT = "/var/task";
export const SECRETS_ROOT = "/run/sigil/secrets";
export const SANDBOX_HOME = "/tmp";

/** What `detectSandbox` found: the tools and how this host can run them. */
export interface SandboxHost {
	readonly bwrap: string;
	readonly prlimit: string;
	/** Present when the gateway is root: drops to the function's uid inside the sandbox. */
	readonly setpriv?: string;
	/** `ip`, to take the loopback down for `network: none` (root only). */
	readonly ip?: string;
	readonly version: string;
	/** The gateway runs as root: functions get a uid of their own. */
	readonly privileged: boolean;
	/** bwrap ≥ 0.8 bounds a tmpfs with `--size`; older ones leave /tmp bounded by RLIMIT_FSIZE only. */
	readonly tmpfsSize: boolean;
	/**
	 * The top-level entries of the root that exist here: a symlink (merged /usr: `/bin →
	 * usr/bin`) is recreated as one, a folder is bound read-only.
	 */
	readonly rootEntries: readonly RootEntry[];
	/**
	 * Where each instance gets a pids cgroup of its own (cgroup.ts); absent when none can be made.
	 * With one, argv starts with the shell that enters it and RLIMIT_NPROC is left unset: the
	 * cgroup bounds each instance instead.
	 */
	readonly pidsCgroup?: PidsCgroup;
}

export type RootEntry =
	| { readonly path: string; readonly kind: "dir" }
	| {
			readonly path: string;
			readonly kind: "symlink";
			readonly target: string;
	  };

/** Limits of one instance. Every field is a hard rlimit of its process tree. */
export interface SandboxLimits {
	/** RLIMIT_DATA (heap and other private writable memory), MiB. */
	readonly memoryMb: number;
	/** RLIMIT_CPU, seconds; undefined for long-lived instances (it would end a warm one). */
	readonly cpuSeconds?: number;
	/**
	 * Processes and threads of one instance: its pids cgroup's pids.max where the host has one,
	 * else RLIMIT_NPROC (which counts per uid, per user namespace since Linux 5.14).
	 */
	readonly maxProcesses: number;
	/** RLIMIT_NOFILE. */
	readonly maxOpenFiles: number;
	/** RLIMIT_FSIZE, bytes: no single file written larger. */
	readonly maxFileBytes: number;
	/** Size of the private /tmp, bytes. */
	readonly tmpBytes: number;
}

export const DEFAULT_LIMITS: Omit<SandboxLimits, "memoryMb"> = {
	maxProcesses: 256,
	maxOpenFiles: 1024,
	maxFileBytes: 64 * 1024 * 1024,
	tmpBytes: 64 * 1024 * 1024,
};

/** The uids functions get when the gateway is root (systemd leaves 0x70000000… unallocated). */
export interface UidRange {
	readonly first: number;
	readonly count: number;
}
export const DEFAULT_UID_RANGE: UidRange = {
	first: 0x7000_0000,
	count: 65_536,
};
const NOBODY = 65_534;

/** One function instance's sandbox. */
export interface SandboxPolicy {
	/** The host folder bound read-only at /var/task (the working directory). */
	readonly codeDir: string;
	/** The function's own secrets folder, bound read-only at /run/sigil/secrets. */
	readonly secretsDir?: string;
	readonly network: NetworkMode;
	readonly limits: SandboxLimits;
	/** uid/gid inside the sandbox when privileged (see `functionUid`); ignored otherwise. */
	readonly uid: number;
	readonly gid: number;
	/**
	 * Host paths the runtime itself needs (an interpreter outside /usr, Sigil's watchdog
	 * script): host path → path inside, bound read-only.
	 */
	readonly readOnly?: ReadonlyArray<readonly [string, string]>;
	/**
	 * Host folders bound writable: host path → path inside. Only fresh, private folders of one
	 * instance (an `http` server's socket folder), never anything shared.
	 */
	readonly readWrite?: ReadonlyArray<readonly [string, string]>;
}

/** Where an instance of `limits` is counted, on this host (undefined: no cgroups here). */
export function cgroupPlacement(
	host: SandboxHost,
	limits: SandboxLimits,
): CgroupPlacement | undefined {
	return host.pidsCgroup === undefined
		? undefined
		: { cgroup: host.pidsCgroup, maxPids: limits.maxProcesses };
}

/** A uid of the range chosen by the function's identity (its ARN): the same on every start. */
export function functionUid(
	identity: string,
	range: UidRange = DEFAULT_UID_RANGE,
): number {
	const h = createHash("sha256").update(identity).digest().readUInt32BE(0);
	return range.first + (h % range.count);
}

/** /etc entries a program may need to resolve names, verify TLS and know the time; nothing else. */
const ETC_FILES = [
	"/etc/ssl",
	"/etc/ca-certificates",
	"/etc/pki",
	"/etc/resolv.conf",
	"/etc/hosts",
	"/etc/nsswitch.conf",
	"/etc/localtime",
	"/etc/alternatives",
	"/etc/ld.so.cache",
	"/etc/ld.so.conf",
	"/etc/ld.so.conf.d",
	"/etc/mime.types",
];

/** Top-level folders of the root that hold programs and libraries. */
const ROOT_CANDIDATES = [
	"/usr",
	"/bin",
	"/sbin",
	"/lib",
	"/lib32",
	"/lib64",
	"/libx32",
];

/**
 * The full argv: bwrap's options, then the in-sandbox chain (ip for `none`, prlimit, setpriv),
 * then `command`. The caller spawns argv[0] with the function's clean environment: bwrap
 * passes it on unchanged, so the sandbox's /proc/1/environ holds nothing more either.
 */
export function sandboxArgv(
	host: SandboxHost,
	policy: SandboxPolicy,
	command: readonly string[],
): string[] {
	// The cgroup is entered before bwrap, so bwrap and everything below are counted in it.
	const a: string[] =
		host.pidsCgroup !== undefined ? cgroupPrefix(host.bwrap) : [host.bwrap];
	a.push(
		"--unshare-pid",
		"--unshare-ipc",
		"--unshare-uts",
		"--unshare-cgroup-try",
		"--hostname",
		"sigil",
		// The instance dies with the gateway, and a TIOCSTI on an inherited tty cannot reach it.
		"--die-with-parent",
		"--new-session",
	);
	if (!host.privileged)
		a.push(
			"--unshare-user",
			"--uid",
			String(NOBODY),
			"--gid",
			String(NOBODY),
			"--disable-userns",
		);
	if (policy.network !== "full") a.push("--unshare-net");
	// Parents are created 0755: bwrap's own default is 0700, which the function's uid cannot cross.
	const made = new Set<string>(["/"]);
	const dir = (path: string) => {
		const parent = posix.dirname(path);
		if (!made.has(parent)) dir(parent);
		if (made.has(path)) return;
		made.add(path);
		a.push("--perms", "0755", "--dir", path);
	};
	for (const entry of host.rootEntries) {
		made.add(entry.path);
		if (entry.kind === "symlink") a.push("--symlink", entry.target, entry.path);
		else a.push("--ro-bind", entry.path, entry.path);
	}
	dir("/etc");
	for (const path of ETC_FILES) a.push("--ro-bind-try", path, path);
	a.push("--proc", "/proc", "--dev", "/dev");
	made.add("/proc").add("/dev");
	if (host.tmpfsSize) a.push("--size", String(policy.limits.tmpBytes));
	a.push("--perms", "1777", "--tmpfs", "/tmp");
	made.add("/tmp");
	dir(posix.dirname(TASK_ROOT));
	a.push("--ro-bind", policy.codeDir, TASK_ROOT);
	made.add(TASK_ROOT);
	if (policy.secretsDir !== undefined) {
		dir(posix.dirname(SECRETS_ROOT));
		a.push("--ro-bind", policy.secretsDir, SECRETS_ROOT);
		made.add(SECRETS_ROOT);
	}
	for (const [from, to] of policy.readOnly ?? []) {
		dir(posix.dirname(to));
		a.push("--ro-bind", from, to);
		made.add(to);
	}
	for (const [from, to] of policy.readWrite ?? []) {
		dir(posix.dirname(to));
		a.push("--bind", from, to);
		made.add(to);
	}
	a.push("--chdir", TASK_ROOT, "--");

	// Inside: first what needs root (the loopback), then limits, then the uid drop, then the code.
	if (policy.network === "none" && host.privileged && host.ip !== undefined)
		a.push(
			"/bin/sh",
			"-c",
			`${host.ip} link set lo down && exec "$@"`,
			"sigil-net-none",
		);
	const l = policy.limits;
	a.push(
		host.prlimit,
		`--data=${l.memoryMb * 1024 * 1024}`,
		// With a cgroup, pids.max bounds the instance; RLIMIT_NPROC would count all of a uid's
		// processes together (every instance of a function as root, and without a user namespace
		// of its own on kernels before 5.14 every function of an unprivileged gateway).
		...(host.pidsCgroup === undefined ? [`--nproc=${l.maxProcesses}`] : []),
		`--nofile=${l.maxOpenFiles}`,
		`--fsize=${l.maxFileBytes}`,
		"--core=0",
	);
	if (l.cpuSeconds !== undefined) a.push(`--cpu=${l.cpuSeconds}`);
	a.push("--");
	if (host.privileged) {
		if (policy.uid === 0 || policy.gid === 0)
			throw new Error("a sandboxed function never runs as root");
		a.push(
			host.setpriv as string,
			`--reuid=${policy.uid}`,
			`--regid=${policy.gid}`,
			"--clear-groups",
			"--inh-caps=-all",
			"--bounding-set=-all",
			"--no-new-privs",
			"--",
		);
	}
	a.push(...command);
	return a;
}

/** The Lambda-standard variables, as AWS sets them for a function. */
export interface LambdaIdentity {
	readonly functionName: string;
	readonly version?: string;
	readonly memoryMb: number;
	readonly region: string;
	readonly handler?: string;
}

/**
 * A sandboxed function's whole environment: PATH/HOME/LANG of the sandbox, the Lambda-standard
 * variables, then the function's own (which may override LANG or TZ, never the task root).
 * Nothing of the gateway's environment is read.
 */
export function sandboxEnvironment(
	id: LambdaIdentity,
	own: Readonly<Record<string, string>>,
): Record<string, string> {
	return {
		PATH: "/usr/local/bin:/usr/bin:/bin",
		HOME: SANDBOX_HOME,
		LANG: "C.UTF-8",
		TZ: ":UTC",
		AWS_REGION: id.region,
		AWS_DEFAULT_REGION: id.region,
		AWS_LAMBDA_FUNCTION_NAME: id.functionName,
		AWS_LAMBDA_FUNCTION_VERSION: id.version ?? "$LATEST",
		AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(id.memoryMb),
		...(id.handler !== undefined && { _HANDLER: id.handler }),
		...own,
		LAMBDA_TASK_ROOT: TASK_ROOT,
	};
}

/** The result of probing: a host that runs sandboxes, or why it cannot. */
export type SandboxProbe =
	| { readonly ok: true; readonly host: SandboxHost }
	| { readonly ok: false; readonly reason: string };

const SEARCH = ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"];

async function findTool(name: string): Promise<string | undefined> {
	for (const d of SEARCH) {
		const p = join(d, name);
		try {
			if ((await lstat(p)).isFile() || (await lstat(p)).isSymbolicLink())
				return p;
		} catch {
			// not here
		}
	}
	return undefined;
}

function run(
	file: string,
	args: readonly string[],
	env: Record<string, string> = { PATH: "/usr/bin:/bin" },
): Promise<{ ok: boolean; out: string }> {
	return new Promise((resolve) => {
		execFile(file, args, { env, timeout: 10_000 }, (err, stdout, stderr) =>
			resolve({ ok: !err, out: `${stdout}${stderr}`.trim() }),
		);
	});
}

let probed: Promise<SandboxProbe> | undefined;

/**
 * Whether sandboxes start here: Linux, bubblewrap, util-linux's prlimit (and setpriv when root),
 * and one real sandbox that runs `id -u` as the uid it should. Probed once per process.
 */
export function detectSandbox(): Promise<SandboxProbe> {
	probed ??= probe();
	return probed;
}

async function probe(): Promise<SandboxProbe> {
	if (process.platform !== "linux")
		return {
			ok: false,
			reason: `bubblewrap sandboxes need Linux (this is ${process.platform})`,
		};
	const bwrap = await findTool("bwrap");
	if (bwrap === undefined)
		return {
			ok: false,
			reason:
				"bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap; `npm run setup` does it)",
		};
	const prlimit = await findTool("prlimit");
	if (prlimit === undefined)
		return { ok: false, reason: "prlimit (util-linux) is not installed" };
	const privileged = process.getuid?.() === 0;
	const setpriv = privileged ? await findTool("setpriv") : undefined;
	if (privileged && setpriv === undefined)
		return {
			ok: false,
			reason:
				"setpriv (util-linux) is not installed; a root gateway needs it to run functions as their own uid",
		};
	const ip = privileged ? await findTool("ip") : undefined;
	const v = await run(bwrap, ["--version"]);
	const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.out);
	if (!v.ok || !m)
		return { ok: false, reason: `${bwrap} --version failed: ${v.out}` };
	const major = Number(m[1]);
	const minor = Number(m[2]);
	const rootEntries: RootEntry[] = [];
	for (const path of ROOT_CANDIDATES) {
		try {
			const info = await lstat(path);
			if (info.isSymbolicLink())
				rootEntries.push({
					path,
					kind: "symlink",
					target: await readlink(path),
				});
			else if (info.isDirectory()) rootEntries.push({ path, kind: "dir" });
		} catch {
			// absent on this distribution
		}
	}
	const host: SandboxHost = {
		bwrap,
		prlimit,
		...(setpriv !== undefined && { setpriv }),
		...(ip !== undefined && { ip }),
		version: `${m[1]}.${m[2]}${m[3] !== undefined ? `.${m[3]}` : ""}`,
		privileged,
		tmpfsSize: major > 0 || minor >= 8,
		rootEntries,
	};
	// One real start, the way functions start: user namespaces may be disabled, seccomp or an
	// LSM may refuse mounts; only running it tells.
	const code = await mkdtemp(join(tmpdir(), "sigil-sandbox-probe-"));
	try {
		const uid = functionUid("sigil-probe");
		const argv = sandboxArgv(
			host,
			{
				codeDir: code,
				network: "none",
				limits: { memoryMb: 64, cpuSeconds: 5, ...DEFAULT_LIMITS },
				uid,
				gid: uid,
			},
			["/bin/sh", "-c", "id -u"],
		);
		const r = await run(argv[0] as string, argv.slice(1));
		const want = String(privileged ? uid : NOBODY);
		if (!r.ok || r.out !== want)
			return {
				ok: false,
				reason: `bubblewrap ${host.version} cannot start a sandbox here (${r.out || "no output"}${r.ok ? `; uid ${r.out}, expected ${want}` : ""})`,
			};
	} finally {
		await rm(code, { recursive: true, force: true });
	}
	return { ok: true, host };
}

/** For tests: forget the cached probe. */
export function resetSandboxProbe(): void {
	probed = undefined;
}

/** The folder holding `file`'s interpreter prefix (`…/bin/python3` → `…`), for binding. */
export function installPrefix(executable: string): string {
	return dirname(dirname(executable));
}

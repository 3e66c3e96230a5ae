// The sandbox's argv builder (pure) and, where bubblewrap runs, one real sandbox per property
// that the argv is meant to give: namespaces, a minimal read-only root without the data
// directory, an unprivileged uid, rlimits, a bounded /tmp, a clean environment.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
	DEFAULT_LIMITS,
	DEFAULT_UID_RANGE,
	detectSandbox,
	functionUid,
	type SandboxHost,
	type SandboxPolicy,
	SECRETS_ROOT,
	sandboxArgv,
	sandboxEnvironment,
	TASK_ROOT,
} from "../src/runtime/sandbox.ts";

const HOST: SandboxHost = {
	bwrap: "/usr/bin/bwrap",
	prlimit: "/usr/bin/prlimit",
	setpriv: "/usr/bin/setpriv",
	ip: "/usr/bin/ip",
	version: "0.8.0",
	privileged: true,
	tmpfsSize: true,
	rootEntries: [
		{ path: "/usr", kind: "dir" },
		{ path: "/bin", kind: "symlink", target: "usr/bin" },
		{ path: "/lib", kind: "symlink", target: "usr/lib" },
	],
};
const POLICY: SandboxPolicy = {
	codeDir: "/data/code/abc",
	secretsDir: "/data/run/secrets/111/fn/uuid",
	network: "full",
	limits: { memoryMb: 128, cpuSeconds: 4, ...DEFAULT_LIMITS },
	uid: 1_879_048_300,
	gid: 1_879_048_300,
};

/** The value after `flag` (first occurrence). */
function after1(argv: string[], flag: string): string | undefined {
	const i = argv.indexOf(flag);
	return i < 0 ? undefined : argv[i + 1];
}
/** Every (source, dest) of read-only binds. */
function binds(argv: string[]): [string, string][] {
	const out: [string, string][] = [];
	for (let i = 0; i < argv.length; i++)
		if (
			argv[i] === "--ro-bind" ||
			argv[i] === "--ro-bind-try" ||
			argv[i] === "--bind"
		)
			out.push([argv[i + 1] as string, argv[i + 2] as string]);
	return out;
}
function bwrapPart(argv: string[]): string[] {
	return argv.slice(0, argv.indexOf("--"));
}

describe("sandboxArgv", () => {
	it("new PID, IPC, UTS (and cgroup) namespaces, dies with its parent, own session", () => {
		const a = bwrapPart(sandboxArgv(HOST, POLICY, ["true"]));
		for (const f of [
			"--unshare-pid",
			"--unshare-ipc",
			"--unshare-uts",
			"--unshare-cgroup-try",
			"--die-with-parent",
			"--new-session",
		])
			assert.ok(a.includes(f), f);
		assert.ok(!a.includes("--unshare-all"));
		assert.ok(!a.includes("--share-net"));
	});

	it("a minimal read-only root: never /, never the data directory, nothing writable but /tmp", () => {
		const a = bwrapPart(sandboxArgv(HOST, POLICY, ["true"]));
		const b = binds(a);
		assert.ok(!b.some(([from]) => from === "/"), "the whole root is not bound");
		assert.ok(!a.includes("--bind"), "no writable bind");
		assert.ok(!a.includes("--dev-bind"));
		const sources = b.map(([from]) => from);
		assert.ok(
			!sources.some(
				(s) => s === "/data" || s === "/data/run" || s === "/data/code",
			),
			"no folder of the data directory beyond the two given",
		);
		assert.deepEqual(
			b.filter(([from]) => from.startsWith("/data")),
			[
				["/data/code/abc", TASK_ROOT],
				["/data/run/secrets/111/fn/uuid", SECRETS_ROOT],
			],
		);
		assert.ok(b.some(([from, to]) => from === "/usr" && to === "/usr"));
		assert.ok(a.join(" ").includes("--symlink usr/bin /bin"));
		assert.ok(b.every(([from]) => !from.startsWith("/etc") || from !== "/etc"));
		assert.ok(
			!sources.includes("/etc/passwd") && !sources.includes("/etc/shadow"),
		);
		assert.equal(after1(a, "--proc"), "/proc");
		assert.equal(after1(a, "--dev"), "/dev");
		assert.equal(after1(a, "--chdir"), TASK_ROOT);
	});

	it("a private /tmp bounded by --size (bwrap ≥ 0.8), world-writable with the sticky bit", () => {
		const a = bwrapPart(sandboxArgv(HOST, POLICY, ["true"]));
		const i = a.indexOf("--tmpfs");
		assert.equal(a[i + 1], "/tmp");
		assert.deepEqual(a.slice(i - 4, i), [
			"--size",
			String(DEFAULT_LIMITS.tmpBytes),
			"--perms",
			"1777",
		]);
		const old = bwrapPart(
			sandboxArgv({ ...HOST, tmpfsSize: false }, POLICY, ["true"]),
		);
		assert.ok(!old.includes("--size"));
	});

	it("no secrets folder when the function has no secrets", () => {
		const { secretsDir: _, ...none } = POLICY;
		const a = sandboxArgv(HOST, none, ["true"]);
		assert.ok(!a.includes(SECRETS_ROOT));
	});

	it("as root: no user namespace, setpriv to the function's uid without capabilities or groups", () => {
		const a = sandboxArgv(HOST, POLICY, ["/bin/echo", "hi"]);
		assert.ok(!a.includes("--unshare-user"));
		const s = a.indexOf("/usr/bin/setpriv");
		assert.ok(
			s > a.indexOf("/usr/bin/prlimit"),
			"limits first, then the uid drop",
		);
		assert.deepEqual(a.slice(s + 1, s + 8), [
			`--reuid=${POLICY.uid}`,
			`--regid=${POLICY.gid}`,
			"--clear-groups",
			"--inh-caps=-all",
			"--bounding-set=-all",
			"--no-new-privs",
			"--",
		]);
		assert.deepEqual(a.slice(-2), ["/bin/echo", "hi"]);
		assert.throws(() => sandboxArgv(HOST, { ...POLICY, uid: 0 }, ["true"]));
		assert.throws(() => sandboxArgv(HOST, { ...POLICY, gid: 0 }, ["true"]));
	});

	it("unprivileged: a user namespace mapping to nobody, no nested user namespaces, no setpriv", () => {
		const a = sandboxArgv(
			{ ...HOST, privileged: false, setpriv: undefined } as SandboxHost,
			POLICY,
			["true"],
		);
		assert.ok(a.includes("--unshare-user"));
		assert.equal(after1(a, "--uid"), "65534");
		assert.equal(after1(a, "--gid"), "65534");
		assert.ok(a.includes("--disable-userns"));
		assert.ok(!a.some((w) => w.includes("setpriv")));
	});

	it("rlimits: data, processes, open files, file size, no core, CPU only when given", () => {
		const a = sandboxArgv(HOST, POLICY, ["true"]);
		const p = a.indexOf("/usr/bin/prlimit");
		const limits = a.slice(p + 1, a.indexOf("--", p));
		assert.deepEqual(limits, [
			`--data=${128 * 1024 * 1024}`,
			`--nproc=${DEFAULT_LIMITS.maxProcesses}`,
			`--nofile=${DEFAULT_LIMITS.maxOpenFiles}`,
			`--fsize=${DEFAULT_LIMITS.maxFileBytes}`,
			"--core=0",
			"--cpu=4",
		]);
		const { cpuSeconds: _, ...noCpu } = POLICY.limits;
		const b = sandboxArgv(HOST, { ...POLICY, limits: noCpu }, ["true"]);
		assert.ok(!b.some((w) => w.startsWith("--cpu")));
	});

	it("network: full shares the host's, loopback and none get their own namespace; none downs lo as root", () => {
		assert.ok(!sandboxArgv(HOST, POLICY, ["true"]).includes("--unshare-net"));
		const lo = sandboxArgv(HOST, { ...POLICY, network: "loopback" }, ["true"]);
		assert.ok(lo.includes("--unshare-net"));
		assert.ok(!lo.some((w) => w.includes("link set lo down")));
		const none = sandboxArgv(HOST, { ...POLICY, network: "none" }, ["true"]);
		assert.ok(none.includes("--unshare-net"));
		assert.ok(none.some((w) => w.includes("/usr/bin/ip link set lo down")));
	});

	it("read-only extras (an interpreter outside /usr) get their parents created 0755", () => {
		const a = sandboxArgv(
			HOST,
			{ ...POLICY, readOnly: [["/opt/py/3.11", "/opt/py/3.11"]] },
			["true"],
		);
		assert.ok(
			a
				.join(" ")
				.includes(
					"--perms 0755 --dir /opt --perms 0755 --dir /opt/py --ro-bind /opt/py/3.11 /opt/py/3.11",
				),
		);
	});
});

describe("functionUid and sandboxEnvironment", () => {
	it("a stable, non-root uid of the range per function", () => {
		const a = functionUid("arn:aws:lambda:us-east-1:111111111111:function:a");
		assert.equal(
			a,
			functionUid("arn:aws:lambda:us-east-1:111111111111:function:a"),
		);
		assert.notEqual(
			a,
			functionUid("arn:aws:lambda:us-east-1:111111111111:function:b"),
		);
		assert.ok(
			a >= DEFAULT_UID_RANGE.first &&
				a < DEFAULT_UID_RANGE.first + DEFAULT_UID_RANGE.count,
		);
		assert.equal(functionUid("x", { first: 5000, count: 1 }), 5000);
	});

	it("the Lambda variables and the function's own; nothing of the gateway's", () => {
		process.env.SIGIL_ROOT_SECRET_ACCESS_KEY_TEST_ONLY = "leak";
		const env = sandboxEnvironment(
			{
				functionName: "fn",
				memoryMb: 256,
				region: "eu-west-1",
				handler: "index.handler",
			},
			{ MY_VAR: "1", LAMBDA_TASK_ROOT: "/elsewhere" },
		);
		delete process.env.SIGIL_ROOT_SECRET_ACCESS_KEY_TEST_ONLY;
		assert.deepEqual(Object.keys(env).sort(), [
			"AWS_DEFAULT_REGION",
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
			"AWS_LAMBDA_FUNCTION_NAME",
			"AWS_LAMBDA_FUNCTION_VERSION",
			"AWS_REGION",
			"HOME",
			"LAMBDA_TASK_ROOT",
			"LANG",
			"MY_VAR",
			"PATH",
			"TZ",
			"_HANDLER",
		]);
		assert.equal(env.LAMBDA_TASK_ROOT, TASK_ROOT);
		assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "256");
	});
});

describe("a real sandbox", async () => {
	const probe = await detectSandbox();
	const skip = probe.ok
		? false
		: `no sandbox here: ${probe.ok ? "" : probe.reason}`;
	let base: string;
	let code: string;
	let secrets: string;
	before(async () => {
		base = await mkdtemp(join(tmpdir(), "sigil-sbx-"));
		// Traversable, so an unprivileged bwrap (the test below) can reach the code folder too.
		await chmod(base, 0o755);
		code = join(base, "code");
		secrets = join(base, "secrets");
		await mkdir(code);
		await mkdir(secrets);
		await writeFile(join(base, "master.key"), "do-not-read\n", { mode: 0o600 });
		await writeFile(join(code, "hello.sh"), "echo from-task\n");
		await writeFile(join(secrets, "api"), "s3cr3t");
	});
	after(() => rm(base, { recursive: true, force: true }));

	function sh(script: string, over: Partial<SandboxPolicy> = {}) {
		if (!probe.ok) throw new Error("unreachable");
		const argv = sandboxArgv(
			probe.host,
			{ ...POLICY, codeDir: code, secretsDir: secrets, ...over },
			["/bin/sh", "-c", script],
		);
		return new Promise<{ code: number; out: string }>((resolve) => {
			execFile(
				argv[0] as string,
				argv.slice(1),
				{ env: { PATH: "/usr/bin:/bin" }, timeout: 10_000 },
				(err, stdout, stderr) =>
					resolve({
						code: err ? Number((err as { code?: number }).code ?? 1) : 0,
						out: `${stdout}${stderr}`.trim(),
					}),
			);
		});
	}

	it("runs as a non-root uid, sees its code and its secrets, not the data directory", {
		skip,
	}, async () => {
		const r = await sh(
			`id -u; sh hello.sh; cat ${SECRETS_ROOT}/api; echo; cat ${base}/master.key 2>&1 || echo no-master`,
		);
		const [uid, task, secret, master] = r.out.split("\n");
		assert.notEqual(uid, "0");
		assert.equal(task, "from-task");
		assert.equal(secret, "s3cr3t");
		assert.match(master as string, /No such file|no-master/);
	});

	it("/proc is its own PID namespace; the gateway's pid is invisible", {
		skip,
	}, async () => {
		const r = await sh(
			`kill -0 ${process.pid} 2>/dev/null && echo visible || echo gone; ls /proc | grep -c '^[0-9]'`,
		);
		const [seen, count] = r.out.split("\n");
		assert.equal(seen, "gone");
		assert.ok(Number(count) < 10, `only a few pids: ${count}`);
	});

	it("the code and the root are read-only; /tmp is bounded", {
		skip,
	}, async () => {
		const r = await sh(
			"touch /var/task/x 2>/dev/null && echo task-writable; touch /usr/x 2>/dev/null && echo usr-writable; dd if=/dev/zero of=/tmp/big bs=1M count=8 2>/dev/null; echo tmp=$?",
			{ limits: { ...POLICY.limits, tmpBytes: 4 * 1024 * 1024 } },
		);
		assert.ok(!r.out.includes("writable"), r.out);
		assert.match(r.out, /tmp=[1-9]/);
	});

	it("unprivileged (a root gateway starts it as another uid): nobody in a user namespace, its code, no nesting", {
		skip,
	}, async () => {
		if (!probe.ok || !probe.host.privileged) return;
		const { setpriv: _, ...rest } = probe.host;
		const argv = sandboxArgv(
			{ ...rest, privileged: false },
			{ ...POLICY, codeDir: code, secretsDir: secrets, network: "loopback" },
			[
				"/bin/sh",
				"-c",
				"id -u; sh hello.sh; ip -o link | wc -l; unshare -U true 2>/dev/null && echo nested || echo no-nesting",
			],
		);
		const r = await new Promise<string>((resolve) => {
			execFile(
				argv[0] as string,
				argv.slice(1),
				{
					env: { PATH: "/usr/bin:/bin" },
					uid: 12_345,
					gid: 12_345,
					timeout: 10_000,
				},
				(err, stdout, stderr) =>
					resolve(err ? `${err.message} ${stderr}` : stdout.trim()),
			);
		});
		assert.deepEqual(r.split("\n"), ["65534", "from-task", "1", "no-nesting"]);
	});

	it("network none: no interface up (as root); loopback: only its own lo", {
		skip,
	}, async () => {
		const none = await sh("ip -o link show up | wc -l", { network: "none" });
		if (probe.ok && probe.host.privileged) assert.equal(none.out, "0");
		const lo = await sh("ip -o link | wc -l; ip -o link show up | wc -l", {
			network: "loopback",
		});
		assert.deepEqual(lo.out.split("\n"), ["1", "1"]);
	});
});

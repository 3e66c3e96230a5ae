// A fork bomb fills its own instance and nothing else. Every sandboxed instance (a warm process,
// or one fork-per-request run) is counted in a pids cgroup of its own (runtime/cgroup.ts).
//
// - A root gateway (the default here and in CI) runs a function under a uid of its own; two
//   requests of one `process` function are two instances under the same uid. RLIMIT_NPROC counts
//   per uid, so without cgroups the bomb in one request breaks the forks of the other: the
//   control case (SIGIL_CGROUP=off) shows that, so the cgroup case can fail.
// - A gateway run by an ordinary user (uid 12345, as `sigil up` without root is) puts its
//   instances in the pids cgroup folder delegated to it (SIGIL_CGROUP) and contains the bomb the
//   same way. (Since Linux 5.14 each sandbox's own user namespace also counts RLIMIT_NPROC apart;
//   before, every function of such a gateway shared the one count of its uid.)
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import {
	chownSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmdirSync,
	rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { ownHierarchies, sweepCgroups } from "../../src/runtime/cgroup.ts";
import { detectSandbox } from "../../src/runtime/sandbox.ts";
import { deployAt, startTestGateway } from "../helpers/gateway.ts";

const USER = 12_345;

/** The cgroup v1 pids folder this (root) test process is in, where it can delegate a child. */
function pidsParent(): string | undefined {
	const [v1] = ownHierarchies(
		readFileSync("/proc/self/cgroup", "utf8"),
		readFileSync("/proc/self/mountinfo", "utf8"),
	).filter((h) => h.version === 1);
	return v1?.own;
}

const probe = await detectSandbox();
const parent = process.getuid?.() === 0 ? pidsParent() : undefined;
const unavailable = !probe.ok
	? `no sandbox here (${probe.reason})`
	: parent === undefined
		? "needs root and a cgroup v1 pids hierarchy"
		: false;
if (unavailable && process.env.CI)
	throw new Error(`CI must run every test: ${unavailable}`);

/**
 * The function: sent `bomb`, it forks up to 600 sleepers and holds them 3 s; sent anything else,
 * it forks 8 children and says how many it got. perl, not sh: a shell whose fork fails exits at
 * once, taking its children with it.
 */
const FUNCTION = `
my $what = <STDIN> // "";
if ($what =~ /bomb/) {
	my $n = 0;
	for (1 .. 600) { my $p = fork; next unless defined $p; if ($p == 0) { sleep 29; exit 0 } $n++ }
	sleep 3;
	print "started $n\\n";
} else {
	my $ok = 0;
	for (1 .. 8) { my $p = fork; next unless defined $p; if ($p == 0) { exit 0 } $ok++ }
	1 while wait() != -1;
	print "forked $ok\\n";
}
`;
const CONFIG = {
	runtime: "process",
	fprocess: "perl forks.pl",
	timeout: "6s",
	trigger: { auth: "none" },
};

/** perl processes on the machine right now (the bomb's sleepers are perl children). */
function perlTasks(): number {
	let n = 0;
	for (const name of readdirSync("/proc")) {
		if (!/^\d+$/.test(name)) continue;
		try {
			if (readFileSync(`/proc/${name}/comm`, "utf8") === "perl\n") n++;
		} catch {
			// gone meanwhile
		}
	}
	return n;
}

async function call(url: string, body: string) {
	const res = await fetch(`${url}/function/forks`, { method: "POST", body });
	return { status: res.status, text: await res.text() };
}

/** Starts the bomb, waits until it has forked all it can, then asks the victim to fork. */
async function bombThenVictim(url: string) {
	assert.match((await call(url, "victim")).text, /forked 8/);
	const before = perlTasks();
	const bomb = call(url, "bomb");
	const deadline = Date.now() + 4000;
	let peak = 0;
	// The bomb has forked all it can when the count stops rising for a moment.
	for (let last = -1; Date.now() < deadline; ) {
		await new Promise((r) => setTimeout(r, 150));
		peak = perlTasks() - before;
		if (peak === last && peak > 200) break;
		last = peak;
	}
	const health = await fetch(`${url}/healthz`);
	const victim = await call(url, "victim");
	const bombed = await bomb;
	return { peak, health: health.status, victim, bombed };
}

function assertContained(r: Awaited<ReturnType<typeof bombThenVictim>>) {
	assert.equal(r.health, 200);
	// The bomb really ran: its instance held about its pids.max (256) of processes.
	assert.ok(
		r.peak > 200,
		`only ${r.peak} processes at the peak: ${JSON.stringify(r.bombed)}`,
	);
	assert.match(r.bombed.text, /started 2\d\d\n/);
	assert.equal(r.victim.status, 200, r.victim.text);
	assert.match(r.victim.text, /forked 8/);
}

const files = { "forks.pl": FUNCTION };

describe("a fork bomb under a root gateway", { skip: unavailable }, () => {
	it("fills only its own instance: a second request of the same function still forks", async () => {
		const gw = await startTestGateway();
		try {
			await gw.deploy("forks", CONFIG, files);
			assertContained(await bombThenVictim(gw.url));
		} finally {
			await gw.stop();
		}
	});

	it("without cgroups (SIGIL_CGROUP=off, the control): the uid's shared count breaks the second request", async () => {
		const gw = await startTestGateway({ env: { SIGIL_CGROUP: "off" } });
		try {
			assert.ok(
				gw.logs.some((l) => l.includes("processes counted per function uid")),
			);
			await gw.deploy("forks", CONFIG, files);
			const r = await bombThenVictim(gw.url);
			assert.equal(r.health, 200);
			assert.doesNotMatch(r.victim.text, /forked 8/);
		} finally {
			await gw.stop();
		}
	});
});

interface UserGateway {
	readonly url: string;
	readonly child: ChildProcess;
	readonly dataDir: string;
	readonly startLine: string;
}

async function startAsUser(cgroup: string): Promise<UserGateway> {
	const dataDir = mkdtempSync(join(tmpdir(), "sigil-unpriv-"));
	chownSync(dataDir, USER, USER);
	const child = spawn(
		process.execPath,
		[join(import.meta.dirname, "..", "helpers", "gateway-process.ts"), dataDir],
		{
			uid: USER,
			gid: USER,
			cwd: dataDir,
			env: {
				PATH: "/usr/bin:/bin",
				HOME: dataDir,
				SIGIL_CGROUP: cgroup,
				SIGIL_TEST_LOG: "1",
			},
			stdio: ["ignore", "pipe", "pipe"],
		},
	);
	let log = "";
	child.stderr?.on("data", (c: Buffer) => {
		log += c.toString("utf8");
	});
	const lines = createInterface({
		input: child.stdout as NodeJS.ReadableStream,
	});
	const died = once(child, "exit").then(() => {
		throw new Error(`the gateway exited before listening: ${log}`);
	});
	const [line] = (await Promise.race([once(lines, "line"), died])) as [string];
	// The line saying the isolation in words follows the one saying the URL.
	const said = () =>
		log.split("\n").find((l) => l.includes('"at":"isolation"'));
	for (let i = 0; i < 40 && said() === undefined; i++)
		await new Promise((r) => setTimeout(r, 50));
	return {
		url: (JSON.parse(line) as { url: string }).url,
		child,
		dataDir,
		startLine: said() ?? log,
	};
}

describe("a fork bomb under an unprivileged gateway", {
	skip: unavailable,
}, () => {
	let delegated: string;
	before(() => {
		// What an operator does for a user's gateway (or systemd's Delegate= does): a folder of
		// the pids hierarchy owned by that user.
		delegated = join(parent as string, `sigil-test-delegated-${process.pid}`);
		mkdirSync(delegated);
		for (const f of ["", "cgroup.procs", "tasks"])
			chownSync(join(delegated, f), USER, USER);
	});
	after(async () => {
		// The gateways are gone: what they left (an instance still dying at their exit) is swept.
		for (let i = 0; i < 40 && existsSync(delegated); i++) {
			sweepCgroups(delegated);
			try {
				rmdirSync(delegated);
			} catch {
				await new Promise((r) => setTimeout(r, 50));
			}
		}
		assert.ok(!existsSync(delegated), `${delegated} is left behind`);
	});

	it("is counted in the delegated cgroup and fills only its own instance", async () => {
		const gw = await startAsUser(delegated);
		try {
			assert.match(gw.startLine, /uid nobody in a user namespace/);
			assert.match(gw.startLine, /processes counted per instance/);
			const res = await deployAt(gw.url, "forks", CONFIG, files);
			assert.equal(res.status, 201, await res.text());
			assertContained(await bombThenVictim(gw.url));
		} finally {
			gw.child.kill("SIGTERM");
			await once(gw.child, "exit");
			rmSync(gw.dataDir, { recursive: true, force: true });
		}
		// The gateway's own folder and its instances' went with it.
		assert.deepEqual(
			readdirSync(delegated).filter((d) => d.startsWith("sigil-")),
			[],
		);
	});

	it("a named SIGIL_CGROUP it cannot use stops the start, saying why", async () => {
		// The parent itself is root's: this user cannot make cgroups there.
		await assert.rejects(
			startAsUser(parent as string),
			/SIGIL_CGROUP=.*cannot hold/,
		);
	});
});

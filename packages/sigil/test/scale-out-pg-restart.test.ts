// Issue 12: PostgreSQL restarted under load. A gateway (a child process) keeps its state and its
// job queue on a PostgreSQL of this test's own — a fresh cluster (initdb) on a free port, never
// the shared one — which the test SIGKILLs and starts again while requests keep coming. Deployed
// functions keep answering from memory, /readyz names the store while it is out, nothing that
// needs the store is accepted meanwhile (503, never a 202 that could be lost), the gateway
// reconnects by itself, and every job answered 202 runs.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
	chownSync,
	closeSync,
	existsSync,
	openSync,
	readFileSync,
} from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cp } from "./helpers/iam.ts";
import {
	type ClusterGateway,
	spawnGateway,
	until,
} from "./multi-gateway-harness.ts";
import { freePort, sleep, tcpReachable } from "./ports-services.ts";

/** initdb/postgres of the machine, and the unprivileged user a root test runs them as. */
function pgTools(): { bin: string; user: string | undefined } | string {
	for (const bin of ["/usr/local/bin", ...listPgBins()])
		if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "postgres"))) {
			const root = process.getuid?.() === 0;
			if (
				root &&
				spawnSync("id", ["postgres"], { stdio: "ignore" }).status !== 0
			)
				return "running as root and there is no postgres user to run a cluster as";
			return { bin, user: root ? "postgres" : undefined };
		}
	return "initdb/postgres are not installed";
}
function listPgBins(): string[] {
	const ran = spawnSync(
		"sh",
		["-c", "ls -d /usr/lib/postgresql/*/bin 2>/dev/null"],
		{
			encoding: "utf8",
		},
	);
	return ran.stdout.split("\n").filter(Boolean);
}
const tools = pgTools();
const skip =
	typeof tools === "string"
		? process.env.CI
			? (() => {
					throw new Error(`${tools}: CI must run the PostgreSQL restart suite`);
				})()
			: `${tools} (skipped outside CI; CI fails instead)`
		: undefined;

/** A PostgreSQL cluster of this test's own: started, SIGKILLed, started again on its port. */
class OwnPostgres {
	#child: ChildProcess | undefined;
	readonly dir: string;
	readonly port: number;
	readonly t: { bin: string; user: string | undefined };
	constructor(
		dir: string,
		port: number,
		t: { bin: string; user: string | undefined },
	) {
		this.dir = dir;
		this.port = port;
		this.t = t;
	}
	/** The unprivileged user's ids: postgres runs as them directly, so a kill reaches it. */
	#as(): { uid?: number; gid?: number } {
		const user = this.t.user;
		if (!user) return {};
		const id = (flag: string) =>
			Number(spawnSync("id", [flag, user], { encoding: "utf8" }).stdout.trim());
		return { uid: id("-u"), gid: id("-g") };
	}
	#cmd(tool: string, args: string[]): [string, string[]] {
		return [join(this.t.bin, tool), args];
	}
	init(): void {
		const [file, args] = this.#cmd("initdb", [
			"-D",
			this.dir,
			"-U",
			"postgres",
			"--auth=trust",
			"--no-sync",
		]);
		const ran = spawnSync(file, args, { encoding: "utf8", ...this.#as() });
		assert.equal(ran.status, 0, ran.stderr);
	}
	async start(): Promise<void> {
		const [file, args] = this.#cmd("postgres", [
			"-D",
			this.dir,
			"-p",
			String(this.port),
			"-k",
			this.dir,
			"-c",
			"listen_addresses=127.0.0.1",
			"-c",
			"fsync=off",
		]);
		// Its own process group: a kill takes the postmaster and every backend at once.
		// Its output to a log beside the cluster: the evidence when a start fails.
		const log = openSync(
			join(this.dir, "..", `${basename(this.dir)}.log`),
			"a",
		);
		this.#child = spawn(file, args, {
			stdio: ["ignore", log, log],
			detached: true,
			...this.#as(),
		});
		closeSync(log);
		for (let i = 0; i < 300; i++) {
			if (await tcpReachable(`tcp://127.0.0.1:${this.port}`, this.port, 200))
				return;
			await sleep(50);
		}
		throw new Error(
			`postgres did not start on ${this.port}: ${readFileSync(join(this.dir, "..", `${basename(this.dir)}.log`), "utf8").slice(-2000)}`,
		);
	}
	/** SIGKILL of the postmaster and every backend (as a crashed machine would leave it). */
	async kill(): Promise<void> {
		const c = this.#child;
		if (!c?.pid || c.exitCode !== null) return;
		const exited = new Promise((r) => c.once("exit", r));
		process.kill(-c.pid, "SIGKILL");
		await exited;
		// Backends die with their postmaster; make sure the port is free before a restart.
		for (let i = 0; i < 100; i++) {
			if (!(await tcpReachable(`tcp://127.0.0.1:${this.port}`, this.port, 100)))
				return;
			await sleep(50);
		}
	}
}

describe("PostgreSQL restarted under load", { skip }, () => {
	let pg: OwnPostgres;
	let gateway: ClusterGateway;
	let dir: string;

	before(async () => {
		const t = tools as { bin: string; user: string | undefined };
		dir = await mkdtemp(join(tmpdir(), "sigil-restart-pg-"));
		if (t.user) {
			const id = spawnSync("id", ["-u", t.user], {
				encoding: "utf8",
			}).stdout.trim();
			const gid = spawnSync("id", ["-g", t.user], {
				encoding: "utf8",
			}).stdout.trim();
			chownSync(dir, Number(id), Number(gid));
		}
		pg = new OwnPostgres(dir, await freePort(), t);
		pg.init();
		await pg.start();
		gateway = await spawnGateway(
			{
				store: `postgres://postgres@127.0.0.1:${pg.port}/postgres`,
				queue: "embedded",
				cache: "memory",
			},
			{ SIGIL_MASTER_KEY: randomBytes(32).toString("base64") },
			// A job claimed when the store died is the lease's to bring back: short here, as in the Redis/NATS suite.
			{ concurrency: 4, leaseMs: 3_000 },
		);
		await cp(gateway.gw, "PUT", "/functions/steady", {
			config: { runtime: "node", trigger: { auth: "none" } },
			code: {
				files: [
					{
						path: "index.mjs",
						mode: 0o644,
						data: Buffer.from(
							`export const handler = async () => ({ statusCode: 200, body: "ok" });`,
						).toString("base64"),
					},
				],
			},
		});
	});
	after(async () => {
		await gateway?.stop();
		await pg?.kill();
		if (dir) await rm(dir, { recursive: true, force: true });
	});

	test("down: functions still answer, /readyz names the store, no 202 is given; back: the gateway reconnects and every accepted job runs", async () => {
		const accepted: string[] = [];
		const statuses: number[] = [];
		let running = true;
		// Async calls all along: each one either 202 (stored, so it must run) or refused.
		const load = (async () => {
			while (running) {
				const res = await fetch(`${gateway.url}/async-function/steady/`, {
					method: "POST",
					body: "x",
				}).catch(() => undefined);
				if (res) {
					statuses.push(res.status);
					await res.arrayBuffer();
					if (res.status === 202)
						accepted.push(res.headers.get("x-call-id") as string);
				}
				await sleep(20);
			}
		})();
		try {
			await sleep(500);
			await pg.kill();
			const down = await until(gateway, "store", false, 30_000);
			assert.equal(down.httpStatus, 503);
			// A deployed function is served from memory while its store is out.
			const sync = await fetch(`${gateway.url}/function/steady/`);
			assert.equal(sync.status, 200, await sync.text());
			await sleep(1_000);
			await pg.start();
			await until(gateway, "store", true, 30_000);
			await sleep(500);
		} finally {
			running = false;
			await load;
		}
		assert.ok(
			statuses.every((s) => s === 202 || s === 503),
			`only 202 or 503: ${[...new Set(statuses)].join(", ")}`,
		);
		assert.ok(statuses.includes(503), "the outage was seen as 503");
		assert.ok(
			accepted.length >= 2,
			`accepted before and after: ${accepted.length}`,
		);
		// Every job answered 202 runs, the ones queued before the crash too.
		const end = performance.now() + 30_000;
		const pending = new Set(accepted);
		while (pending.size > 0 && performance.now() < end) {
			for (const id of [...pending]) {
				const job = await cp<{ job: { status: string } }>(
					gateway.gw,
					"GET",
					`/jobs/${id}`,
				).catch(() => undefined);
				if (job?.job.status === "succeeded") pending.delete(id);
			}
			if (pending.size) await sleep(200);
		}
		assert.equal(
			pending.size,
			0,
			`jobs accepted but not run: ${[...pending].join(", ")}`,
		);
	});
});

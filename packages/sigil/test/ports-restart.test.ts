/**
 * The Redis and JetStream adapters outlive a restart of their engine. Each test starts its own
 * redis-server / nats-server (the Debian packages the CI machine has) on a free port, kills it
 * with SIGKILL under a connected adapter and starts it again: calls during the outage fail fast
 * and clearly (CACHE_UNAVAILABLE / QUEUE_UNAVAILABLE, naming the server, `check()` failing for
 * /readyz), and afterwards the same adapter works again by itself — with the queued job still
 * there, since JetStream keeps it on disk. The shared servers other suites use are never touched.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { JetStreamJobQueue } from "../src/adapters/nats/jetstream-job-queue.ts";
import { RedisSharedCache } from "../src/adapters/redis/redis-shared-cache.ts";
import { isQueueError } from "../src/ports/job-queue.ts";
import { isCacheError } from "../src/ports/shared-cache.ts";
import { aJob } from "./ports-job-queue-contract.ts";
import { freePort, sleep, tcpReachable } from "./ports-services.ts";

const children: ChildProcess[] = [];
const dirs: string[] = [];
after(async () => {
	for (const c of children)
		if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
	await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function missing(binary: string): string | undefined {
	if (spawnSync(binary, ["--version"], { stdio: "ignore" }).status === 0)
		return undefined;
	const reason = `${binary} is not installed`;
	if (process.env.CI)
		throw new Error(
			`${reason}: CI must run the restart tests (apt-get install it)`,
		);
	return `${reason} (skipped outside CI; CI fails instead)`;
}

function skipFor(binary: string): string | false {
	try {
		return missing(binary) ?? false;
	} catch (err) {
		test(`restart tests need ${binary}`, () => {
			throw err;
		});
		return "missing (reported as a failure above)";
	}
}

async function startServer(
	binary: string,
	args: string[],
	port: number,
): Promise<ChildProcess> {
	const child = spawn(binary, args, { stdio: "ignore" });
	children.push(child);
	for (let i = 0; i < 100; i++) {
		if (await tcpReachable(`tcp://127.0.0.1:${port}`, port, 200)) return child;
		await sleep(50);
	}
	throw new Error(`${binary} did not start on port ${port}`);
}

async function kill9(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise((r) => child.once("exit", r));
	child.kill("SIGKILL");
	await exited;
}

/** Retries `fn` until it resolves (or `ms` pass). */
async function eventually<T>(fn: () => Promise<T>, ms: number): Promise<T> {
	const until = performance.now() + ms;
	for (;;) {
		try {
			return await fn();
		} catch (err) {
			if (performance.now() > until) throw err;
			await sleep(200);
		}
	}
}

test("Redis killed and restarted: calls fail fast as CACHE_UNAVAILABLE naming it, then work again on the same client", {
	skip: skipFor("redis-server"),
}, async () => {
	const port = await freePort();
	const dir = await mkdtemp(join(tmpdir(), "sigil-redis-"));
	dirs.push(dir);
	const args = [
		"--port",
		String(port),
		"--bind",
		"127.0.0.1",
		"--save",
		"",
		"--appendonly",
		"no",
		"--dir",
		dir,
	];
	let server = await startServer("redis-server", args, port);
	const cache = await RedisSharedCache.connect(`redis://127.0.0.1:${port}`, {
		keyPrefix: "restart:",
	});
	try {
		assert.equal(await cache.firstSighting("hook", "before", 60_000), true);
		await kill9(server);
		const started = performance.now();
		await assert.rejects(
			cache.firstSighting("hook", "during", 60_000),
			(err) => {
				assert.ok(isCacheError(err, "CACHE_UNAVAILABLE"), String(err));
				assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
				return true;
			},
		);
		assert.ok(
			performance.now() - started < 2000,
			"an outage is reported at once, not after a queue wait",
		);
		await assert.rejects(cache.check(), (err) =>
			isCacheError(err, "CACHE_UNAVAILABLE"),
		);
		server = await startServer("redis-server", args, port);
		await eventually(() => cache.check(), 15_000);
		// Redis keeps nothing on disk here: the id is forgotten (docs/scale-out.md says so).
		assert.equal(await cache.firstSighting("hook", "before", 60_000), true);
		assert.equal((await cache.rateLimit("fn", 1, 60_000)).allowed, true);
		assert.equal((await cache.rateLimit("fn", 1, 60_000)).allowed, false);
	} finally {
		await cache.close();
		await kill9(server);
	}
});

test("NATS killed and restarted: claims fail as QUEUE_UNAVAILABLE, then the queued job is claimed from disk on the same client", {
	skip: skipFor("nats-server"),
}, async () => {
	const port = await freePort();
	const dir = await mkdtemp(join(tmpdir(), "sigil-nats-"));
	dirs.push(dir);
	const args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir];
	let server = await startServer("nats-server", args, port);
	const q = await JetStreamJobQueue.connect(`nats://127.0.0.1:${port}`, {
		masterKey: randomBytes(32),
		leaseMs: 2000,
	});
	try {
		const job = aJob();
		await q.enqueue(job);
		await kill9(server);
		await assert.rejects(q.claim(1, { waitMs: 1000 }), (err) => {
			assert.ok(isQueueError(err, "QUEUE_UNAVAILABLE"), String(err));
			return true;
		});
		await assert.rejects(q.check(), (err) =>
			isQueueError(err, "QUEUE_UNAVAILABLE"),
		);
		server = await startServer("nats-server", args, port);
		await eventually(() => q.check(), 20_000);
		const [got] = await eventually(async () => {
			const jobs = await q.claim(1, { waitMs: 1000 });
			if (jobs.length === 0) throw new Error("not yet");
			return jobs;
		}, 20_000);
		assert.equal(got?.id, job.id);
		assert.deepEqual(got?.payload, job.payload);
		await q.complete(got.lease);
		assert.equal(await q.depth({ accountId: job.accountId }), 0);
	} finally {
		await q.close();
		await kill9(server);
	}
});

/**
 * Several gateways as child processes on the local PostgreSQL, Redis and NATS JetStream, each run
 * in a fresh schema, stream and key prefix (removed afterwards), all sharing one master key — as
 * an operator runs them behind a load balancer. When an engine is missing: in CI (`CI` set) the
 * suite fails naming it; elsewhere it is skipped with that reason.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { createClient } from "redis";
import type { AsyncOptions } from "../src/async/index.ts";
import type { TestGateway } from "./helpers/gateway.ts";
import {
	dropSchema,
	freshSchema,
	PG_URL,
	pgUnavailable,
} from "./pg-harness.ts";
import { NATS_URL, REDIS_URL, sleep, tcpReachable } from "./ports-services.ts";

/** Why the engines cannot be used, or undefined; in CI a missing engine throws. */
export async function enginesMissing(): Promise<string | undefined> {
	const missing: string[] = [];
	const pg = await pgUnavailable();
	if (pg) missing.push(pg);
	if (!(await tcpReachable(REDIS_URL, 6379)))
		missing.push(`Redis is not reachable at ${REDIS_URL}`);
	if (!(await tcpReachable(NATS_URL, 4222)))
		missing.push(`NATS is not reachable at ${NATS_URL}`);
	if (missing.length === 0) return undefined;
	const reason = missing.join("; ");
	if (process.env.CI)
		throw new Error(
			`${reason}: CI must run the multi-gateway suite against live engines (npm run setup starts them)`,
		);
	return `${reason} (skipped outside CI; CI fails instead)`;
}

export interface ClusterGateway {
	readonly url: string;
	readonly child: ChildProcess;
	readonly dataDir: string;
	/** What the IAM/gateway helpers need of a gateway: its URL. */
	readonly gw: TestGateway;
	/** SIGKILL, and wait for the exit. */
	kill(): Promise<void>;
	/** SIGTERM (a clean close), and wait for the exit. */
	stop(): Promise<void>;
}

export interface Cluster {
	readonly engines: { store: string; queue: string; cache: string };
	readonly masterKey: string;
	readonly schema: string;
	readonly stream: string;
	readonly keyPrefix: string;
	readonly gateways: ClusterGateway[];
	/** Starts one more gateway on the same engines (`env` added to its environment). */
	start(opts?: {
		env?: Record<string, string>;
		async?: AsyncOptions;
	}): Promise<ClusterGateway>;
	/** Stops every gateway and removes the schema, the streams and the keys of this run. */
	cleanup(): Promise<void>;
}

export async function spawnGateway(
	engines: Cluster["engines"],
	env: Record<string, string>,
	asyncOptions: AsyncOptions = {},
): Promise<ClusterGateway> {
	const dataDir = await mkdtemp(join(tmpdir(), "sigil-multi-"));
	const child = spawn(
		process.execPath,
		[
			join(import.meta.dirname, "multi-gateway-process.ts"),
			dataDir,
			JSON.stringify({ engines, async: asyncOptions }),
		],
		{
			stdio: ["ignore", "pipe", "pipe"],
			env: { ...process.env, ...env },
		},
	);
	let stderr = "";
	child.stderr?.on("data", (d: Buffer) => {
		// Bounded: the start error is what matters.
		if (stderr.length < 64 * 1024) stderr += d.toString();
		if (process.env.SIGIL_TEST_GATEWAY_LOG) process.stderr.write(d);
	});
	const lines = createInterface({
		input: child.stdout as NodeJS.ReadableStream,
	});
	const exited = once(child, "exit");
	const first = await Promise.race([
		once(lines, "line").then(([line]) => line as string),
		exited.then(([code]) => {
			throw new Error(
				`the gateway exited (${code}) before listening:\n${stderr.slice(0, 4000)}`,
			);
		}),
	]);
	const url = (JSON.parse(first) as { url: string }).url;
	const gone = async () => {
		if (child.exitCode === null && child.signalCode === null) await exited;
	};
	return {
		url,
		child,
		dataDir,
		gw: { url } as TestGateway,
		async kill() {
			child.kill("SIGKILL");
			await gone();
			await rm(dataDir, { recursive: true, force: true });
		},
		async stop() {
			child.kill("SIGTERM");
			await gone();
			await rm(dataDir, { recursive: true, force: true });
		},
	};
}

/** Starts `n` gateways: the first alone (it creates the schema and the root account), then the rest at once. */
export async function startCluster(
	n: number,
	asyncOptions: AsyncOptions = {},
): Promise<Cluster> {
	const suffix = randomBytes(4).toString("hex");
	const schema = freshSchema();
	const stream = `SIGIL_T_${suffix}`;
	const keyPrefix = `sigil-t-${suffix}:`;
	const pg = new URL(PG_URL);
	pg.searchParams.set("schema", schema);
	const nats = new URL(NATS_URL);
	nats.searchParams.set("stream", stream);
	const redis = new URL(REDIS_URL);
	redis.searchParams.set("prefix", keyPrefix);
	const engines = {
		store: pg.toString(),
		queue: nats.toString(),
		cache: redis.toString(),
	};
	const masterKey = randomBytes(32).toString("base64");
	const gateways: ClusterGateway[] = [];
	const cluster: Cluster = {
		engines,
		masterKey,
		schema,
		stream,
		keyPrefix,
		gateways,
		async start(o = {}) {
			const g = await spawnGateway(
				engines,
				{ SIGIL_MASTER_KEY: masterKey, ...o.env },
				{ ...asyncOptions, ...o.async },
			);
			gateways.push(g);
			return g;
		},
		async cleanup() {
			await Promise.allSettled(gateways.map((g) => g.stop()));
			await dropSchema(schema).catch(() => {});
			const nc = await connect({ servers: NATS_URL }).catch(() => undefined);
			if (nc) {
				const jsm = await jetstreamManager(nc);
				for (const name of [stream, `${stream}_DEAD`])
					await jsm.streams.delete(name).catch(() => false);
				await nc.close();
			}
			const admin = createClient({ url: REDIS_URL });
			await admin.connect();
			try {
				for await (const keys of admin.scanIterator({
					MATCH: `${keyPrefix}*`,
					COUNT: 500,
				}))
					if (keys.length > 0) await admin.del(keys);
			} finally {
				await admin.quit().catch(() => {});
			}
		},
	};
	try {
		await cluster.start();
		await Promise.all(Array.from({ length: n - 1 }, () => cluster.start()));
	} catch (err) {
		await cluster.cleanup();
		throw err;
	}
	return cluster;
}

/** Polls `probe` until it resolves true; resolves with the ms it took, or rejects after `limitMs`. */
export async function within(
	limitMs: number,
	what: string,
	probe: () => Promise<boolean>,
): Promise<number> {
	const started = performance.now();
	for (;;) {
		if (await probe()) return performance.now() - started;
		if (performance.now() - started > limitMs)
			throw new Error(`${what}: not within ${limitMs} ms`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

/** A gateway's /readyz answer. */
export interface Ready {
	httpStatus: number;
	checks: { name: string; ok: boolean; reason?: string }[];
}
export async function readyz(g: ClusterGateway): Promise<Ready> {
	const res = await fetch(`${g.url}/readyz`);
	return {
		...((await res.json()) as Omit<Ready, "httpStatus">),
		httpStatus: res.status,
	};
}
/** Waits until /readyz says `name` is `ok` (readiness answers are reused for 1 s). */
export async function until(
	g: ClusterGateway,
	name: string,
	ok: boolean,
	ms = 20_000,
): Promise<Ready> {
	const end = performance.now() + ms;
	for (;;) {
		const r = await readyz(g);
		if (r.checks.find((c) => c.name === name)?.ok === ok) return r;
		if (performance.now() > end)
			throw new Error(
				`/readyz never said ${name} ok=${ok}: ${JSON.stringify(r)}`,
			);
		await sleep(200);
	}
}

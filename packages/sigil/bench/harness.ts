/**
 * What the gateway benchmarks share: a Sigil gateway in its own process with functions
 * deployed through the control-plane API, and a keep-alive load loop that records latencies.
 * The servers run in child processes so the load generator never shares their event loop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { Session } from "node:inspector";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { signSigV4 } from "@sigil/signature";

export const BENCH_KEY = {
	accessKeyId: "AKIABENCHBENCHBENCH0",
	secretAccessKey: "benchsecretbenchsecretbenchsecretbench00",
};

/** A bundle from file texts; the files named in `executable` get mode 0755. */
export function files(
	entries: Record<string, string>,
	executable: readonly string[] = [],
): {
	files: { path: string; mode: number; data: string }[];
} {
	return {
		files: Object.entries(entries).map(([path, text]) => ({
			path,
			mode: executable.includes(path) ? 0o755 : 0o644,
			data: Buffer.from(text).toString("base64"),
		})),
	};
}

export type BenchFunction = readonly [
	name: string,
	config: Record<string, unknown>,
	code: ReturnType<typeof files>,
];

/** Signs a control-plane call with the bench's root key and sends it; throws unless 2xx. */
async function controlPlane(
	base: string,
	method: string,
	path: string,
	payload: unknown,
): Promise<void> {
	const body = JSON.stringify(payload);
	const u = new URL(path, base);
	const headers = { "content-type": "application/json" };
	const s = signSigV4({ method, url: u, headers, body }, BENCH_KEY, {
		region: "us-east-1",
		service: "sigil",
		now: Date.now(),
	});
	const res = await fetch(u, {
		method,
		headers: { ...headers, ...s.headers },
		body,
	});
	if (res.status >= 300)
		throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

export interface ServeOptions {
	/** Secrets created before the functions are deployed (HMAC triggers name them). */
	readonly secrets?: Readonly<Record<string, string>>;
	/** A data directory to use and keep (a restart on it finds the functions deployed). */
	readonly dataDir?: string;
	/** Deploy `functions` (default true); false serves what `dataDir` holds. */
	readonly deploy?: boolean;
}

/**
 * Child side: starts a gateway as `sigil up` would (default isolation, its request log on
 * stderr), creates `secrets`, deploys `functions`, prints `{"url"}`, stops on SIGTERM.
 *
 * Lines on stdin drive the bench-only CPU profiler (node:inspector in this process, so nothing
 * of it exists in the gateway's code): `profile-start` and `profile-stop PATH` (writes the V8
 * CPU profile there); each is answered with a `{"done": …}` line on stdout.
 */
export async function serveGateway(
	functions: readonly BenchFunction[],
	options: ServeOptions = {},
): Promise<void> {
	const dataDir =
		options.dataDir ?? (await mkdtemp(join(tmpdir(), "sigil-bench-")));
	// BENCH_GATEWAY_SRC: a checkout of another commit, whose gateway this process runs instead
	// (the bench's before/after in the same run; its node_modules may link to this one's).
	const other = process.env.BENCH_GATEWAY_SRC;
	const { startGateway } = (await import(
		other
			? pathToFileURL(join(other, "packages/sigil/src/gateway/server.ts")).href
			: "../src/gateway/server.ts"
	)) as typeof import("../src/gateway/server.ts");
	const gateway = await startGateway({
		host: "127.0.0.1",
		port: 0,
		dataDir,
		region: "us-east-1",
		env: {
			SIGIL_ROOT_ACCESS_KEY_ID: BENCH_KEY.accessKeyId,
			SIGIL_ROOT_SECRET_ACCESS_KEY: BENCH_KEY.secretAccessKey,
			// SIGIL_CGROUP=off measures instances without their pids cgroups.
			...(process.env.SIGIL_CGROUP !== undefined && {
				SIGIL_CGROUP: process.env.SIGIL_CGROUP,
			}),
		},
	});
	const deploy = options.deploy !== false;
	for (const [name, value] of Object.entries(
		deploy ? (options.secrets ?? {}) : {},
	))
		await controlPlane(gateway.url, "PUT", `/sigil/v1/secrets/${name}`, {
			value: Buffer.from(value).toString("base64"),
		});
	for (const [name, config, code] of deploy ? functions : [])
		await controlPlane(gateway.url, "PUT", `/sigil/v1/functions/${name}`, {
			config,
			code,
		});
	const session = new Session();
	const post = (method: string, params?: object) =>
		new Promise<unknown>((resolve, reject) =>
			session.post(method, params, (err, result) =>
				err ? reject(err) : resolve(result),
			),
		);
	createInterface({ input: process.stdin }).on("line", (line) => {
		const [command, arg] = line.split(" ");
		const answer = (done: string) =>
			process.stdout.write(`${JSON.stringify({ done })}\n`);
		if (command === "profile-start") {
			session.connect();
			void post("Profiler.enable")
				.then(() => post("Profiler.setSamplingInterval", { interval: 200 }))
				.then(() => post("Profiler.start"))
				.then(() => answer(command));
		} else if (command === "profile-stop" && arg) {
			void post("Profiler.stop")
				.then((r) =>
					writeFile(arg, JSON.stringify((r as { profile: unknown }).profile)),
				)
				.then(() => session.disconnect())
				.then(() => answer(command));
		}
	});
	process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);
	const stop = () =>
		void gateway
			.close()
			.then(() =>
				options.dataDir
					? undefined
					: rm(dataDir, { recursive: true, force: true }),
			)
			.then(() => process.exit(0));
	process.once("SIGTERM", stop);
	process.once("SIGINT", stop);
}

export interface BenchServer {
	readonly child: ChildProcess;
	readonly url: string;
	/** Sends a control line and waits for its `{"done"}` answer. */
	command(line: string): Promise<void>;
	/** Stops the server and waits for it to exit. */
	stop(): Promise<void>;
}

/**
 * Parent side: runs `script args…` in a child process and waits for its `{"url"}` line. The
 * child's stderr (the gateway's request log) goes to `logFile` when given, else is dropped.
 */
export async function spawnServer(
	script: string,
	args: readonly string[],
	logFile?: string,
	env: Readonly<Record<string, string>> = {},
): Promise<BenchServer> {
	// BENCH_NODE_FLAGS passes V8/Node flags to the server (e.g. GC tuning experiments).
	const flags = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
	const log = logFile ? openSync(logFile, "a") : "ignore";
	const child = spawn(process.execPath, [...flags, script, ...args], {
		stdio: ["pipe", "pipe", log],
		env: { ...process.env, ...env },
	});
	if (typeof log === "number") closeSync(log);
	const lines = createInterface({
		input: child.stdout as NodeJS.ReadableStream,
	});
	const waiting: ((line: string) => void)[] = [];
	lines.on("line", (line) => waiting.shift()?.(line));
	const nextLine = () =>
		new Promise<string>((resolve, reject) => {
			waiting.push(resolve);
			child.once("exit", (code) =>
				reject(
					new Error(
						`bench server ${args.join(" ")} exited (${code})${logFile ? `: see ${logFile}` : ""}`,
					),
				),
			);
		});
	const url = (JSON.parse(await nextLine()) as { url: string }).url;
	return {
		child,
		url,
		async command(line) {
			const answer = nextLine();
			child.stdin?.write(`${line}\n`);
			await answer;
		},
		async stop() {
			if (child.exitCode !== null) return;
			const exited = once(child, "exit");
			child.kill("SIGTERM");
			await exited;
		},
	};
}

export interface BenchRequest {
	readonly method?: string;
	readonly path: string;
	readonly headers?: Record<string, string>;
	readonly body?: string;
}

export interface Figures {
	readonly rps: number;
	readonly p50Ms: number;
	readonly p99Ms: number;
	readonly errors: number;
}

/**
 * `connections` keep-alive request loops against `base` for `ms`, taking request `i` from
 * `next(i)`. Only answers that `ok` accepts (default: status 200) count; the rest are errors.
 */
export async function drive(
	base: string,
	ms: number,
	connections: number,
	next: (i: number) => BenchRequest,
	ok: (status: number, body: string) => boolean = (s) => s === 200,
): Promise<Figures> {
	const u = new URL(base);
	const agent = new Agent({ keepAlive: true, maxSockets: connections });
	const latencies: number[] = [];
	let errors = 0;
	let issued = 0;
	const deadline = performance.now() + ms;
	const one = (r: BenchRequest) =>
		new Promise<void>((resolve) => {
			const t0 = performance.now();
			const req = request(
				{
					host: u.hostname,
					port: u.port,
					path: r.path,
					method: r.method ?? "GET",
					headers: r.headers,
					agent,
				},
				(res) => {
					let body = "";
					res.setEncoding("utf8");
					res.on("data", (c: string) => {
						body += c;
					});
					res.on("end", () => {
						if (ok(res.statusCode ?? 0, body))
							latencies.push(performance.now() - t0);
						else errors++;
						resolve();
					});
				},
			);
			req.on("error", () => {
				errors++;
				resolve();
			});
			req.end(r.body);
		});
	const start = performance.now();
	await Promise.all(
		Array.from({ length: connections }, async () => {
			while (performance.now() < deadline) await one(next(issued++));
		}),
	);
	const elapsed = (performance.now() - start) / 1000;
	agent.destroy();
	latencies.sort((a, b) => a - b);
	const pct = (p: number) =>
		latencies[
			Math.min(latencies.length - 1, Math.floor(latencies.length * p))
		] ?? Number.NaN;
	return {
		rps: latencies.length / elapsed,
		p50Ms: pct(0.5),
		p99Ms: pct(0.99),
		errors,
	};
}

export const round2 = (x: number): number => Math.round(x * 100) / 100;

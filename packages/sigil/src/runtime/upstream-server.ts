/**
 * A function's own HTTP server, as of-watchdog's http mode runs one: Sigil starts `fprocess`
 * with `PORT` set, waits until the port accepts connections, and restarts the process (with
 * backoff) whenever it dies. A process that keeps dying before it ever listens stops being
 * restarted after a few tries, so broken code cannot loop; the next request tries again.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, chownSync, realpathSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join, posix } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { baseEnvironment } from "./base-env.ts";
import { enterInstanceCgroup } from "./cgroup.ts";
import { utf8Tail } from "./log-tail.ts";
import { privateTempDir } from "./private-dir.ts";
import type { ProcessSandbox } from "./process-runtime.ts";
import {
	cgroupPlacement,
	SECRETS_ROOT,
	sandboxArgv,
	sandboxEnvironment,
} from "./sandbox.ts";
import { splitCommand } from "./split-command.ts";
import { RuntimeError } from "./types.ts";

/** Inside the sandbox: where the relay offers the server, and the port the server is told. */
const SANDBOX_SOCKET_DIR = "/run/sigil/upstream";
const SANDBOX_SERVER_PORT = 8080;
const SANDBOX_NODE = "/opt/sigil/bin/node";
const SANDBOX_RELAY = "/opt/sigil/upstream-relay.mjs";
const RELAY = fileURLToPath(new URL("./upstream-relay.mjs", import.meta.url));

export interface UpstreamServerSpec {
	readonly name: string;
	/** Command line of the server, split like a shell would but run without one. */
	readonly fprocess: string;
	readonly cwd: string;
	readonly env: Readonly<Record<string, string>>;
	/** The port the server must listen on (given to it as `PORT`), on 127.0.0.1. */
	readonly port: number;
	/** How long the first start may take before the runtime gives up (default 10 s). */
	readonly startTimeoutMs?: number;
	/**
	 * Run the server in a bubblewrap sandbox with a network namespace of its own: it is told
	 * PORT 8080 there, and the gateway reaches it only through a Unix socket the in-sandbox relay
	 * (upstream-relay.mjs) offers once it listens (`UpstreamServer.socketPath`). `port` is unused.
	 */
	readonly sandbox?: ProcessSandbox;
	/** The function's secrets folder (bound at /run/sigil/secrets inside a sandbox). */
	readonly secretsDir?: string;
}

export interface UpstreamServer {
	/** Resolves once the server accepts connections; rejects with FUNCTION_START_FAILED if it cannot. */
	ready(signal?: AbortSignal): Promise<void>;
	/** Times the process was started (1 + restarts). */
	readonly starts: number;
	/** In a sandbox: the Unix socket to connect to instead of 127.0.0.1:port. */
	readonly socketPath: string | undefined;
	readonly pid: number | undefined;
	close(): Promise<void>;
}

/** Consecutive deaths before listening after which restarts stop until the next request. */
const MAX_EARLY_DEATHS = 5;
const PROBE_MS = 25;

function portOpen(where: number | string): Promise<boolean> {
	return new Promise((resolve) => {
		const socket =
			typeof where === "string"
				? connect({ path: where })
				: connect({ host: "127.0.0.1", port: where });
		socket.once("connect", () => {
			socket.destroy();
			resolve(true);
		});
		socket.once("error", () => resolve(false));
	});
}

export async function startUpstreamServer(
	spec: UpstreamServerSpec,
): Promise<UpstreamServer> {
	const split = splitCommand(spec.fprocess);
	if (!split.ok)
		throw new RuntimeError(
			"FUNCTION_START_FAILED",
			`function ${spec.name} has an invalid fprocess`,
			split.detail,
		);
	const [program, ...args] = split.argv as [string, ...string[]];
	const sandbox = spec.sandbox;
	let argv: string[];
	let env: Record<string, string>;
	let socketPath: string | undefined;
	let socketDir: string | undefined;
	if (sandbox === undefined) {
		argv = [program, ...args];
		env = { ...baseEnvironment(), ...spec.env, PORT: String(spec.port) };
	} else {
		// One private folder for the server's life, only the function's uid (and root) may enter.
		socketDir = privateTempDir("sigil-upstream-");
		socketPath = join(socketDir, "server.sock");
		const { uid, gid } = sandbox.policy;
		if (sandbox.host.privileged) chownSync(socketDir, uid, gid);
		chmodSync(socketDir, 0o700);
		const inside = sandboxEnvironment(sandbox.identity, {
			...spec.env,
			...(spec.secretsDir !== undefined && { SIGIL_SECRETS_DIR: SECRETS_ROOT }),
		});
		// The relay's Node (Sigil's pinned one) is bound in anyway: `node` in fprocess finds it.
		env = { ...inside, PATH: `${posix.dirname(SANDBOX_NODE)}:${inside.PATH}` };
		argv = sandboxArgv(
			sandbox.host,
			{
				...sandbox.policy,
				// Its own network namespace always: the host's would expose its port to every
				// local process, past the trigger's authentication (function-config.ts refuses
				// another network for a server Sigil starts).
				network: "loopback",
				codeDir: spec.cwd,
				...(spec.secretsDir !== undefined && { secretsDir: spec.secretsDir }),
				readOnly: [
					...(sandbox.policy.readOnly ?? []),
					[realpathSync(process.execPath), SANDBOX_NODE],
					[RELAY, SANDBOX_RELAY],
				],
				readWrite: [[socketDir, SANDBOX_SOCKET_DIR]],
			},
			[
				SANDBOX_NODE,
				SANDBOX_RELAY,
				`${SANDBOX_SOCKET_DIR}/server.sock`,
				String(SANDBOX_SERVER_PORT),
				program,
				...args,
			],
		);
	}
	const readyAt = socketPath ?? spec.port;
	let child: ChildProcess | undefined;
	let closed = false;
	let starts = 0;
	let earlyDeaths = 0;
	let output = "";
	/** The current attempt at having a listening server; replaced on each death. */
	let current: Promise<void> | undefined;

	/** Starts one process and resolves when it listens; rejects if it dies (or cannot spawn) first. */
	function launch(): Promise<void> {
		starts++;
		// The relay of the last run may have left its socket: the new one must be able to listen.
		if (socketPath !== undefined) rmSync(socketPath, { force: true });
		const entered = enterInstanceCgroup(
			argv,
			sandbox && cgroupPlacement(sandbox.host, sandbox.policy.limits),
			env,
		);
		const [file, ...fileArgs] = entered.argv as [string, ...string[]];
		const proc = spawn(file, fileArgs, {
			cwd: spec.cwd,
			env: entered.env,
			detached: true,
			stdio: entered.stdio(["ignore", "pipe", "pipe"]),
		});
		entered.started(proc);
		child = proc;
		const keep = (chunk: Buffer) => {
			output = utf8Tail(output + chunk.toString("utf8"), 4096);
		};
		proc.stdout?.on("data", keep);
		proc.stderr?.on("data", keep);
		let exited: string | undefined;
		const died = new Promise<void>((resolve) => {
			proc.once("error", (err) => {
				exited = `could not be started: ${err.message}`;
				resolve();
			});
			proc.once("exit", (code, signal) => {
				exited = `exited with ${signal ?? `status ${code}`}`;
				resolve();
			});
		});
		let listening = false;
		void died.then(() => {
			if (proc.pid !== undefined) killGroup(proc.pid);
			entered.release();
			if (child === proc) child = undefined;
			if (closed) return;
			// A server that had been listening is replaced at once; one that never listened
			// counts towards the early-death bound, with backoff between tries.
			if (listening) earlyDeaths = 0;
			else earlyDeaths++;
			current = undefined;
			if (earlyDeaths < MAX_EARLY_DEATHS) {
				const delay = listening ? 0 : Math.min(100 * 2 ** earlyDeaths, 2000);
				void sleep(delay).then(() => {
					if (!closed && current === undefined) current = launch();
					current?.catch(() => {});
				});
			}
		});
		return (async () => {
			for (;;) {
				if (exited !== undefined)
					throw new RuntimeError(
						"FUNCTION_START_FAILED",
						`function ${spec.name}: its server ${exited} before listening on port ${sandbox ? SANDBOX_SERVER_PORT : spec.port}`,
						output,
					);
				if (await portOpen(readyAt)) {
					listening = true;
					return;
				}
				await Promise.race([sleep(PROBE_MS), died]);
			}
		})();
	}

	const server: UpstreamServer = {
		async ready(signal) {
			if (closed)
				throw new RuntimeError(
					"FUNCTION_CLOSED",
					`function ${spec.name} is shutting down`,
				);
			if (current === undefined) {
				earlyDeaths = 0;
				current = launch();
			}
			const attempt = current;
			if (!signal) return attempt;
			signal.throwIfAborted();
			let onAbort: (() => void) | undefined;
			const aborted = new Promise<never>((_, reject) => {
				onAbort = () => reject(signal.reason);
				signal.addEventListener("abort", onAbort, { once: true });
			});
			try {
				await Promise.race([attempt, aborted]);
			} finally {
				if (onAbort) signal.removeEventListener("abort", onAbort);
			}
		},
		get starts() {
			return starts;
		},
		get pid() {
			return child?.pid;
		},
		socketPath,
		async close() {
			closed = true;
			const proc = child;
			const removeSocketDir = () => {
				if (socketDir !== undefined)
					rmSync(socketDir, { recursive: true, force: true });
			};
			if (!proc?.pid || proc.exitCode !== null) return removeSocketDir();
			const gone = new Promise((r) => proc.once("exit", r));
			killGroup(proc.pid, "SIGTERM");
			const forced = await Promise.race([
				gone.then(() => false),
				sleep(2000).then(() => true),
			]);
			if (forced) killGroup(proc.pid);
			removeSocketDir();
		},
	};
	const timeout = AbortSignal.timeout(spec.startTimeoutMs ?? 10_000);
	try {
		await server.ready(timeout);
	} catch (err) {
		await server.close();
		if (timeout.aborted)
			throw new RuntimeError(
				"FUNCTION_START_FAILED",
				`function ${spec.name}: its server did not listen on port ${sandbox ? SANDBOX_SERVER_PORT : spec.port} (PORT) within ${spec.startTimeoutMs ?? 10_000} ms`,
				output,
			);
		throw err;
	}
	return server;
}

function killGroup(pid: number, signal: NodeJS.Signals = "SIGKILL"): void {
	try {
		process.kill(-pid, signal);
	} catch {
		// ESRCH: the group is already gone.
	}
}

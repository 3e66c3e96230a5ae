/**
 * A function's own HTTP server, as of-watchdog's http mode runs one: Sigil starts `fprocess`
 * with `PORT` set, waits until the port accepts connections, and restarts the process (with
 * backoff) whenever it dies. A process that keeps dying before it ever listens stops being
 * restarted after a few tries, so broken code cannot loop; the next request tries again.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { baseEnvironment } from "./base-env.ts";
import { utf8Tail } from "./log-tail.ts";
import { splitCommand } from "./split-command.ts";
import { RuntimeError } from "./types.ts";

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
}

export interface UpstreamServer {
	/** Resolves once the server accepts connections; rejects with FUNCTION_START_FAILED if it cannot. */
	ready(signal?: AbortSignal): Promise<void>;
	/** Times the process was started (1 + restarts). */
	readonly starts: number;
	readonly pid: number | undefined;
	close(): Promise<void>;
}

/** Consecutive deaths before listening after which restarts stop until the next request. */
const MAX_EARLY_DEATHS = 5;
const PROBE_MS = 25;

function portOpen(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect({ host: "127.0.0.1", port });
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
	const env = { ...baseEnvironment(), ...spec.env, PORT: String(spec.port) };
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
		const proc = spawn(program, args, {
			cwd: spec.cwd,
			env,
			detached: true,
			stdio: ["ignore", "pipe", "pipe"],
		});
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
						`function ${spec.name}: its server ${exited} before listening on port ${spec.port}`,
						output,
					);
				if (await portOpen(spec.port)) {
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
		async close() {
			closed = true;
			const proc = child;
			if (!proc?.pid || proc.exitCode !== null) return;
			const gone = new Promise((r) => proc.once("exit", r));
			killGroup(proc.pid, "SIGTERM");
			const forced = await Promise.race([
				gone.then(() => false),
				sleep(2000).then(() => true),
			]);
			if (forced) killGroup(proc.pid);
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
				`function ${spec.name}: its server did not listen on port ${spec.port} within ${spec.startTimeoutMs ?? 10_000} ms`,
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

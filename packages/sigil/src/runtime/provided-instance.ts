/**
 * One instance of a `provided` function: its own Runtime API server (`runtime-api-server.ts`)
 * and its `bootstrap` process, as the worker pool drives any instance (`Instance`).
 *
 * - In the sandbox the server listens on a Unix socket in a fresh private folder, bound into
 *   the sandbox; the sandbox has its own network namespace, where the relay
 *   (`runtime-api-relay.mjs`) offers it at 127.0.0.1:9001 (Lambda's address) and starts the
 *   bootstrap under the function's memory bound. The instance reaches its own Runtime API and
 *   nothing else: not the gateway's port, not another instance's socket.
 * - Without a sandbox (isolation `process`/`none`, explicitly weaker) the server listens on
 *   127.0.0.1 at a free port, which other local processes could reach too.
 *
 * Output the bootstrap writes while it runs an invocation is that invocation's log; output
 * outside any invocation is background log. An exit, a signal or a timeout ends the instance
 * only; the pool fails what ran on it and starts another.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
	chmodSync,
	chownSync,
	mkdtempSync,
	realpathSync,
	rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { enterInstanceCgroup } from "./cgroup.ts";
import { LogBuffer } from "./log-tail.ts";
import type { ProcessSandbox } from "./process-runtime.ts";
import { RuntimeApiServer } from "./runtime-api-server.ts";
import { cgroupPlacement, sandboxArgv, TASK_ROOT } from "./sandbox.ts";
import type { InstanceFactory } from "./worker-pool.ts";
import type { InvokeMessage, WorkerMessage } from "./worker-protocol.ts";

/** Where a sandboxed bootstrap finds its Runtime API (AWS's own address inside Lambda). */
export const SANDBOX_RUNTIME_API_PORT = 9001;
const SANDBOX_SOCKET_DIR = "/run/sigil/runtime-api";
const SANDBOX_NODE = "/opt/sigil/bin/node";
const SANDBOX_RELAY = "/opt/sigil/runtime-api-relay.mjs";
const RELAY = fileURLToPath(
	new URL("./runtime-api-relay.mjs", import.meta.url),
);
const STDERR_TAIL = 4096;
/** After the process exits, how long its pipes may still drain. */
const PIPE_GRACE_MS = 1000;

export interface ProvidedInstanceOptions {
	readonly codeDir: string;
	/** The bootstrap's whole environment (AWS_LAMBDA_RUNTIME_API is added here). */
	readonly env: Readonly<Record<string, string>>;
	readonly secretsDir?: string;
	readonly sandbox?: ProcessSandbox;
	/** RLIMIT_DATA of the bootstrap itself, MiB (the relay before it is Node and needs more). */
	readonly bootstrapMemoryMb: number;
	readonly invokedFunctionArn: string;
	readonly maxResponseBytes: number;
	readonly captureOutput: boolean;
}

export function providedInstances(o: ProvidedInstanceOptions): InstanceFactory {
	return (events) => {
		let current: { id: number; logs: LogBuffer } | undefined;
		let stderrTail = "";
		let child: ChildProcess | undefined;
		let folder: string | undefined;
		let gone = false;
		let exited: (() => void) | undefined;
		const closed = new Promise<void>((resolve) => {
			exited = resolve;
		});

		const api = new RuntimeApiServer({
			invokedFunctionArn: o.invokedFunctionArn,
			maxResponseBytes: o.maxResponseBytes,
			events: {
				ready: () => events.message([{ type: "ready" }]),
				initError: (error) =>
					events.message([
						{
							type: "startFailed",
							detail: `the bootstrap reported an init error: ${error.errorType}: ${error.errorMessage}\n${error.trace.join("\n")}\n${stderrTail}`,
						},
					]),
				started: (id) => {
					current = { id, logs: new LogBuffer(128 * 1024) };
				},
				done: (id, outcome) => {
					// Output written just before the answer is already in the pipe: let it be read first.
					setImmediate(() => {
						const logs = current?.id === id ? current.logs.text() : "";
						if (current?.id === id) current = undefined;
						const msg: WorkerMessage = outcome.ok
							? {
									type: "done",
									id,
									ok: true,
									resultJson: outcome.body.toString("utf8"),
									logs,
								}
							: { type: "done", id, ok: false, error: outcome.error, logs };
						events.message([msg]);
					});
				},
			},
		});

		const output = (c: Buffer) => {
			const text = c.toString("utf8");
			if (current !== undefined) current.logs.append(text);
			else events.log(text);
		};
		const killGroup = () => {
			if (child?.pid === undefined) return;
			try {
				process.kill(-child.pid, "SIGKILL");
			} catch {
				// already gone
			}
		};
		const cleanUp = () => {
			api.close();
			if (folder !== undefined)
				rmSync(folder, { recursive: true, force: true });
			folder = undefined;
		};
		const finish = (why: string) => {
			if (gone) return;
			gone = true;
			cleanUp();
			exited?.();
			events.exit(why, stderrTail || undefined);
		};

		const start = async () => {
			const sandbox = o.sandbox;
			let argv: string[];
			let env: Record<string, string> = { ...o.env };
			if (sandbox === undefined) {
				const port = await api.listen();
				env = { ...env, AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}` };
				argv = [join(o.codeDir, "bootstrap")];
			} else {
				// A fresh private folder per instance: only the function's uid (and root) can open it.
				folder = mkdtempSync(join(tmpdir(), "sigil-runtime-api-"));
				const socket = join(folder, "api.sock");
				await api.listen(socket);
				const { uid, gid } = sandbox.policy;
				if (sandbox.host.privileged) {
					chownSync(folder, uid, gid);
					chownSync(socket, uid, gid);
				}
				chmodSync(socket, 0o600);
				argv = sandboxArgv(
					sandbox.host,
					{
						...sandbox.policy,
						codeDir: o.codeDir,
						...(o.secretsDir !== undefined && { secretsDir: o.secretsDir }),
						readOnly: [
							...(sandbox.policy.readOnly ?? []),
							[folder, SANDBOX_SOCKET_DIR],
							[realpathSync(process.execPath), SANDBOX_NODE],
							[RELAY, SANDBOX_RELAY],
						],
					},
					[
						SANDBOX_NODE,
						SANDBOX_RELAY,
						`${SANDBOX_SOCKET_DIR}/api.sock`,
						String(SANDBOX_RUNTIME_API_PORT),
						sandbox.host.prlimit,
						`--data=${o.bootstrapMemoryMb * 1024 * 1024}`,
						"--",
						`${TASK_ROOT}/bootstrap`,
					],
				);
			}
			if (gone) return cleanUp();
			const entered = enterInstanceCgroup(
				argv,
				sandbox && cgroupPlacement(sandbox.host, sandbox.policy.limits),
				env,
			);
			const [file, ...args] = entered.argv as [string, ...string[]];
			const proc = spawn(file, args, {
				cwd: o.codeDir,
				env: entered.env,
				// Its own process group: terminate() kills whatever the bootstrap started with it.
				detached: true,
				stdio: entered.stdio([
					"ignore",
					o.captureOutput ? "pipe" : "ignore",
					"pipe",
				]),
			});
			entered.started(proc);
			child = proc;
			proc.stdout?.on("data", output);
			proc.stderr?.on("data", (c: Buffer) => {
				stderrTail = (stderrTail + c.toString("utf8")).slice(-STDERR_TAIL);
				output(c);
			});
			proc.on("error", (err: NodeJS.ErrnoException) => {
				if (proc.pid !== undefined) return;
				entered.release();
				finish(`could not be started (${err.code ?? err.message})`);
			});
			proc.on("exit", () => {
				killGroup();
				entered.release();
				setTimeout(() => {
					proc.stdout?.destroy();
					proc.stderr?.destroy();
				}, PIPE_GRACE_MS).unref();
			});
			proc.on("close", (code, signal) =>
				finish(
					signal !== null
						? `was killed by ${signal}`
						: `bootstrap exited with code ${code}`,
				),
			);
		};
		start().catch((err: Error) =>
			finish(`could not be started (${err.message})`),
		);

		return {
			post(batch) {
				if (gone) return;
				for (const msg of batch)
					if (msg.type === "invoke") api.enqueue(msg as InvokeMessage);
			},
			terminate() {
				// The pool has already failed what ran here: nothing it says now matters.
				gone = true;
				killGroup();
				cleanUp();
				if (
					child === undefined ||
					child.exitCode !== null ||
					child.signalCode !== null
				)
					return Promise.resolve();
				return Promise.race([
					closed,
					new Promise<void>((resolve) => child?.once("exit", () => resolve())),
				]);
			},
		};
	};
}

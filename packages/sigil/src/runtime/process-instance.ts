/**
 * Node function instances as processes of their own (isolation `sandbox` or `process`): one
 * long-lived process per instance, started from `argv` (the sandbox's bwrap command line, or
 * plain `node`), speaking length-prefixed frames on fd 3 (`frames.ts`, `child-entry.ts`).
 * Whatever the function does to its process — exit, SIGKILL itself, kill its process group,
 * run out of memory, close the pipe, write garbage on it — ends this instance only; the pool
 * fails what ran on it and starts another.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Socket } from "node:net";
import { type CgroupPlacement, enterInstanceCgroup } from "./cgroup.ts";
import {
	DEFAULT_MAX_FRAME_BYTES,
	encodeFrame,
	encodeHostBatch,
	FrameReader,
} from "./frames.ts";
import type { InstanceFactory } from "./worker-pool.ts";
import type { WorkerBoot, WorkerMessage } from "./worker-protocol.ts";

export interface ProcessInstanceOptions {
	/** The command starting one instance (ends with node and child-entry.ts). */
	readonly argv: readonly string[];
	readonly env: Readonly<Record<string, string>>;
	readonly cwd: string;
	/** Sent as the first frame: paths as the instance sees them. */
	readonly boot: WorkerBoot;
	readonly memoryMb: number;
	/** A frame from the instance over this ends it (default 64 MiB). */
	readonly maxFrameBytes?: number;
	/**
	 * Read the instance's stdout as background log (default true). Without a log consumer it is
	 * not even read: a function printing without end then costs the gateway nothing. stderr is
	 * always read, for the tail that says why an instance died.
	 */
	readonly captureStdout?: boolean;
	/** Each instance's own pids cgroup, for a sandbox argv that enters one. */
	readonly cgroup?: CgroupPlacement;
}

/** stderr kept per instance to say why it died (V8's out-of-memory report, a last stack). */
const STDERR_TAIL = 4096;
/** After the process exits, how long its pipes may still drain. */
const PIPE_GRACE_MS = 1000;

export function processInstances(o: ProcessInstanceOptions): InstanceFactory {
	return (events) => {
		const entered = enterInstanceCgroup(o.argv, o.cgroup, o.env);
		const [file, ...args] = entered.argv as [string, ...string[]];
		const child: ChildProcess = spawn(file, args, {
			cwd: o.cwd,
			env: entered.env,
			// Its own process group: terminate() kills whatever the function started with it.
			detached: true,
			stdio: entered.stdio([
				"ignore",
				o.captureStdout === false ? "ignore" : "pipe",
				"pipe",
				"pipe",
			]),
		});
		entered.started(child);
		const channel = child.stdio[3] as Socket;
		const reader = new FrameReader(o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
		let stderrTail = "";
		let broken: string | undefined;
		let gone = false;
		let exited: (() => void) | undefined;
		const closed = new Promise<void>((resolve) => {
			exited = resolve;
		});

		const killGroup = () => {
			if (child.pid === undefined) return;
			try {
				process.kill(-child.pid, "SIGKILL");
			} catch {
				// already gone
			}
		};

		channel.on("data", (chunk: Buffer) => {
			if (broken !== undefined) return;
			let frames: unknown[];
			try {
				frames = reader.push(chunk);
			} catch (err) {
				// The function wrote on Sigil's pipe: it can only have broken its own instance.
				broken = `broke the gateway protocol (${(err as Error).message})`;
				killGroup();
				return;
			}
			for (const batch of frames) {
				if (!Array.isArray(batch)) {
					broken = "broke the gateway protocol (a frame that is not a batch)";
					killGroup();
					return;
				}
				events.message(batch as WorkerMessage[]);
			}
		});
		channel.on("error", () => {});
		child.stdout?.on("data", (c: Buffer) => events.log(c.toString("utf8")));
		child.stderr?.on("data", (c: Buffer) => {
			const text = c.toString("utf8");
			stderrTail = (stderrTail + text).slice(-STDERR_TAIL);
			events.log(text);
		});
		child.on("error", (err: NodeJS.ErrnoException) => {
			if (child.pid !== undefined || gone) return;
			entered.release();
			gone = true;
			exited?.();
			events.exit(`could not be started (${err.code ?? err.message})`);
		});
		child.on("exit", () => {
			// What is left of the group goes too; the pipes get a moment to deliver the last frames.
			killGroup();
			entered.release();
			setTimeout(() => {
				channel.destroy();
				child.stdout?.destroy();
				child.stderr?.destroy();
			}, PIPE_GRACE_MS).unref();
		});
		child.on("close", (code: number | null, signal: NodeJS.Signals | null) => {
			if (gone) return;
			gone = true;
			exited?.();
			const oom = /JavaScript heap out of memory|Reached heap limit/.test(
				stderrTail,
			);
			events.exit(
				broken ??
					(oom
						? `ran out of memory (memoryMb ${o.memoryMb})`
						: signal !== null
							? `was killed by ${signal}`
							: `exited with code ${code} (process.exit in the handler?)`),
				stderrTail || undefined,
			);
		});
		channel.write(encodeFrame(o.boot));

		return {
			post(batch) {
				if (!gone && broken === undefined)
					channel.write(encodeHostBatch(batch));
			},
			terminate() {
				// The pool has already failed what ran here: nothing it says now matters.
				gone = true;
				killGroup();
				if (child.exitCode !== null || child.signalCode !== null)
					return Promise.resolve();
				return Promise.race([
					closed,
					new Promise<void>((resolve) => child.once("exit", () => resolve())),
				]);
			},
		};
	};
}

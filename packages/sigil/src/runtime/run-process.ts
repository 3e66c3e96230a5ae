/**
 * Runs one function process as the classic watchdog does: request body on stdin, response on
 * stdout. The child leads its own process group (detached), so a timeout, an output overrun or
 * the end of the request kills everything it started with one `kill(-pid)`.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { type CgroupPlacement, enterInstanceCgroup } from "./cgroup.ts";

export interface RunProcessOptions {
	readonly argv: readonly string[];
	readonly cwd: string;
	readonly env: Readonly<Record<string, string>>;
	readonly stdin: Buffer;
	readonly timeoutMs: number;
	readonly maxOutputBytes: number;
	/** stderr kept for diagnosis: the last this-many bytes (default 64 KiB). */
	readonly maxStderrBytes?: number;
	readonly signal?: AbortSignal;
	/** The request's own pids cgroup, for a sandbox argv that enters one. */
	readonly cgroup?: CgroupPlacement;
}

export type ProcessOutcome =
	| {
			readonly kind: "exited";
			/** Exit code, or null when a signal ended it (see `signal`). */
			readonly code: number | null;
			readonly signal: NodeJS.Signals | null;
			readonly stdout: Buffer;
			readonly stderr: string;
	  }
	| { readonly kind: "timeout"; readonly stderr: string }
	| { readonly kind: "output-limit"; readonly stderr: string }
	| { readonly kind: "aborted" }
	| { readonly kind: "spawn-failed"; readonly detail: string };

/** Live process groups, so a closing runtime can kill what is still running. */
export interface ProcessTracker {
	readonly groups: Set<number>;
}

/** How long output may still drain after the function's process exited. */
const PIPE_GRACE_MS = 1000;

function killGroup(pid: number | undefined): void {
	if (pid === undefined) return;
	try {
		process.kill(-pid, "SIGKILL");
	} catch {
		// ESRCH: the whole group is already gone.
	}
}

export function runProcess(
	o: RunProcessOptions,
	tracker?: ProcessTracker,
): Promise<ProcessOutcome> {
	if (o.argv.length === 0)
		return Promise.resolve({ kind: "spawn-failed", detail: "empty command" });
	const entered = enterInstanceCgroup(o.argv, o.cgroup, o.env);
	const [file, ...args] = entered.argv as [string, ...string[]];
	const maxStderr = o.maxStderrBytes ?? 64 * 1024;
	return new Promise((resolve) => {
		const child = spawn(file, args, {
			cwd: o.cwd,
			env: entered.env,
			detached: true,
			stdio: entered.stdio(["pipe", "pipe", "pipe"]),
		}) as ChildProcessWithoutNullStreams;
		entered.started(child);
		const pid = child.pid;
		if (pid !== undefined) tracker?.groups.add(pid);
		const stdout: Buffer[] = [];
		let stdoutBytes = 0;
		let stderr = Buffer.alloc(0);
		let ending: ProcessOutcome["kind"] | undefined;
		let settled = false;

		const finish = (outcome: ProcessOutcome) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			o.signal?.removeEventListener("abort", onAbort);
			// The request is over: whatever the function left running goes with it.
			killGroup(pid);
			entered.release();
			if (pid !== undefined) tracker?.groups.delete(pid);
			resolve(outcome);
		};
		const stop = (kind: "timeout" | "output-limit" | "aborted") => {
			if (ending !== undefined) return;
			ending = kind;
			killGroup(pid);
		};
		const onAbort = () => stop("aborted");
		const timer = setTimeout(() => stop("timeout"), o.timeoutMs);
		o.signal?.addEventListener("abort", onAbort, { once: true });

		child.on("error", (err: NodeJS.ErrnoException) => {
			if (pid === undefined)
				finish({
					kind: "spawn-failed",
					detail: `cannot start ${file}: ${err.code ?? err.message}`,
				});
		});
		child.stdout.on("data", (chunk: Buffer) => {
			if (ending !== undefined) return;
			stdoutBytes += chunk.length;
			if (stdoutBytes > o.maxOutputBytes) stop("output-limit");
			else stdout.push(chunk);
		});
		child.stderr.on("data", (chunk: Buffer) => {
			stderr = Buffer.concat([stderr, chunk]);
			if (stderr.length > maxStderr)
				stderr = stderr.subarray(stderr.length - maxStderr);
		});
		// A function that never reads stdin closes the pipe early (EPIPE): not an error.
		child.stdin.on("error", () => {});
		child.stdin.end(o.stdin);
		// When the function's process exits, its answer is complete: kill what it left behind, so
		// a background grandchild holding stdout open cannot hold the response (bytes already in
		// the pipe are still read). "close" then fires once stdout/stderr have ended.
		child.on("exit", () => {
			killGroup(pid);
			// Should something escape the group (setsid), stop reading after a short grace
			// rather than hold the request until that process closes its copy of the pipes.
			setTimeout(() => {
				child.stdout.destroy();
				child.stderr.destroy();
			}, PIPE_GRACE_MS).unref();
		});
		child.on("close", (code, signal) => {
			const err = stderr.toString("utf8");
			if (ending === "timeout" || ending === "output-limit")
				finish({ kind: ending, stderr: err });
			else if (ending === "aborted") finish({ kind: "aborted" });
			else
				finish({
					kind: "exited",
					code,
					signal,
					stdout: Buffer.concat(stdout, stdoutBytes),
					stderr: err,
				});
		});
	});
}

// Test helper: a real gateway started by the real CLI (`sigil up --port 0 --json`) in a
// temporary HOME and config folder, and `cli()` running the real `sigil` binary against it.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const BIN = join(import.meta.dirname, "..", "bin", "sigil.ts");

export interface Ran {
	readonly code: number | null;
	readonly stdout: string;
	readonly stderr: string;
}

export interface RealGateway {
	readonly root: string;
	readonly url: string;
	readonly rootKey: { AccessKeyId: string; SecretAccessKey: string };
	/** The environment every `cli()` starts from: PATH, HOME and SIGIL_CONFIG_DIR only. */
	readonly env: Record<string, string>;
	cli(
		args: string[],
		options?: {
			input?: string;
			env?: Record<string, string | undefined>;
			cwd?: string;
		},
	): Promise<Ran>;
	stop(): Promise<number | null>;
}

export function runCli(
	args: string[],
	env: Record<string, string | undefined>,
	cwd: string,
	input = "",
): Promise<Ran> {
	return new Promise((resolve, reject) => {
		const clean: Record<string, string> = {};
		for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
		const child = spawn(process.execPath, [BIN, ...args], {
			env: clean,
			cwd,
			stdio: ["pipe", "pipe", "pipe"],
		});
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", (d) => {
			stdout += d;
		});
		child.stderr.on("data", (d) => {
			stderr += d;
		});
		child.on("error", reject);
		child.on("close", (code) => resolve({ code, stdout, stderr }));
		child.stdin.end(input);
	});
}

export async function startGateway(): Promise<RealGateway> {
	const root = await mkdtemp(join(tmpdir(), "sigil-cli-real-"));
	const env = {
		PATH: process.env.PATH ?? "",
		HOME: root,
		SIGIL_CONFIG_DIR: join(root, "cfg"),
	};
	const child: ChildProcess = spawn(
		process.execPath,
		[BIN, "up", "--port", "0", "--data-dir", join(root, "data"), "--json"],
		{ env, cwd: root, stdio: ["ignore", "pipe", "pipe"] },
	);
	const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
		let out = "";
		let err = "";
		const timer = setTimeout(
			() => reject(new Error(`sigil up did not start in 30s: ${err}`)),
			30_000,
		);
		child.stderr?.on("data", (d) => {
			err += d;
		});
		child.stdout?.on("data", (d) => {
			out += d;
			const nl = out.indexOf("\n");
			if (nl !== -1) {
				clearTimeout(timer);
				resolve(JSON.parse(out.slice(0, nl)) as Record<string, unknown>);
			}
		});
		child.on("exit", (code) => {
			clearTimeout(timer);
			reject(new Error(`sigil up exited ${code}: ${err}`));
		});
	});
	child.removeAllListeners("exit");
	return {
		root,
		url: info.url as string,
		rootKey: info.rootKey as RealGateway["rootKey"],
		env,
		cli: (args, options = {}) =>
			runCli(
				args,
				{ ...env, ...options.env },
				options.cwd ?? root,
				options.input,
			),
		stop: () =>
			new Promise((resolve) => {
				if (child.exitCode !== null) return resolve(child.exitCode);
				child.on("exit", (code) => resolve(code));
				child.kill("SIGTERM");
			}),
	};
}

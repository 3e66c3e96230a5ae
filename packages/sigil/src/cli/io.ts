/**
 * Everything the CLI touches in the outside world, passed in. Commands never reach for
 * `process` directly, so the unit tests run every command in-process with fake streams and env.
 */
import { homedir } from "node:os";
import type { Readable } from "node:stream";

export interface CliIo {
	/** `isTTY` true when a person reads it: only then is the output coloured (colour.ts). */
	readonly stdout: {
		write(chunk: string | Uint8Array): unknown;
		isTTY?: boolean;
	};
	readonly stderr: {
		write(chunk: string | Uint8Array): unknown;
		isTTY?: boolean;
	};
	/** Standard input; `isTTY` true when a person is typing (then the CLI does not wait on it). */
	readonly stdin: Readable & { isTTY?: boolean };
	readonly env: Readonly<Record<string, string | undefined>>;
	readonly cwd: string;
	/** Resolves when the user asks the process to stop (SIGINT/SIGTERM); `up` and `logs --follow` wait on it. */
	readonly stopSignal: () => Promise<string>;
}

/** The real process. */
export function processIo(): CliIo {
	return {
		stdout: process.stdout,
		stderr: process.stderr,
		stdin: process.stdin,
		env: process.env,
		cwd: process.cwd(),
		stopSignal: () =>
			new Promise((resolve) => {
				const on = (signal: string) => {
					process.off("SIGINT", on);
					process.off("SIGTERM", on);
					resolve(signal);
				};
				process.on("SIGINT", on);
				process.on("SIGTERM", on);
			}),
	};
}

/** `~/.sigil`, or `SIGIL_CONFIG_DIR`. `HOME` from the given env wins so tests can move it. */
export function configDir(env: CliIo["env"]): string {
	return env.SIGIL_CONFIG_DIR || `${env.HOME || homedir()}/.sigil`;
}

/** Reads standard input to its end as bytes. */
export async function readAll(stream: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream)
		chunks.push(
			typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer),
		);
	return Buffer.concat(chunks);
}

// Test helpers for the CLI: an in-process `CliIo` with captured output and a given stdin.
import { Readable } from "node:stream";
import type { CliIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";

export interface Captured {
	readonly code: number;
	readonly stdout: string;
	readonly stderr: string;
}

export function fakeIo(
	options: {
		env?: Record<string, string | undefined>;
		stdin?: string | Buffer;
		tty?: boolean;
		cwd?: string;
		stop?: Promise<string>;
	} = {},
) {
	const out: Buffer[] = [];
	const err: Buffer[] = [];
	const stdin = Readable.from(
		options.stdin === undefined ? [] : [Buffer.from(options.stdin)],
	) as Readable & { isTTY?: boolean };
	if (options.tty) stdin.isTTY = true;
	const io: CliIo = {
		stdout: { write: (c: string | Uint8Array) => out.push(Buffer.from(c)) },
		stderr: { write: (c: string | Uint8Array) => err.push(Buffer.from(c)) },
		stdin,
		env: options.env ?? {},
		cwd: options.cwd ?? process.cwd(),
		stopSignal: () => options.stop ?? new Promise(() => {}),
	};
	return {
		io,
		stdout: () => Buffer.concat(out).toString("utf8"),
		stderr: () => Buffer.concat(err).toString("utf8"),
	};
}

/** Runs the CLI in-process. */
export async function run(
	argv: string[],
	options: Parameters<typeof fakeIo>[0] = {},
): Promise<Captured> {
	const f = fakeIo(options);
	const code = await main(argv, f.io);
	return { code, stdout: f.stdout(), stderr: f.stderr() };
}

/**
 * Colour for people, plain text for programs: ANSI colour only when the stream is a terminal,
 * never with `NO_COLOR` set to anything non-empty (no-color.org) or `TERM=dumb`, so piped
 * output, logs and `--json` stay byte-for-byte plain. `FORCE_COLOR` (non-empty, not `0`) turns
 * it on without a terminal, as in Node and most CLIs; `NO_COLOR` still wins.
 */
import type { CliIo } from "./io.ts";

export type Style = "error" | "fix" | "ok" | "warn" | "dim" | "bold";

const CODES: Readonly<Record<Style, [number, number]>> = {
	error: [31, 39],
	fix: [36, 39],
	ok: [32, 39],
	warn: [33, 39],
	dim: [2, 22],
	bold: [1, 22],
};

export type Paint = (style: Style, text: string) => string;

/** Whether output to `stream` is coloured. */
export function colourOn(
	stream: { isTTY?: boolean | undefined },
	env: CliIo["env"],
): boolean {
	if (env.NO_COLOR) return false;
	if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return true;
	return stream.isTTY === true && env.TERM !== "dumb";
}

/** A painter for `stream`: the identity when colour is off. */
export function painter(
	stream: { isTTY?: boolean | undefined },
	env: CliIo["env"],
): Paint {
	if (!colourOn(stream, env)) return (_style, text) => text;
	return (style, text) => {
		const [on, off] = CODES[style];
		return `\u001b[${on}m${text}\u001b[${off}m`;
	};
}

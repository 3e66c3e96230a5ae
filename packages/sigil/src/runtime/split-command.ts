/**
 * Splits an `fprocess` command line into argv the way a POSIX shell splits words (XCU 2.2
 * Quoting, 2.6.5 Field Splitting) — but nothing else a shell does: no variables, globbing,
 * pipes or redirections. The program runs without a shell, so a request can never inject one.
 * Pure.
 */
export type SplitCommand =
	| { readonly ok: true; readonly argv: readonly string[] }
	| {
			readonly ok: false;
			readonly code:
				| "EMPTY_COMMAND"
				| "UNTERMINATED_QUOTE"
				| "TRAILING_BACKSLASH";
			readonly detail: string;
	  };

/** Inside double quotes a backslash escapes only these (XCU 2.2.3). */
const DQ_ESCAPABLE = new Set(["$", "`", '"', "\\", "\n"]);

export function splitCommand(line: string): SplitCommand {
	const argv: string[] = [];
	let word = "";
	let inWord = false;
	let i = 0;
	while (i < line.length) {
		const c = line[i] as string;
		if (c === " " || c === "\t" || c === "\n") {
			if (inWord) argv.push(word);
			word = "";
			inWord = false;
			i++;
		} else if (c === "\\") {
			// 2.2.1: an unquoted backslash keeps the next character literal; backslash-newline
			// is a line continuation and disappears.
			if (i + 1 >= line.length) {
				return {
					ok: false,
					code: "TRAILING_BACKSLASH",
					detail: "the command ends with a lone backslash",
				};
			}
			if (line[i + 1] !== "\n") {
				word += line[i + 1];
				inWord = true;
			}
			i += 2;
		} else if (c === "'") {
			// 2.2.2: everything up to the next single quote is literal.
			const end = line.indexOf("'", i + 1);
			if (end === -1)
				return {
					ok: false,
					code: "UNTERMINATED_QUOTE",
					detail: "a single quote is not closed",
				};
			word += line.slice(i + 1, end);
			inWord = true;
			i = end + 1;
		} else if (c === '"') {
			// 2.2.3: literal except for backslash before $ ` " \ newline.
			i++;
			inWord = true;
			for (;;) {
				if (i >= line.length)
					return {
						ok: false,
						code: "UNTERMINATED_QUOTE",
						detail: "a double quote is not closed",
					};
				const d = line[i] as string;
				if (d === '"') {
					i++;
					break;
				}
				const next = line[i + 1];
				if (d === "\\" && next !== undefined && DQ_ESCAPABLE.has(next)) {
					if (next !== "\n") word += next;
					i += 2;
				} else {
					word += d;
					i++;
				}
			}
		} else {
			word += c;
			inWord = true;
			i++;
		}
	}
	if (inWord) argv.push(word);
	if (argv.length === 0)
		return {
			ok: false,
			code: "EMPTY_COMMAND",
			detail: "the command line is empty",
		};
	return { ok: true, argv };
}

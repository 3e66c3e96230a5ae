/**
 * A command line split into words as a POSIX shell (bash) would, for the commands people copy:
 * `curl …` from docs, from a terminal, or from a browser's "Copy as cURL" (which quotes with
 * `'…'` and `$'…'`). Quoting and escapes are honoured; anything a shell would *evaluate*
 * (variables, command substitution, pipes, redirections, `;`) is refused, since the request
 * would then depend on values the debugger does not have.
 */

export class ShellWordsError extends Error {
	override readonly name = "ShellWordsError";
}

const MAX_WORDS = 2_000;

/**
 * @example
 * shellWords(`curl -H 'a: b' $'x\\ny' "q\\"r"`) // → ["curl", "-H", "a: b", "x\ny", 'q"r']
 */
export function shellWords(line: string): string[] {
	const words: string[] = [];
	let word = "";
	let inWord = false;
	let i = 0;
	const end = () => {
		if (inWord) words.push(word);
		if (words.length > MAX_WORDS)
			throw new ShellWordsError(`more than ${MAX_WORDS} words`);
		word = "";
		inWord = false;
	};
	while (i < line.length) {
		const c = line[i] as string;
		if (c === " " || c === "\t" || c === "\n" || c === "\r") {
			end();
			i++;
		} else if (c === "\\") {
			const next = line[i + 1];
			if (next === undefined)
				throw new ShellWordsError("the command ends with a lone backslash");
			// Backslash-newline continues the line (what multi-line curl commands use).
			if (next === "\n") i += 2;
			else if (next === "\r" && line[i + 2] === "\n") i += 3;
			else {
				word += next;
				inWord = true;
				i += 2;
			}
		} else if (c === "'") {
			const close = line.indexOf("'", i + 1);
			if (close === -1)
				throw new ShellWordsError("a single quote (') is never closed");
			word += line.slice(i + 1, close);
			inWord = true;
			i = close + 1;
		} else if (c === "$" && line[i + 1] === "'") {
			const [text, next] = ansiC(line, i + 2);
			word += text;
			inWord = true;
			i = next;
		} else if (c === '"') {
			const [text, next] = doubleQuoted(line, i + 1);
			word += text;
			inWord = true;
			i = next;
		} else if ("$`".includes(c)) {
			throw new ShellWordsError(
				`${c === "$" ? "a $variable or $(command)" : "a `command`"} at character ${i + 1} would be evaluated by the shell: paste the command with the value written out`,
			);
		} else if ("|&;<>()#".includes(c) && !inWord) {
			throw new ShellWordsError(
				`'${c}' at character ${i + 1} is shell syntax (pipe, list, redirection or comment): paste one curl command only`,
			);
		} else if ("|&;<>()".includes(c)) {
			throw new ShellWordsError(
				`'${c}' at character ${i + 1} is shell syntax (pipe, list or redirection): quote it or paste one curl command only`,
			);
		} else {
			word += c;
			inWord = true;
			i++;
		}
	}
	end();
	return words;
}

/** `"…"`: `\` escapes only `$ \` " \\` and newline; `$` and backquotes would be evaluated. */
function doubleQuoted(line: string, from: number): [string, number] {
	let out = "";
	let i = from;
	while (i < line.length) {
		const c = line[i] as string;
		if (c === '"') return [out, i + 1];
		if (c === "\\") {
			const next = line[i + 1];
			if (next !== undefined && '$`"\\\n'.includes(next)) {
				if (next !== "\n") out += next;
				i += 2;
				continue;
			}
			out += c;
			i++;
			continue;
		}
		if (c === "$" || c === "`")
			throw new ShellWordsError(
				`'${c}' inside double quotes at character ${i + 1} would be evaluated by the shell: write the value out, or use single quotes`,
			);
		out += c;
		i++;
	}
	throw new ShellWordsError('a double quote (") is never closed');
}

const ANSI: Readonly<Record<string, string>> = {
	n: "\n",
	r: "\r",
	t: "\t",
	"\\": "\\",
	"'": "'",
	'"': '"',
	"?": "?",
	a: "\x07",
	b: "\b",
	e: "\x1b",
	f: "\f",
	v: "\v",
};

/** `$'…'` (bash ANSI-C quoting): what Chrome's "Copy as cURL" writes for bodies with newlines. */
function ansiC(line: string, from: number): [string, number] {
	let out = "";
	let i = from;
	while (i < line.length) {
		const c = line[i] as string;
		if (c === "'") return [out, i + 1];
		if (c !== "\\") {
			out += c;
			i++;
			continue;
		}
		const next = line[i + 1] ?? "";
		const simple = ANSI[next];
		if (simple !== undefined) {
			out += simple;
			i += 2;
			continue;
		}
		const hex =
			next === "x"
				? /^[0-9a-fA-F]{1,2}/.exec(line.slice(i + 2))
				: next === "u"
					? /^[0-9a-fA-F]{1,4}/.exec(line.slice(i + 2))
					: next === "U"
						? /^[0-9a-fA-F]{1,8}/.exec(line.slice(i + 2))
						: null;
		if (hex) {
			const code = Number.parseInt(hex[0], 16);
			if (code > 0x10ffff)
				throw new ShellWordsError(`\\${next}${hex[0]} is not a character`);
			out += String.fromCodePoint(code);
			i += 2 + hex[0].length;
			continue;
		}
		const octal = /^[0-7]{1,3}/.exec(line.slice(i + 1));
		if (octal) {
			out += String.fromCharCode(Number.parseInt(octal[0], 8) & 0xff);
			i += 1 + octal[0].length;
			continue;
		}
		// bash keeps an unknown escape as written.
		out += `\\${next}`;
		i += 2;
	}
	throw new ShellWordsError("a $'…' quote is never closed");
}

/**
 * Stack traces that show a function nothing but itself. A handler runs inside Sigil's worker
 * (`worker-entry.ts`), so every stack V8 captures there ends in Sigil's own frames — file paths
 * of the gateway's source, the data directory's layout — and Node's internals. Those reach the
 * caller (Lambda's `{errorType, errorMessage, trace}`) and the function's logs. Here a stack keeps
 * only frames whose file lies in the function's code folder, written relative to it
 * (`at handler (index.mjs:3:9)`), the way the function's author knows the code.
 *
 * Two layers: {@link installOwnStackTraces} filters call sites as V8 formats each stack (so
 * `console.error(err)`, `util.inspect` and a library's own `Error.prepareStackTrace`, such as
 * source-map-support, only ever see the function's frames); {@link ownTrace} and
 * {@link trimStackText} re-check text that was formatted elsewhere (another realm, a stack string
 * assigned by hand). Pure except for `installOwnStackTraces`.
 */
import { realpathSync } from "node:fs";
import { resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

/** Prefixes (`/abs/code/`, `file:///abs/code/`) under which a file is the function's own. */
export type CodeRoots = readonly string[];

/** The prefixes of `codeDir` as V8 may name its files: path and file URL, as given and resolved. */
export function codeRoots(codeDir: string): CodeRoots {
	const dirs = new Set([resolve(codeDir)]);
	try {
		// ESM resolves symlinks (a data dir under /tmp on macOS is /private/tmp), so both forms occur.
		dirs.add(realpathSync(codeDir));
	} catch {
		// A folder that does not exist yet has only its given form.
	}
	const roots: string[] = [];
	for (const dir of dirs) {
		roots.push(`${pathToFileURL(dir).href}/`, `${dir}${sep}`);
	}
	// Longest first, so a URL is stripped whole before its path part could match inside it.
	return roots.sort((a, b) => b.length - a.length);
}

/** `text` with every code-root prefix removed: absolute locations become relative to the code folder. */
export function relativize(text: string, roots: CodeRoots): string {
	let out = text;
	for (const root of roots)
		if (out.includes(root)) out = out.replaceAll(root, "");
	return out;
}

interface SiteLike {
	getFileName(): string | undefined | null;
	isEval(): boolean;
	getEvalOrigin(): string | undefined;
}

/** A call site in the function's code: its file, or for `eval`ed code the place that evaluated it. */
export function isOwnSite(site: SiteLike, roots: CodeRoots): boolean {
	const file = site.getFileName();
	if (file) return roots.some((r) => file.startsWith(r));
	if (!site.isEval()) return false;
	const origin = site.getEvalOrigin() ?? "";
	return roots.some((r) => origin.includes(r));
}

const FRAME = /^\s*at\s/;
/** A location outside the code folder once the roots are stripped: a URL or an absolute path. */
const FOREIGN =
	/(?:\(|at )(?:(?:file|node|data|https?|blob|wasm):|\/|[A-Za-z]:\\)/;

/** An `at` line that names a place other than the function's code (already-relative lines are the function's). */
function foreignFrame(line: string, roots: CodeRoots): boolean {
	return (
		FRAME.test(line) &&
		!roots.some((r) => line.includes(r)) &&
		FOREIGN.test(line)
	);
}

/**
 * Stack text with only the function's frames: `at` lines naming a file outside the code folder
 * (Sigil's, Node's `node:internal/…`, another absolute path) are dropped, the rest are made
 * relative. Other lines (the error's message, a SyntaxError's source excerpt) stay, relativized.
 */
export function trimStackText(text: string, roots: CodeRoots): string {
	const kept: string[] = [];
	for (const line of text.split("\n"))
		if (!foreignFrame(line, roots)) kept.push(relativize(line, roots));
	return kept.join("\n");
}

/** Lambda's `trace`: the frames of `stack` (not its message lines), the function's own only, trimmed. */
export function ownTrace(stack: string, roots: CodeRoots): string[] {
	const frames: string[] = [];
	for (const line of stack.split("\n"))
		if (FRAME.test(line) && !foreignFrame(line, roots))
			frames.push(relativize(line, roots).trim());
	return frames;
}

type Prepare = (error: Error, sites: NodeJS.CallSite[]) => unknown;

/**
 * Makes every stack captured in this realm show only the function's frames. `Error.prepareStackTrace`
 * becomes an accessor: reading it always yields the filter, so V8 (through Node) always calls it;
 * assigning it (source-map-support, depd, a test framework) sets the formatter the filter hands
 * the function's call sites to, and assigning the filter back restores Node's own formatter.
 * A formatter that returns something other than text (depd returns the call sites) is passed
 * through untouched. Call once, before the function's code loads.
 */
export function installOwnStackTraces(roots: CodeRoots): void {
	const nodeDefault = Error.prepareStackTrace as Prepare | undefined;
	let custom: Prepare | undefined;
	const filter: Prepare = (error, sites) => {
		const own = sites.filter((s) => isOwnSite(s, roots));
		const format = custom ?? nodeDefault;
		const out = format ? format(error, own) : defaultFormat(error, own);
		return typeof out === "string" ? relativize(out, roots) : out;
	};
	Object.defineProperty(Error, "prepareStackTrace", {
		configurable: true,
		enumerable: false,
		get: () => filter,
		set: (value: unknown) => {
			custom =
				typeof value === "function" && value !== filter
					? (value as Prepare)
					: undefined;
		},
	});
}

/** V8's layout, for a Node without a default formatter to delegate to. */
function defaultFormat(error: Error, sites: NodeJS.CallSite[]): string {
	let head: string;
	try {
		head = Error.prototype.toString.call(error);
	} catch {
		head = "Error";
	}
	return [head, ...sites.map((s) => `    at ${String(s)}`)].join("\n");
}

/**
 * A pasted curl command read into the request curl would send (curl(1) semantics for the
 * options below). The request must carry its signature already — `-H 'Authorization: …'` with
 * the X-Amz-Date it signed, or a presigned URL — because that signature is what is checked.
 * `--aws-sigv4` is recognised but refused: curl computes that signature only when it runs,
 * so the command holds no signature to check (`curl -v` prints the request it sent; paste that
 * as raw). Every option not understood is refused, never skipped: it could change the request.
 */
import type { WireRequest } from "@sigil/signature";
import { asReceivedHeaderValue } from "./request-text.ts";
import { ShellWordsError, shellWords } from "./shell-words.ts";

export class CurlCommandError extends Error {
	override readonly name = "CurlCommandError";
	/** `unparsable`: the command cannot be read; `unsupported`: an option the debugger refuses. */
	readonly kind: "unparsable" | "unsupported";
	/** For a refused `--aws-sigv4 aws:amz:REGION:SERVICE`: the scope curl would sign for. */
	readonly sigv4Scope:
		| { readonly region: string; readonly service: string }
		| undefined;
	constructor(
		kind: "unparsable" | "unsupported",
		message: string,
		sigv4Scope?: { region: string; service: string },
	) {
		super(message);
		this.kind = kind;
		this.sigv4Scope = sigv4Scope;
	}
}

/** Options that change nothing in the request curl sends (output, verbosity, TLS checks, redirects). */
const NO_EFFECT_FLAGS = new Set([
	"-s",
	"--silent",
	"-S",
	"--show-error",
	"-v",
	"--verbose",
	"-i",
	"--include",
	"-k",
	"--insecure",
	"-L",
	"--location",
	"-f",
	"--fail",
	"--fail-with-body",
	"-N",
	"--no-buffer",
	"--http1.1",
	"-#",
	"--progress-bar",
	"--globoff",
	"-g",
]);
/** No-effect options that take a value. */
const NO_EFFECT_WITH_VALUE = new Set([
	"-o",
	"--output",
	"-w",
	"--write-out",
	"-m",
	"--max-time",
	"--connect-timeout",
]);
const WITH_VALUE = new Set([
	"-X",
	"--request",
	"-H",
	"--header",
	"-d",
	"--data",
	"--data-ascii",
	"--data-raw",
	"--data-binary",
	"-u",
	"--user",
	"--url",
	"--aws-sigv4",
	"-A",
	"--user-agent",
	"-e",
	"--referer",
	"-b",
	"--cookie",
	...NO_EFFECT_WITH_VALUE,
]);
const SHORT_WITH_VALUE = new Set([
	"X",
	"H",
	"d",
	"u",
	"A",
	"e",
	"b",
	"o",
	"w",
	"m",
]);
const SHORT_FLAGS = new Set([
	"s",
	"S",
	"v",
	"i",
	"k",
	"L",
	"f",
	"N",
	"#",
	"g",
	"G",
	"I",
]);

interface Parsed {
	method?: string;
	head: boolean;
	get: boolean;
	headers: [string, string][];
	data: string[];
	url?: string;
}

/**
 * @example
 * parseCurlCommand(`curl -X POST -H 'Authorization: AWS4-HMAC-SHA256 …' -d '{}' http://127.0.0.1:8080/function/hello`)
 */
export function parseCurlCommand(command: string): WireRequest {
	let words: string[];
	try {
		words = shellWords(command.trim());
	} catch (err) {
		if (err instanceof ShellWordsError)
			throw new CurlCommandError("unparsable", err.message);
		throw err;
	}
	if (words[0] === "curl" || words[0]?.endsWith("/curl")) words.shift();
	const p = readOptions(words);
	if (p.url === undefined)
		throw new CurlCommandError("unparsable", "the curl command has no URL");
	return requestOf(p, p.url);
}

function readOptions(words: readonly string[]): Parsed {
	const p: Parsed = { head: false, get: false, headers: [], data: [] };
	for (let i = 0; i < words.length; i++) {
		const word = words[i] as string;
		const take = (name: string): string => {
			const value = words[++i];
			if (value === undefined)
				throw new CurlCommandError("unparsable", `${name} needs a value`);
			return value;
		};
		if (!word.startsWith("-") || word === "-") {
			setUrl(p, word);
			continue;
		}
		if (word.startsWith("--")) {
			if (word.includes("="))
				throw new CurlCommandError(
					"unparsable",
					`curl does not take ${word.slice(0, word.indexOf("="))}=VALUE: write the value as the next word`,
				);
			if (WITH_VALUE.has(word)) apply(p, word, take(word));
			else if (word === "--get") p.get = true;
			else if (word === "--head") p.head = true;
			else if (!NO_EFFECT_FLAGS.has(word) && word !== "--compressed")
				unsupported(word);
			continue;
		}
		// Short options may be bundled (-sSL) and the last may carry its value (-XPOST, -H'a: b').
		for (let j = 1; j < word.length; j++) {
			const letter = word[j] as string;
			const name = `-${letter}`;
			if (SHORT_WITH_VALUE.has(letter)) {
				const attached = word.slice(j + 1);
				apply(p, name, attached !== "" ? attached : take(name));
				break;
			}
			if (!SHORT_FLAGS.has(letter)) unsupported(name);
			if (letter === "G") p.get = true;
			if (letter === "I") p.head = true;
		}
	}
	return p;
}

function apply(p: Parsed, name: string, value: string): void {
	switch (name) {
		case "-X":
		case "--request":
			if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value))
				throw new CurlCommandError(
					"unparsable",
					`${name} ${JSON.stringify(value)} is not an HTTP method`,
				);
			p.method = value;
			return;
		case "-H":
		case "--header":
			p.headers.push(header(value));
			return;
		case "-d":
		case "--data":
		case "--data-ascii":
		case "--data-binary":
			if (value.startsWith("@"))
				throw new CurlCommandError(
					"unsupported",
					`${name} ${value.slice(0, 40)} reads the body from a file the debugger cannot see: paste it with --data-raw '…' or as a raw request`,
				);
			// curl's -d/--data/--data-ascii strip CR and LF only when reading a file; a literal is sent as is.
			p.data.push(value);
			return;
		case "--data-raw":
			p.data.push(value);
			return;
		case "--url":
			setUrl(p, value);
			return;
		case "-u":
		case "--user":
			// Basic auth is not a scheme the debugger checks, and `--aws-sigv4` signs when run.
			throw new CurlCommandError(
				"unsupported",
				`${name} gives curl a password or secret to sign with when it runs: the command carries no signature to check. Run it with -v and paste the request it sent (its '> ' lines and the body) as raw; never paste a secret`,
			);
		case "--aws-sigv4": {
			// provider1[:provider2[:region[:service]]]; only names are kept, nothing else of it.
			const [, , region, service] = value.split(":");
			const name = /^[a-z0-9-]{1,32}$/;
			throw new CurlCommandError(
				"unsupported",
				"--aws-sigv4 makes curl compute the signature when it runs, so the command holds none to check: run it with -v and paste the request it printed (the '> ' lines, then the body) as raw",
				region && service && name.test(region) && name.test(service)
					? { region, service }
					: undefined,
			);
		}
		case "-A":
		case "--user-agent":
			p.headers.push(["User-Agent", value]);
			return;
		case "-e":
		case "--referer":
			p.headers.push(["Referer", value]);
			return;
		case "-b":
		case "--cookie":
			if (!value.includes("="))
				throw new CurlCommandError(
					"unsupported",
					`${name} ${value.slice(0, 40)} reads cookies from a file`,
				);
			p.headers.push(["Cookie", value]);
			return;
		default:
		// -o, -w, -m …: nothing in the request changes.
	}
}

function header(value: string): [string, string] {
	const colon = value.indexOf(":");
	const semicolon = value.indexOf(";");
	// curl: `Name;` sends an empty header; `Name:` with nothing removes curl's own (refused: ambiguous).
	if (
		semicolon !== -1 &&
		(colon === -1 || semicolon < colon) &&
		value.slice(semicolon + 1).trim() === ""
	)
		return [value.slice(0, semicolon).trim(), ""];
	if (
		colon <= 0 ||
		!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value.slice(0, colon))
	)
		throw new CurlCommandError(
			"unparsable",
			`-H ${JSON.stringify(value.slice(0, 60))} is not NAME: value`,
		);
	const v = value.slice(colon + 1).trim();
	if (v === "")
		throw new CurlCommandError(
			"unsupported",
			`-H '${value.slice(0, colon)}:' removes a header curl would send by itself; the debugger does not model curl's own headers, paste the raw request instead`,
		);
	return [value.slice(0, colon), v];
}

function setUrl(p: Parsed, value: string): void {
	if (p.url !== undefined)
		throw new CurlCommandError(
			"unsupported",
			`the command names more than one URL (${JSON.stringify(p.url.slice(0, 60))} and ${JSON.stringify(value.slice(0, 60))}): curl would send several requests; paste one`,
		);
	p.url = value;
}

function unsupported(name: string): never {
	throw new CurlCommandError(
		"unsupported",
		`the curl option ${name} is not understood by the debugger and could change what is sent: remove it, or paste the raw request (curl -v prints it)`,
	);
}

/** The request line, headers and body curl sends for the parsed options. */
function requestOf(p: Parsed, rawUrl: string): WireRequest {
	const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(rawUrl)
		? rawUrl
		: `http://${rawUrl}`;
	let url: URL;
	try {
		url = new URL(withScheme);
	} catch {
		throw new CurlCommandError(
			"unparsable",
			`${JSON.stringify(rawUrl.slice(0, 80))} is not a URL`,
		);
	}
	if (url.protocol !== "http:" && url.protocol !== "https:")
		throw new CurlCommandError("unsupported", `${url.protocol} is not HTTP`);
	if (url.username !== "" || url.password !== "")
		throw new CurlCommandError(
			"unsupported",
			"credentials in the URL are basic auth, which the debugger does not check: remove them",
		);
	// -d joins several pieces with '&'; -G puts them into the query instead of the body.
	const data = p.data.length === 0 ? undefined : p.data.join("&");
	let target = rawTarget(withScheme, url);
	if (p.get && data !== undefined)
		target += `${target.includes("?") ? "&" : "?"}${data}`;
	const body =
		p.get || data === undefined ? Buffer.alloc(0) : Buffer.from(data, "utf8");
	const method =
		p.method ??
		(p.head ? "HEAD" : data !== undefined && !p.get ? "POST" : "GET");
	const has = (name: string) =>
		p.headers.some(([n]) => n.toLowerCase() === name);
	// curl's own headers, each unless -H gave one: Host first, then User-Agent (only with -A,
	// its default carries curl's version, which is not in the command), Accept, then the user's.
	const own: [string, string][] = [];
	if (!has("host")) own.push(["Host", url.host]);
	if (!has("accept")) own.push(["Accept", "*/*"]);
	const extra: [string, string][] = [];
	if (body.length > 0 || (data !== undefined && !p.get)) {
		if (!has("content-length"))
			extra.push(["Content-Length", String(body.length)]);
		if (!has("content-type"))
			extra.push(["Content-Type", "application/x-www-form-urlencoded"]);
	}
	const rawHeaders = [...own, ...p.headers, ...extra].flatMap(([n, v]) => [
		n,
		asReceivedHeaderValue(v),
	]);
	return { method, target, rawHeaders, body };
}

/**
 * Path and query as curl sends them: from the text itself, so `%2F`, `%7e` and `+` stay as
 * written; dot segments removed as curl does (RFC 3986 §5.2.4) — the WHATWG URL parser agrees on
 * those and on spaces becoming `%20`.
 */
function rawTarget(text: string, url: URL): string {
	const afterAuthority = text.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "");
	const noFragment = afterAuthority.split("#")[0] ?? "";
	if (/\/\.\.?(?:\/|$|\?)|[\s"<>\\^`{|}]/.test(noFragment))
		return `${url.pathname}${url.search}`;
	if (noFragment === "") return "/";
	return noFragment.startsWith("?") ? `/${noFragment}` : noFragment;
}

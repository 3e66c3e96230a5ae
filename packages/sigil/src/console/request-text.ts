/**
 * A raw HTTP/1.1 request pasted as text (RFC 9112 §2–§6), read into the wire form the
 * verifiers take. What people paste: a request copied from a proxy or `nc -l`, `curl -v`'s
 * `> `-prefixed lines, a botocore debug dump; line ends `\r\n` or `\n`. The text is the whole
 * request: nothing is guessed, so a header that cannot be read is an error naming its line,
 * never skipped.
 */
import { headerValues, type WireRequest } from "@sigil/signature";

/** Why a pasted request cannot be read: a sentence naming the place. */
export class RequestTextError extends Error {
	override readonly name = "RequestTextError";
}

const MAX_HEADERS = 200;

/**
 * A header value typed as text, in the form the gateway receives it: a client sends the UTF-8
 * bytes of what it signed and Node's parser reads each byte as one latin1 character, which is
 * what the verifiers take. Pasted `¡` is therefore `Â¡` on the wire.
 */
export function asReceivedHeaderValue(value: string): string {
	// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII test, the common case
	return /^[\x00-\x7f]*$/.test(value)
		? value
		: Buffer.from(value, "utf8").toString("latin1");
}
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const METHOD = TOKEN;
const VERSION = /^HTTP\/1\.[01]$/;

/**
 * Reads `text` as one HTTP/1.1 request. The body is what follows the blank line, cut to
 * Content-Length when the paste has more (an editor's final newline); fewer bytes than
 * Content-Length, chunked bodies and folded header lines are refused with a reason.
 *
 * @example
 * parseRequestText("GET /function/hello HTTP/1.1\nHost: 127.0.0.1:8080\n\n")
 * // → { method: "GET", target: "/function/hello", rawHeaders: ["Host", "127.0.0.1:8080"], body }
 */
export function parseRequestText(pasted: string): WireRequest {
	const text = verboseTranscript(pasted) ?? pasted;
	const { head, body } = splitHead(text);
	const lines = unprefixed(head.split(/\r?\n/));
	while (lines.length > 0 && lines[0]?.trim() === "") lines.shift();
	const requestLine = lines.shift();
	if (requestLine === undefined)
		throw new RequestTextError(
			"the request is empty: paste it whole, starting with its request line (e.g. `GET /path HTTP/1.1`)",
		);
	const [method, rawTarget, version, ...more] = requestLine.split(" ");
	if (
		!method ||
		!METHOD.test(method) ||
		!rawTarget ||
		!version ||
		!VERSION.test(version) ||
		more.length > 0
	)
		throw new RequestTextError(
			`line 1 is not a request line (METHOD SP target SP HTTP/1.1): ${quote(requestLine)}`,
		);
	const rawHeaders: string[] = [];
	lines.forEach((line, i) => {
		if (line === "") return;
		const at = `line ${i + 2}`;
		if (line.startsWith(" ") || line.startsWith("\t"))
			throw new RequestTextError(
				`${at} continues the previous header (obsolete line folding): join it onto that header's line`,
			);
		const colon = line.indexOf(":");
		const name = colon === -1 ? "" : line.slice(0, colon);
		if (!TOKEN.test(name))
			throw new RequestTextError(
				`${at} is not a header (NAME: value): ${quote(line)}`,
			);
		// RFC 9110 §5.5: leading and trailing whitespace is not part of the value.
		const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
		// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
		if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value))
			throw new RequestTextError(
				`${at}: the value of ${name} holds a control character`,
			);
		rawHeaders.push(name, asReceivedHeaderValue(value));
	});
	if (rawHeaders.length / 2 > MAX_HEADERS)
		throw new RequestTextError(`more than ${MAX_HEADERS} headers`);
	const target = originForm(rawTarget, rawHeaders);
	return { method, target, rawHeaders, body: bodyOf(body, rawHeaders) };
}

/** Head and body split at the first empty line; a paste without one is all head. */
function splitHead(text: string): { head: string; body: string } {
	const m = /\r?\n\r?\n/.exec(text);
	if (!m) return { head: text, body: "" };
	return {
		head: text.slice(0, m.index),
		body: text.slice(m.index + m[0].length),
	};
}

/**
 * A whole `curl -v` transcript (`* ` notes, `> ` request lines, `< ` answer lines, the answer's
 * body): the `> ` lines are the request head. curl does not print the body it sent, so a
 * request with one must be pasted as head and body; guessing it from the answer's text is not
 * done.
 */
function verboseTranscript(text: string): string | undefined {
	const lines = text.split(/\r?\n/);
	const start = lines.findIndex((l) =>
		/^> [A-Za-z]+ \S+ HTTP\/1\.[01]$/.test(l),
	);
	if (start === -1 || !lines.some((l) => /^[*<] /.test(l))) return undefined;
	const head: string[] = [];
	for (const line of lines.slice(start)) {
		if (line === ">" || line === "> ") break;
		if (!line.startsWith("> ")) break;
		head.push(line.slice(2));
	}
	const length = head.find((l) => /^content-length:/i.test(l));
	if (length && !/:\s*0\s*$/.test(length))
		throw new RequestTextError(
			"curl -v does not print the body it sent: paste the '> ' lines, a blank line, then the body (the -d/--data value)",
		);
	return `${head.join("\r\n")}\r\n\r\n`;
}

/** `curl -v` writes the request as `> GET / HTTP/1.1` … `> `: the prefix is not the request. */
function unprefixed(lines: string[]): string[] {
	const content = lines.filter((l) => l.trim() !== "");
	if (
		content.length > 0 &&
		content.every((l) => l.startsWith("> ") || l === ">")
	)
		return lines.map((l) =>
			l.startsWith("> ") ? l.slice(2) : l === ">" ? "" : l,
		);
	return lines;
}

/**
 * The request-target in origin form. An absolute-form target (`http://host:port/path`, what a
 * proxy receives) becomes its path and query, and its authority the Host when none was sent.
 */
function originForm(raw: string, rawHeaders: string[]): string {
	if (raw.startsWith("/")) return raw;
	const m = /^https?:\/\/([^/?#]+)([^#]*)$/i.exec(raw);
	if (!m)
		throw new RequestTextError(
			`the request-target ${quote(raw)} is neither a path (/…) nor an absolute http(s) URL`,
		);
	const hasHost = rawHeaders.some(
		(v, i) => i % 2 === 0 && v.toLowerCase() === "host",
	);
	if (!hasHost) rawHeaders.unshift("Host", m[1] as string);
	const rest = m[2] as string;
	return rest === "" ? "/" : rest.startsWith("?") ? `/${rest}` : rest;
}

function bodyOf(text: string, rawHeaders: readonly string[]): Buffer {
	if (headerValues(rawHeaders, "transfer-encoding").length > 0)
		throw new RequestTextError(
			"a Transfer-Encoding body is not read here: paste the body as one piece with its Content-Length",
		);
	const bytes = Buffer.from(text, "utf8");
	const lengths = headerValues(rawHeaders, "content-length");
	if (lengths.length === 0) return bytes;
	const declared = lengths[0] as string;
	if (lengths.length > 1 || !/^\d{1,9}$/.test(declared))
		throw new RequestTextError(
			`Content-Length ${quote(lengths.join(", "))} is not one number of bytes`,
		);
	const length = Number(declared);
	if (bytes.length < length)
		throw new RequestTextError(
			`the body has ${bytes.length} bytes but Content-Length says ${length}: paste the whole body`,
		);
	return bytes.subarray(0, length);
}

function quote(s: string): string {
	return JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s);
}

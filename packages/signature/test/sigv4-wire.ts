// Test helper (not a test): reads the conformance suite's HTTP/1.1 text files into the shapes
// our signer and verifier take. Obsolete line folding is kept as "\n" + the continuation line.
import type { WireRequest } from "../src/request.ts";

export interface TextRequest {
	readonly method: string;
	readonly target: string;
	/** name, value, name, value … in file order, names as written. */
	readonly rawHeaders: string[];
	readonly body: Uint8Array;
}

export function parseHttpText(text: string): TextRequest {
	const blank = text.indexOf("\n\n");
	const head = blank === -1 ? text : text.slice(0, blank);
	const body = blank === -1 ? "" : text.slice(blank + 2);
	const lines = head.split("\n");
	const requestLine = lines.shift() as string;
	const firstSpace = requestLine.indexOf(" ");
	const lastSpace = requestLine.lastIndexOf(" ");
	const rawHeaders: string[] = [];
	for (const line of lines) {
		if (line === "") continue;
		if (
			(line.startsWith(" ") || line.startsWith("\t")) &&
			rawHeaders.length > 0
		) {
			rawHeaders[rawHeaders.length - 1] += `\n${line}`;
			continue;
		}
		const colon = line.indexOf(":");
		rawHeaders.push(line.slice(0, colon), line.slice(colon + 1));
	}
	return {
		method: requestLine.slice(0, firstSpace),
		target: requestLine.slice(firstSpace + 1, lastSpace),
		rawHeaders,
		body: new TextEncoder().encode(body),
	};
}

export function toWire(req: TextRequest): WireRequest {
	return {
		method: req.method,
		target: req.target,
		rawHeaders: req.rawHeaders,
		body: req.body,
	};
}

/** Headers as a record of lower-case name → values in order (what a signer receives). */
export function headerRecord(
	rawHeaders: readonly string[],
): Record<string, string[]> {
	const out: Record<string, string[]> = {};
	for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
		const name = (rawHeaders[i] as string).toLowerCase();
		out[name] ??= [];
		(out[name] as string[]).push(rawHeaders[i + 1] as string);
	}
	return out;
}

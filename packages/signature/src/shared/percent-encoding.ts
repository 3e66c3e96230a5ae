import { Buffer } from "node:buffer";

/**
 * RFC 3986 §2.3 encoding: every byte of the UTF-8 form except the unreserved set
 * `A-Z a-z 0-9 - . _ ~` becomes `%XX` (upper-case hex). `encodeURIComponent` leaves
 * `! ' ( ) *` alone, so those five are escaped afterwards — the rule Alibaba's `encode()` and
 * AWS's `uriEscape` share. Lone surrogates become U+FFFD instead of throwing.
 */
export function rfc3986Encode(value: string): string {
	return encodeURIComponent(value.toWellFormed()).replace(
		/[!'()*]/g,
		(c) => `%${(c.codePointAt(0) as number).toString(16).toUpperCase()}`,
	);
}

const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

/**
 * WHATWG URL §1.3 percent-decode: `%XX` becomes the byte, a `%` not followed by two hex digits
 * stays as it is; the bytes are then read as UTF-8 with U+FFFD for invalid sequences. This is
 * what `URLSearchParams` (and so the Node signer's `Object.fromEntries(url.searchParams)`)
 * does, and it never throws, unlike `decodeURIComponent`.
 */
export function percentDecode(value: string): string {
	if (!value.includes("%")) return value;
	const input = Buffer.from(value, "utf8");
	const out = Buffer.alloc(input.length);
	let n = 0;
	for (let i = 0; i < input.length; i++) {
		const byte = input[i] as number;
		if (
			byte === 0x25 &&
			i + 2 < input.length &&
			HEX_PAIR.test(input.toString("latin1", i + 1, i + 3))
		) {
			out[n++] = Number.parseInt(input.toString("latin1", i + 1, i + 3), 16);
			i += 2;
		} else {
			out[n++] = byte;
		}
	}
	return new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(
		out.subarray(0, n),
	);
}

/**
 * WHATWG `application/x-www-form-urlencoded` parser (URL §5.1): split on `&`, skip empty
 * pieces, split each at the first `=`, turn `+` into a space, then percent-decode. Pairs keep
 * wire order and duplicates; callers choose which duplicate wins.
 */
export function parseFormEncoded(query: string): Array<[string, string]> {
	const pairs: Array<[string, string]> = [];
	for (const piece of query.split("&")) {
		if (piece === "") continue;
		const eq = piece.indexOf("=");
		const rawName = eq === -1 ? piece : piece.slice(0, eq);
		const rawValue = eq === -1 ? "" : piece.slice(eq + 1);
		pairs.push([
			percentDecode(rawName.replaceAll("+", " ")),
			percentDecode(rawValue.replaceAll("+", " ")),
		]);
	}
	return pairs;
}

/** Split a request-target into its path and its query (without the `?`; `""` when none). */
export function splitTarget(target: string): { path: string; query: string } {
	const q = target.indexOf("?");
	return q === -1
		? { path: target, query: "" }
		: { path: target.slice(0, q), query: target.slice(q + 1) };
}

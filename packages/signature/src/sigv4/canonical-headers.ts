import { lowerCase } from "../shared/lower-case.ts";

/**
 * Task 1, steps 4–5: canonical headers. For each signed name, every occurrence in the raw header
 * list (wire order), each value trimmed and its inner runs of whitespace collapsed to one space
 * (SP, HTAB, and the CR/LF of obsolete line folding), joined with `,`.
 */

function isWs(c: number): boolean {
	return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Trim + collapse of one header value. */
export function canonicalHeaderValue(value: string): string {
	const n = value.length;
	let clean =
		n === 0 || (!isWs(value.charCodeAt(0)) && !isWs(value.charCodeAt(n - 1)));
	for (let i = 0; clean && i < n; i++) {
		const c = value.charCodeAt(i);
		if (
			c === 0x09 ||
			c === 0x0a ||
			c === 0x0d ||
			(c === 0x20 && value.charCodeAt(i + 1) === 0x20)
		)
			clean = false;
	}
	if (clean) return value;
	let out = "";
	let pendingSpace = false;
	for (let i = 0; i < n; i++) {
		const c = value.charCodeAt(i);
		if (isWs(c)) {
			pendingSpace = out.length > 0;
		} else {
			if (pendingSpace) out += " ";
			pendingSpace = false;
			out += value[i];
		}
	}
	return out;
}

/**
 * -1 when `value` is not already canonical (see `canonicalHeaderValue`); otherwise the OR of its
 * char codes, which is above 0xFF exactly when some character is, and above 0x7F likewise.
 */
function cleanBits(value: string): number {
	const n = value.length;
	if (n > 0 && (isWs(value.charCodeAt(0)) || isWs(value.charCodeAt(n - 1))))
		return -1;
	let bits = 0;
	for (let i = 0; i < n; i++) {
		const c = value.charCodeAt(i);
		if (
			c === 0x09 ||
			c === 0x0a ||
			c === 0x0d ||
			(c === 0x20 && value.charCodeAt(i + 1) === 0x20)
		)
			return -1;
		bits |= c;
	}
	return bits;
}

/** The canonical headers block and whether any value holds a non-ASCII character. */
export interface CanonicalHeaders {
	/** `name:value\n` for each signed header, in signed (sorted) order. */
	readonly text: string;
	/** 0: ASCII only; 1: characters up to U+00FF (raw wire bytes, hashed as latin1); 2: wider. */
	readonly width: 0 | 1 | 2;
}

/**
 * Builds the canonical headers block from a raw header list (`name, value, …` as Node's
 * `rawHeaders`) for the already sorted, lower-case `signedHeaders`. A signed header that is
 * absent contributes `name:` (the signature then only matches a client that signed it empty).
 */
export function canonicalHeaders(
	rawHeaders: readonly string[],
	signedHeaders: readonly string[],
): CanonicalHeaders {
	const names: string[] = [];
	for (let i = 0; i + 1 < rawHeaders.length; i += 2)
		names.push(lowerCase(rawHeaders[i] as string));
	const { text, width } = canonicalHeadersOf(rawHeaders, names, signedHeaders);
	return { text, width };
}

/** `CanonicalHeaders`, plus the first present x-amz-* header that is not signed. */
export interface CanonicalHeadersCheck extends CanonicalHeaders {
	/** Lower-case name of the first unsigned x-amz-* header in wire order, if any. */
	readonly unsignedAmz: string | undefined;
}

/**
 * `canonicalHeaders` over names already lowered (`names[k]` ↔ `rawHeaders[2k]`), which also
 * reports the first x-amz-* header left out of `signedHeaders`: the walk that finds each
 * name's slot sees the unsigned ones anyway, so the parser needs no pass of its own for them.
 */
export function canonicalHeadersOf(
	rawHeaders: readonly string[],
	names: readonly string[],
	signedHeaders: readonly string[],
): CanonicalHeadersCheck {
	// One slot per signed name (a short sorted list: indexOf beats a Map here).
	const slots: Array<string | undefined> = new Array(signedHeaders.length);
	let width: 0 | 1 | 2 = 0;
	let unsignedAmz: string | undefined;
	for (let k = 0; k < names.length; k++) {
		const name = names[k] as string;
		const slot = signedHeaders.indexOf(name);
		if (slot === -1) {
			if (unsignedAmz === undefined && name.startsWith("x-amz-"))
				unsignedAmz = name;
			continue;
		}
		const raw = rawHeaders[2 * k + 1] as string;
		// Usually already canonical: one scan then both proves it and finds the widest character.
		let bits = cleanBits(raw);
		let value = raw;
		if (bits === -1) {
			value = canonicalHeaderValue(raw);
			bits = 0;
			for (let j = 0; j < value.length; j++) bits |= value.charCodeAt(j);
		}
		if (bits > 0xff) width = 2;
		else if (bits > 0x7f && width === 0) width = 1;
		const prior = slots[slot];
		slots[slot] = prior === undefined ? value : `${prior},${value}`;
	}
	let text = "";
	for (let i = 0; i < signedHeaders.length; i++) {
		text += `${signedHeaders[i]}:${slots[i] ?? ""}\n`;
	}
	return { text, width, unsignedAmz };
}

/**
 * SigV4's UriEncode: RFC 3986 unreserved characters (A–Z a–z 0–9 - _ . ~) stay, every other
 * byte of the UTF-8 form becomes `%XX` with upper-case hex. Hand-written loops instead of
 * encodeURIComponent + regex: they never throw (lone surrogates become U+FFFD, as TextEncoder
 * does), they work on bytes that are not UTF-8, and the common all-unreserved input is returned
 * without allocating.
 */

const HEX = "0123456789ABCDEF";
const UNRESERVED = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
	const ch = String.fromCharCode(c);
	if (
		(ch >= "A" && ch <= "Z") ||
		(ch >= "a" && ch <= "z") ||
		(ch >= "0" && ch <= "9") ||
		"-_.~".includes(ch)
	) {
		UNRESERVED[c] = 1;
	}
}
const SLASH = 0x2f;
const PERCENT = 0x25;
const PLUS = 0x2b;

function pct(byte: number): string {
	return `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
}

function hexValue(c: number): number {
	if (c >= 0x30 && c <= 0x39) return c - 0x30;
	if (c >= 0x41 && c <= 0x46) return c - 0x37;
	if (c >= 0x61 && c <= 0x66) return c - 0x57;
	return -1;
}

/** Appends the UTF-8 bytes of the code point starting at `input[i]`; returns how many UTF-16 units it used. */
function encodeNonAscii(input: string, i: number, out: string[]): number {
	const c = input.charCodeAt(i);
	if (c < 0x800) {
		out.push(pct(0xc0 | (c >> 6)), pct(0x80 | (c & 63)));
		return 1;
	}
	if (c >= 0xd800 && c <= 0xdbff) {
		const low = input.charCodeAt(i + 1);
		if (low >= 0xdc00 && low <= 0xdfff) {
			const cp = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
			out.push(
				pct(0xf0 | (cp >> 18)),
				pct(0x80 | ((cp >> 12) & 63)),
				pct(0x80 | ((cp >> 6) & 63)),
				pct(0x80 | (cp & 63)),
			);
			return 2;
		}
	}
	// A lone surrogate has no UTF-8 form: U+FFFD, as TextEncoder writes it.
	const cp = c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
	out.push(
		pct(0xe0 | (cp >> 12)),
		pct(0x80 | ((cp >> 6) & 63)),
		pct(0x80 | (cp & 63)),
	);
	return 1;
}

function plainPrefix(input: string, keepSlash: boolean): number {
	let i = 0;
	for (; i < input.length; i++) {
		const c = input.charCodeAt(i);
		if (c >= 128 || (UNRESERVED[c] === 0 && !(keepSlash && c === SLASH))) break;
	}
	return i;
}

/**
 * UriEncode(`input`) over its UTF-8 bytes. With `keepSlash`, `/` stays (the canonical URI rule).
 * @example uriEncode("a b/ሴ", true) === "a%20b/%E1%88%B4"
 */
export function uriEncode(input: string, keepSlash = false): string {
	let i = plainPrefix(input, keepSlash);
	if (i === input.length) return input;
	const out: string[] = [input.slice(0, i)];
	while (i < input.length) {
		const c = input.charCodeAt(i);
		if (c < 128) {
			out.push(
				UNRESERVED[c] === 1 || (keepSlash && c === SLASH)
					? (input[i] as string)
					: pct(c),
			);
			i++;
		} else {
			i += encodeNonAscii(input, i, out);
		}
	}
	return out.join("");
}

/**
 * Re-encodes an already percent-encoded wire component strictly, at byte level: `%xx` escapes
 * are decoded to their byte and re-encoded (so `%7e` becomes `~`, `%2f` becomes `%2F`), other
 * characters are encoded, a `%` not followed by two hex digits is a literal `%`. `+` is a
 * literal plus (`%2B`) unless `plusAsSpace` (only used to reproduce a client mistake).
 */
export function canonicalizeEncoded(raw: string, plusAsSpace = false): string {
	let i = plainPrefix(raw, false);
	if (i === raw.length) return raw;
	const out: string[] = [raw.slice(0, i)];
	while (i < raw.length) {
		const c = raw.charCodeAt(i);
		if (c === PERCENT && i + 2 < raw.length) {
			const hi = hexValue(raw.charCodeAt(i + 1));
			const lo = hexValue(raw.charCodeAt(i + 2));
			if (hi >= 0 && lo >= 0) {
				const byte = (hi << 4) | lo;
				out.push(
					byte < 128 && UNRESERVED[byte] === 1
						? String.fromCharCode(byte)
						: pct(byte),
				);
				i += 3;
				continue;
			}
		}
		if (c === PLUS && plusAsSpace) {
			out.push("%20");
			i++;
		} else if (c < 128) {
			out.push(UNRESERVED[c] === 1 ? (raw[i] as string) : pct(c));
			i++;
		} else {
			i += encodeNonAscii(raw, i, out);
		}
	}
	return out.join("");
}

/**
 * Percent-decodes `raw` to bytes, then reads them as UTF-8 (invalid sequences become U+FFFD).
 * Malformed escapes stay literal; `+` stays `+`.
 */
export function percentDecode(raw: string): string {
	if (raw.indexOf("%") === -1) return raw;
	const bytes: number[] = [];
	for (let i = 0; i < raw.length; i++) {
		const c = raw.charCodeAt(i);
		if (c === PERCENT && i + 2 < raw.length) {
			const hi = hexValue(raw.charCodeAt(i + 1));
			const lo = hexValue(raw.charCodeAt(i + 2));
			if (hi >= 0 && lo >= 0) {
				bytes.push((hi << 4) | lo);
				i += 2;
				continue;
			}
		}
		if (c < 128) bytes.push(c);
		else
			for (const b of Buffer.from(
				String.fromCodePoint(raw.codePointAt(i) as number),
				"utf8",
			))
				bytes.push(b);
		if (c >= 0xd800 && c <= 0xdbff && i + 1 < raw.length) {
			const low = raw.charCodeAt(i + 1);
			if (low >= 0xdc00 && low <= 0xdfff) i++;
		}
	}
	return Buffer.from(bytes).toString("utf8");
}

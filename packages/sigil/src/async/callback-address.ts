/**
 * Which addresses a callback may be delivered to. A callback URL comes from the caller
 * (`X-Callback-Url`), so without a check anyone allowed to invoke a function could make the
 * gateway POST into its own network (loopback admin ports, cloud metadata at 169.254.169.254, a
 * private subnet). By default only public addresses are reached; an operator whose receivers live
 * on a private network opts in with SIGIL_CALLBACK_ALLOW_PRIVATE=1.
 *
 * Why a parser of our own instead of string patterns: one address has many spellings —
 * `127.0.0.1` is also `2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`, `::ffff:127.0.0.1`,
 * `::ffff:7f00:1`, `0:0:0:0:0:ffff:7f00:1`, `64:ff9b::7f00:1` (NAT64), `2002:7f00:1::` (6to4) —
 * and a check that recognises some spellings is bypassed by the others (the WHATWG URL parser
 * turns `[::ffff:127.0.0.1]` into `[::ffff:7f00:1]`, which a dotted-quad pattern misses). So every
 * text is parsed to its bytes first and the decision is made on the bytes; the delivery then
 * connects to the address formatted back from those same bytes (callback.ts).
 *
 * IPv6 is decided by allowance, not by exclusion: outside 2000::/3 nothing is global unicast
 * today (RFC 4291, IANA), so an unknown block is refused rather than assumed public.
 */

export type Address =
	| { readonly family: 4; readonly value: number }
	| { readonly family: 6; readonly words: readonly number[] };

/** IPv4 blocks that are not the public internet (the non-global entries of RFC 6890's registry). */
const FORBIDDEN_V4: ReadonlyArray<readonly [number, number, string]> = [
	[0x00000000, 8, "unspecified or 'this network' (0.0.0.0/8)"],
	[0x0a000000, 8, "private (10.0.0.0/8)"],
	[0x64400000, 10, "carrier-grade NAT (100.64.0.0/10)"],
	[0x7f000000, 8, "loopback (127.0.0.0/8)"],
	[0xa9fe0000, 16, "link-local, cloud metadata (169.254.0.0/16)"],
	[0xac100000, 12, "private (172.16.0.0/12)"],
	[0xc0000000, 24, "IETF protocol assignments (192.0.0.0/24)"],
	[0xc0000200, 24, "documentation (192.0.2.0/24)"],
	[0xc0586300, 24, "6to4 relay anycast (192.88.99.0/24)"],
	[0xc0a80000, 16, "private (192.168.0.0/16)"],
	[0xc6120000, 15, "benchmarking (198.18.0.0/15)"],
	[0xc6336400, 24, "documentation (198.51.100.0/24)"],
	[0xcb007100, 24, "documentation (203.0.113.0/24)"],
	[0xe0000000, 4, "multicast (224.0.0.0/4)"],
	[0xf0000000, 4, "reserved or broadcast (240.0.0.0/4)"],
];

/**
 * One IPv4 text as the WHATWG URL parser and inet_aton read it: 1 to 4 parts separated by dots
 * (one trailing dot allowed), each decimal, octal (leading 0) or hex (0x); the last part fills
 * every remaining byte, so `127.1` is 127.0.0.1 and `2130706433` is too. Returns the 32-bit value.
 */
export function parseIPv4(text: string): number | undefined {
	let parts = text.split(".");
	if (parts.length > 1 && parts.at(-1) === "") parts = parts.slice(0, -1);
	if (parts.length < 1 || parts.length > 4) return undefined;
	const numbers: number[] = [];
	for (const part of parts) {
		const n = parseIPv4Number(part);
		if (n === undefined) return undefined;
		numbers.push(n);
	}
	const last = numbers.pop() as number;
	if (numbers.some((n) => n > 255)) return undefined;
	if (last >= 256 ** (4 - numbers.length)) return undefined;
	let value = 0;
	for (const [i, n] of numbers.entries()) value += n * 256 ** (3 - i);
	return value + last;
}

function parseIPv4Number(part: string): number | undefined {
	if (part === "") return undefined;
	let digits = part;
	let radix = 10;
	if (/^0x/i.test(part)) {
		digits = part.slice(2);
		radix = 16;
		if (digits === "") return 0; // WHATWG: "0x" alone is zero
	} else if (part.length > 1 && part.startsWith("0")) {
		digits = part.slice(1);
		radix = 8;
	}
	const valid =
		radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
	if (!valid.test(digits)) return undefined;
	// Past 2^32 nothing is an address; stop before a long digit string loses precision.
	const significant = digits.replace(/^0+/, "");
	if (significant.length > 11) return undefined;
	const n = significant === "" ? 0 : Number.parseInt(significant, radix);
	return n > 0xffffffff ? undefined : n;
}

/**
 * One IPv6 text (RFC 4291 section 2.2): brackets and a zone id (`%eth0`, `%25eth0`) are dropped
 * (the zone says which interface, not which address); hex groups of 1–4 digits in any case,
 * at most one `::`, and an optional dotted-decimal IPv4 tail. Returns the eight 16-bit words.
 */
export function parseIPv6(text: string): number[] | undefined {
	let t = text;
	if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1);
	const zone = t.indexOf("%");
	if (zone !== -1) t = t.slice(0, zone);
	if (!t.includes(":")) return undefined;
	const halves = t.split("::");
	if (halves.length > 2) return undefined;
	const groups = (half: string): number[] | undefined => {
		if (half === "") return [];
		const out: number[] = [];
		const items = half.split(":");
		for (const [i, item] of items.entries()) {
			if (i === items.length - 1 && item.includes(".")) {
				const tail = parseDottedQuad(item);
				if (tail === undefined) return undefined;
				out.push(tail >>> 16, tail & 0xffff);
			} else if (/^[0-9a-f]{1,4}$/i.test(item))
				out.push(Number.parseInt(item, 16));
			else return undefined;
		}
		return out;
	};
	const head = groups(halves[0] as string);
	if (head === undefined) return undefined;
	if (halves.length === 1) return head.length === 8 ? head : undefined;
	// A dotted tail may only end the address, never precede "::".
	if ((halves[0] as string).includes(".")) return undefined;
	const tail = groups(halves[1] as string);
	if (tail === undefined || head.length + tail.length > 7) return undefined;
	return [
		...head,
		...new Array(8 - head.length - tail.length).fill(0),
		...tail,
	];
}

/** Strict a.b.c.d (decimal, no leading zeros), as the tail of an IPv6 text must be. */
function parseDottedQuad(text: string): number | undefined {
	const parts = text.split(".");
	if (parts.length !== 4) return undefined;
	let value = 0;
	for (const p of parts) {
		if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
		const n = Number(p);
		if (n > 255) return undefined;
		value = value * 256 + n;
	}
	return value;
}

/** An address in any spelling, or undefined when the text is not an IP address (a host name). */
export function parseAddress(text: string): Address | undefined {
	const words = parseIPv6(text);
	if (words) return { family: 6, words };
	const value = parseIPv4(text);
	return value === undefined ? undefined : { family: 4, value };
}

function formatV4(n: number): string {
	return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** The canonical text (dotted quad; RFC 5952 compressed IPv6), what a socket is given. */
export function formatAddress(a: Address): string {
	if (a.family === 4) return formatV4(a.value);
	const w = a.words;
	// RFC 5952: compress the longest run of two or more zero words, the first one on a tie.
	let best = -1;
	let bestLen = 1;
	for (let i = 0; i < 8; ) {
		if (w[i] !== 0) {
			i++;
			continue;
		}
		let j = i;
		while (j < 8 && w[j] === 0) j++;
		if (j - i > bestLen) {
			best = i;
			bestLen = j - i;
		}
		i = j;
	}
	const hex = (xs: readonly number[]) =>
		xs.map((x) => x.toString(16)).join(":");
	if (best === -1) return hex(w);
	return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

function v4Reason(n: number): string | undefined {
	for (const [base, bits, label] of FORBIDDEN_V4)
		if (n >>> (32 - bits) === base >>> (32 - bits)) return label;
	return undefined;
}

/** The IPv4 address an IPv6 address stands for (mapped), when it is only another spelling of one. */
export function mappedV4(a: Address): number | undefined {
	if (a.family !== 6) return undefined;
	const w = a.words;
	return w[0] === 0 &&
		w[1] === 0 &&
		w[2] === 0 &&
		w[3] === 0 &&
		w[4] === 0 &&
		w[5] === 0xffff
		? (((w[6] as number) << 16) | (w[7] as number)) >>> 0
		: undefined;
}

/**
 * Why this address must not receive a callback (a short label naming its block), or undefined
 * when it is a public address. Addresses that carry an IPv4 address inside them — mapped,
 * compatible, SIIT-translated, NAT64, 6to4 — are judged by the IPv4 address they carry, since
 * that is where the packets end up.
 */
export function forbiddenReason(a: Address): string | undefined {
	if (a.family === 4) return v4Reason(a.value);
	const w = a.words as readonly [
		number,
		number,
		number,
		number,
		number,
		number,
		number,
		number,
	];
	const tail = ((w[6] << 16) | w[7]) >>> 0;
	const carried = (kind: string, v4: number) => {
		const r = v4Reason(v4);
		return r && `${kind} ${formatV4(v4)}, ${r}`;
	};
	const zeroTo = (n: number) => w.slice(0, n).every((x) => x === 0);
	if (zeroTo(8)) return "unspecified (::)";
	if (zeroTo(7) && w[7] === 1) return "loopback (::1)";
	if (zeroTo(5) && w[5] === 0xffff) return carried("IPv4-mapped", tail);
	if (zeroTo(6)) return carried("IPv4-compatible", tail);
	if (zeroTo(4) && w[4] === 0xffff && w[5] === 0)
		return carried("IPv4-translated", tail);
	if (w[0] === 0x64 && w[1] === 0xff9b) {
		if (w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0)
			return carried("NAT64", tail);
		return "NAT64 local use or reserved (64:ff9b::/32)";
	}
	if (w[0] === 0x2002) return carried("6to4", ((w[1] << 16) | w[2]) >>> 0);
	if ((w[0] & 0xfe00) === 0xfc00) return "unique-local (fc00::/7)";
	if ((w[0] & 0xffc0) === 0xfe80) return "link-local (fe80::/10)";
	if ((w[0] & 0xffc0) === 0xfec0) return "site-local (fec0::/10)";
	if ((w[0] & 0xff00) === 0xff00) return "multicast (ff00::/8)";
	// Teredo (2001::/32) hides its IPv4 endpoints behind a relay: refused with the rest of the block.
	if (w[0] === 0x2001 && w[1] < 0x0200)
		return "IETF protocol assignments, Teredo (2001::/23)";
	if (w[0] === 0x2001 && w[1] === 0x0db8)
		return "documentation (2001:db8::/32)";
	if (w[0] === 0x3fff && w[1] < 0x1000) return "documentation (3fff::/20)";
	if ((w[0] & 0xe000) !== 0x2000) return "reserved, not global unicast";
	return undefined;
}

/** True for any address that is not public (loopback, private, link-local, …) and for any text that is not an address. */
export function isPrivateAddress(ip: string): boolean {
	const a = parseAddress(ip);
	return a === undefined || forbiddenReason(a) !== undefined;
}

/**
 * IPv4 and IPv6 addresses and CIDR blocks for `IpAddress` / `NotIpAddress` (RFC 4632 for IPv4
 * CIDR, RFC 4291 §2.2–2.3 for IPv6 text forms and prefixes). IPv4-mapped IPv6 addresses
 * (`::ffff:a.b.c.d`) are treated as the IPv4 address, as a dual-stack socket reports them.
 */

export interface Cidr {
	readonly bytes: Uint8Array;
	readonly prefix: number;
}

// Dotted quad: exactly four decimal parts of 1–3 digits, each ≤ 255 (hand-parsed: this runs
// once per IP condition value on the decision path).
function parseIpv4(text: string): Uint8Array | undefined {
	const out = new Uint8Array(4);
	let part = 0;
	let digits = 0;
	let n = 0;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c === 46) {
			if (digits === 0 || part === 3) return undefined;
			out[part++] = n;
			digits = 0;
			n = 0;
		} else if (c >= 48 && c <= 57 && digits < 3) {
			n = n * 10 + (c - 48);
			if (n > 255) return undefined;
			digits++;
		} else {
			return undefined;
		}
	}
	if (digits === 0 || part !== 3) return undefined;
	out[3] = n;
	return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
	let head = text;
	let tail4: Uint8Array | undefined;
	const lastColon = text.lastIndexOf(":");
	if (text.includes(".", lastColon)) {
		tail4 = parseIpv4(text.slice(lastColon + 1));
		if (tail4 === undefined) return undefined;
		head = `${text.slice(0, lastColon + 1)}0:0`;
	}
	const halves = head.split("::");
	if (halves.length > 2) return undefined;
	const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
	const left = groups(halves[0] as string);
	const right = halves.length === 2 ? groups(halves[1] as string) : [];
	const total = left.length + right.length;
	if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
	const all = [...left, ...Array<string>(8 - total).fill("0"), ...right];
	const out = new Uint8Array(16);
	for (let i = 0; i < 8; i++) {
		const g = all[i] as string;
		if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
		const n = Number.parseInt(g, 16);
		out[i * 2] = n >> 8;
		out[i * 2 + 1] = n & 0xff;
	}
	if (tail4 !== undefined) out.set(tail4, 12);
	return out;
}

function unmap(bytes: Uint8Array): Uint8Array {
	if (bytes.length !== 16) return bytes;
	for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return bytes;
	if (bytes[10] !== 0xff || bytes[11] !== 0xff) return bytes;
	return bytes.subarray(12);
}

/** Parses an address (no prefix); IPv4-mapped IPv6 becomes IPv4. */
export function parseIp(text: string): Uint8Array | undefined {
	const bytes = text.includes(":") ? parseIpv6(text) : parseIpv4(text);
	return bytes === undefined ? undefined : unmap(bytes);
}

/** Parses `addr/prefix` or a bare address (a /32 or /128 block). */
export function parseCidr(text: string): Cidr | undefined {
	const slash = text.indexOf("/");
	const addr = slash < 0 ? text : text.slice(0, slash);
	const raw = addr.includes(":") ? parseIpv6(addr) : parseIpv4(addr);
	if (raw === undefined) return undefined;
	let prefix = raw.length * 8;
	if (slash >= 0) {
		const p = text.slice(slash + 1);
		if (!/^\d{1,3}$/.test(p) || Number(p) > raw.length * 8) return undefined;
		prefix = Number(p);
	}
	const bytes = unmap(raw);
	// An IPv4-mapped block (::ffff:0:0/96 and longer) is the IPv4 block with 96 fewer bits.
	if (bytes.length === 4 && raw.length === 16)
		prefix = Math.max(0, prefix - 96);
	return { bytes, prefix };
}

/** True when `ip` lies in `block`; addresses of the other family never match. */
export function cidrContains(block: Cidr, ip: Uint8Array): boolean {
	if (block.bytes.length !== ip.length) return false;
	let bits = block.prefix;
	for (let i = 0; bits > 0; i++, bits -= 8) {
		const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
		if (((block.bytes[i] as number) & mask) !== ((ip[i] as number) & mask))
			return false;
	}
	return true;
}

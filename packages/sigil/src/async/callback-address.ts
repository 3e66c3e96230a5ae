/**
 * Which addresses a callback may be delivered to. A callback URL comes from the caller
 * (`X-Callback-Url`), so without a check anyone allowed to invoke a function could make the
 * gateway POST into its own network (loopback admin ports, cloud metadata at 169.254.169.254, a
 * private subnet). By default only public addresses are reached; an operator whose receivers live
 * on a private network opts in with SIGIL_CALLBACK_ALLOW_PRIVATE=1.
 */
import { isIP } from "node:net";

/** IPv4 ranges that are not the public internet (RFC 6890 and friends). */
const PRIVATE_V4: ReadonlyArray<readonly [number, number]> = [
	[0x00000000, 8], // 0.0.0.0/8 "this network"
	[0x0a000000, 8], // 10/8
	[0x64400000, 10], // 100.64/10 carrier-grade NAT
	[0x7f000000, 8], // loopback
	[0xa9fe0000, 16], // 169.254/16 link-local (cloud metadata)
	[0xac100000, 12], // 172.16/12
	[0xc0000000, 24], // 192.0.0/24 IETF assignments
	[0xc0a80000, 16], // 192.168/16
	[0xc6120000, 15], // 198.18/15 benchmarking
	[0xe0000000, 3], // 224/3: multicast and reserved, broadcast
];

function v4(ip: string): number {
	return ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

/** True for loopback, private, link-local, unique-local, multicast and unspecified addresses. */
export function isPrivateAddress(ip: string): boolean {
	const family = isIP(ip);
	if (family === 4) {
		const n = v4(ip);
		return PRIVATE_V4.some(
			([base, bits]) => n >>> (32 - bits) === base >>> (32 - bits),
		);
	}
	if (family !== 6) return true; // not an address at all: refuse
	const lower = ip.toLowerCase();
	const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
	if (mapped) return isPrivateAddress(mapped[1] as string);
	if (lower === "::" || lower === "::1") return true;
	const first = Number.parseInt(lower.split(":")[0] || "0", 16);
	return (
		(first & 0xfe00) === 0xfc00 /* fc00::/7 */ ||
		(first & 0xffc0) === 0xfe80 /* fe80::/10 */ ||
		(first & 0xff00) === 0xff00
	); /* multicast */
}

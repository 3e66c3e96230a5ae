import { timingSafeEqual } from "node:crypto";

/**
 * Compare two secrets or signatures without leaking, through timing, where they first differ.
 * `crypto.timingSafeEqual` throws on unequal lengths, so a length mismatch still spends one
 * equal-length comparison (against itself) before answering `false`: the time then depends
 * only on the length of `a`, which the attacker supplies anyway.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) {
		timingSafeEqual(a, a);
		return false;
	}
	return timingSafeEqual(a, b);
}

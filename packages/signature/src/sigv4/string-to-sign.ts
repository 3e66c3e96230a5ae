import { hash } from "node:crypto";
import { ALGORITHM } from "./constants.ts";

/**
 * Hex SHA-256 of a canonical request. Wire header values reach us as latin1 strings (one char
 * per byte, as Node decodes them), so they are hashed as latin1 to get the bytes the client
 * hashed back; strings with wider characters came from code, not the wire, and hash as UTF-8.
 */
export function hashCanonicalRequest(
	canonical: string,
	width: 0 | 1 | 2 = 2,
): string {
	// One-shot crypto.hash: about half the cost of createHash for inputs this small.
	return width === 1
		? hash("sha256", Buffer.from(canonical, "latin1"), "hex")
		: hash("sha256", canonical, "hex");
}

/** `date/region/service/aws4_request`. */
export function credentialScope(
	date: string,
	region: string,
	service: string,
): string {
	return `${date}/${region}/${service}/aws4_request`;
}

/**
 * Task 2: the string to sign — algorithm, request time (ISO 8601 basic), credential scope and
 * the hex SHA-256 of the canonical request, one per line.
 */
export function stringToSign(
	amzDate: string,
	scope: string,
	canonicalRequestHash: string,
): string {
	return `${ALGORITHM}\n${amzDate}\n${scope}\n${canonicalRequestHash}`;
}

import { createHash, createHmac } from "node:crypto";
import type { CanonicalHeader } from "./canonical-headers.ts";
import { ACS3_ALGORITHM } from "./constants.ts";

/** The parts of an ACS3 canonical request, each already in canonical form. */
export interface Acs3CanonicalParts {
	readonly method: string;
	readonly uri: string;
	readonly query: string;
	/** Sorted by name. */
	readonly headers: readonly CanonicalHeader[];
	/** The hashed payload line: hex SHA-256 of the body, or `""` when the body is not signed. */
	readonly payload: string;
}

/**
 * Signature V3 step 1: method, URI, query, `name:value\n` per header, an empty line, the signed
 * header names joined by `;`, then the hashed payload — joined by `\n`.
 */
export function acs3CanonicalRequest(p: Acs3CanonicalParts): string {
	const headerBlock = p.headers.map(([n, v]) => `${n}:${v}\n`).join("");
	const signed = p.headers.map(([n]) => n).join(";");
	return `${p.method}\n${p.uri}\n${p.query}\n${headerBlock}\n${signed}\n${p.payload}`;
}

/** Step 2: `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request. */
export function acs3StringToSign(canonicalRequest: string): string {
	return `${ACS3_ALGORITHM}\n${createHash("sha256").update(canonicalRequest, "utf8").digest("hex")}`;
}

/** Step 3: HMAC-SHA256 of the string to sign under the AccessKey secret (raw bytes). */
export function acs3Signature(
	accessKeySecret: string,
	stringToSign: string,
): Uint8Array {
	return createHmac("sha256", accessKeySecret)
		.update(stringToSign, "utf8")
		.digest();
}

import { decodeLowerHex } from "../shared/hex.ts";
import { algorithmSnippet } from "../shared/redact.ts";
import { ACS3_ALGORITHM, MAX_SIGNED_HEADERS } from "./constants.ts";

/** The three fields of `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`. */
export interface Acs3Authorization {
	readonly accessKeyId: string;
	/** Lower-case header names, in the order the client listed them. */
	readonly signedHeaders: readonly string[];
	/** The client's signature: 32 bytes, decoded from lower-case hex. */
	readonly signature: Uint8Array;
}

export type AuthorizationParse =
	| { readonly ok: true; readonly value: Acs3Authorization }
	| {
			readonly ok: false;
			readonly unsupportedAlgorithm?: string;
			readonly reason: string;
	  };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const ACCESS_KEY_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Parse the Authorization value the way `getAuthorization` writes it: the algorithm, one space,
 * then exactly `Credential`, `SignedHeaders` and `Signature`, comma-separated (spaces after a
 * comma tolerated), each once. Anything else is malformed: a verifier that guesses at a broken
 * header only widens what an attacker can send.
 */
export function parseAcs3Authorization(value: string): AuthorizationParse {
	const space = value.indexOf(" ");
	const algorithm = space === -1 ? value : value.slice(0, space);
	if (algorithm !== ACS3_ALGORITHM) {
		return algorithm.startsWith("ACS3-")
			? {
					ok: false,
					// Quoted back to the caller: only an algorithm name's characters (no ',' and what follows).
					unsupportedAlgorithm: algorithmSnippet(algorithm),
					reason: "unsupported algorithm",
				}
			: {
					ok: false,
					reason: `expected "${ACS3_ALGORITHM} Credential=…,SignedHeaders=…,Signature=…"`,
				};
	}
	const fields = new Map<string, string>();
	for (const part of value.slice(space + 1).split(",")) {
		const eq = part.indexOf("=");
		const name = part.slice(0, eq).trimStart();
		if (eq === -1 || fields.has(name))
			return { ok: false, reason: "each field must appear once as name=value" };
		fields.set(name, part.slice(eq + 1));
	}
	const credential = fields.get("Credential");
	const signedHeaders = fields.get("SignedHeaders");
	const signature = fields.get("Signature");
	if (
		fields.size !== 3 ||
		credential === undefined ||
		signedHeaders === undefined ||
		signature === undefined
	) {
		return {
			ok: false,
			reason:
				"Credential, SignedHeaders and Signature are all required, and nothing else",
		};
	}
	if (!ACCESS_KEY_ID.test(credential))
		return { ok: false, reason: "Credential is not an AccessKey ID" };
	const names = signedHeaders.split(";");
	if (names.length > MAX_SIGNED_HEADERS)
		return { ok: false, reason: "too many SignedHeaders" };
	if (
		names.some((n) => !TOKEN.test(n)) ||
		new Set(names).size !== names.length
	) {
		return {
			ok: false,
			reason:
				"SignedHeaders must be distinct lower-case header names separated by ';'",
		};
	}
	const bytes = decodeLowerHex(signature, 32);
	if (bytes === undefined)
		return { ok: false, reason: "Signature must be 64 lower-case hex digits" };
	return {
		ok: true,
		value: { accessKeyId: credential, signedHeaders: names, signature: bytes },
	};
}

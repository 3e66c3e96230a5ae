import { timingSafeEqual } from "node:crypto";
import type { Result } from "../result.ts";
import { hmacSha256WithPads } from "../shared/hmac-pads.ts";
import { canonicalRequest } from "./canonical-request.ts";
import { diagnoseMismatch } from "./diagnose.ts";
import { sigv4Failure } from "./failures.ts";
import { type SigningKeyCache, signingKeyWithPads } from "./signing-key.ts";
import { hashCanonicalRequest, stringToSign } from "./string-to-sign.ts";
import type { ParsedSigV4 } from "./types.ts";

/**
 * Tasks 1–4 with the secret: canonical request → string to sign → signing key (from the
 * caller's cache when given) → HMAC, compared in constant time. On a mismatch, and only then,
 * the failure carries the server's canonical request and string to sign and the client mistake
 * that reproduces the received signature; never the secret, the key or the expected signature.
 *
 * @example
 * const cache = new SigningKeyCache();
 * const result = verifySigV4(parsed.request, { secretAccessKey }, { keyCache: cache });
 * if (result.ok) route(parsed.request.canonicalPath, result.accessKeyId);
 */
export function verifySigV4(
	parsed: ParsedSigV4,
	secret: { readonly secretAccessKey: string },
	opts?: {
		readonly keyCache?: SigningKeyCache;
		/**
		 * Re-sign under the common client mistakes after a mismatch (default true). About ten
		 * extra hashes per bad signature: a gateway under a flood of bad signatures can turn it off.
		 */
		readonly diagnose?: boolean;
	},
): Result<{ accessKeyId: string }> {
	const c = parsed.canonical;
	const canonical = canonicalRequest({
		method: c.method,
		uri: c.uri,
		query: c.query,
		headers: c.headers,
		signedHeaders: c.signedHeaders,
		payloadHash: parsed.payloadHash,
	});
	const { date, region, service } = parsed.scope;
	const toSign = stringToSign(
		parsed.amzDate,
		parsed.credentialScope,
		hashCanonicalRequest(canonical, c.headerWidth),
	);
	const { key, pads } = signingKeyWithPads(
		secret.secretAccessKey,
		date,
		region,
		service,
		opts?.keyCache,
	);
	// HMAC from the cached key blocks: the same bytes as createHmac with `key`, in half the time.
	const expected = hmacSha256WithPads(pads, toSign);
	if (
		parsed.signature !== undefined &&
		timingSafeEqual(expected, parsed.signature)
	) {
		return { ok: true, accessKeyId: parsed.accessKeyId };
	}
	return sigv4Failure(
		"SIGNATURE_MISMATCH",
		undefined,
		opts?.diagnose === false
			? { canonicalRequest: canonical, stringToSign: toSign }
			: diagnoseMismatch(parsed, key, canonical, toSign),
	);
}

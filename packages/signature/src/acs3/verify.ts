import { fcFailure } from "../fc/errors.ts";
import type { Result } from "../result.ts";
import { constantTimeEqual } from "../shared/constant-time.ts";
import { acs3Signature } from "./canonical-request.ts";
import { explainAcs3Mismatch } from "./diagnose.ts";
import type { ParsedAcs3 } from "./parse.ts";

/** The key the gateway found for `parsed.accessKeyId`. */
export interface VerifyAcs3Options {
	readonly accessKeySecret: string;
}

/**
 * Phase two: recompute the signature (V3 step 3) under the looked-up secret and compare in
 * constant time. On a mismatch the failure carries, for the key's owner, the canonical request
 * and string to sign the server built and the client mistake that explains the difference.
 * The gateway still owes the STS check: `parsed.securityToken` against the key's session.
 */
export function verifyAcs3(
	parsed: ParsedAcs3,
	opts: VerifyAcs3Options,
): Result<{ accessKeyId: string }> {
	const expected = acs3Signature(opts.accessKeySecret, parsed.stringToSign);
	if (constantTimeEqual(expected, parsed.signature))
		return { ok: true, accessKeyId: parsed.accessKeyId };
	return fcFailure("acs3", "SIGNATURE_MISMATCH", "", {
		canonicalRequest: parsed.canonicalRequest,
		stringToSign: parsed.stringToSign,
		likelyCause: explainAcs3Mismatch(parsed, opts.accessKeySecret),
		details: {
			mode: parsed.mode,
			signedHeaders: parsed.signedHeaders.join(";"),
		},
	});
}

import type { Result } from "../result.ts";
import { constantTimeEqual } from "../shared/constant-time.ts";
import { fcFailure } from "./errors.ts";
import type { ParsedFcSignature } from "./parse.ts";
import { fcSignature } from "./string-to-sign.ts";

/**
 * Phase two of FC's legacy scheme: HMAC-SHA256 of the string to sign under the looked-up secret,
 * compared in constant time. The diagnosis shows the server's string to sign to the key owner.
 */
export function verifyFcSignature(
	parsed: ParsedFcSignature,
	opts: { readonly accessKeySecret: string },
): Result<{ accessKeyId: string }> {
	if (
		constantTimeEqual(
			fcSignature(opts.accessKeySecret, parsed.stringToSign),
			parsed.signature,
		)
	) {
		return { ok: true, accessKeyId: parsed.accessKeyId };
	}
	return fcFailure("fc", "SIGNATURE_MISMATCH", "", {
		stringToSign: parsed.stringToSign,
		likelyCause:
			"the AccessKey secret differs, or the method, Content-MD5, Content-Type, Date, an x-fc- header, the decoded path or the query changed after signing",
	});
}

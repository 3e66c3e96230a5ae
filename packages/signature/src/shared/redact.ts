import type { Diagnosis } from "../result.ts";

/**
 * A diagnosis shows the key's owner the canonical request and string to sign the server built —
 * and those carry the session token when the caller used temporary credentials (a signed
 * `x-amz-security-token` / `x-acs-security-token` / `x-fc-security-token` header, or the
 * presigned `X-Amz-Security-Token` query parameter). A token is a credential: it is replaced by
 * `[redacted]` before a diagnosis leaves the library, so it can never reach a log or `sigil logs`.
 */
const TOKEN_HEADER = /^(x-(?:amz|acs|fc)-security-token):(.+)$/gim;
const TOKEN_QUERY = /(^|&)(X-Amz-Security-Token=)[^&\n]*/g;

export function redactTokens(text: string): string {
	return text
		.replace(TOKEN_HEADER, "$1:[redacted]")
		.replace(TOKEN_QUERY, "$1$2[redacted]");
}

export function redactDiagnosis(d: Diagnosis): Diagnosis {
	return {
		...d,
		...(d.canonicalRequest !== undefined && {
			canonicalRequest: redactTokens(d.canonicalRequest),
		}),
		...(d.stringToSign !== undefined && {
			stringToSign: redactTokens(d.stringToSign),
		}),
	};
}

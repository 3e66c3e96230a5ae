import type { Diagnosis, SignatureFailure } from "../result.ts";
import { keyIdSnippet, redactDiagnosis } from "../shared/redact.ts";

/**
 * Every failure an ACS3 or FC-legacy trigger can answer with, in Function Compute's dialect.
 * `wireCode`, `status` and the message wording follow FC's error-code table
 * (`{"errorCode": …, "errorMessage": …}`): MissingRequiredHeader 400, SignatureNotMatch 403,
 * InvalidAccessKeyID 403, InvalidArgument 400. FC documents the skew text but not its code;
 * `RequestTimeTooSkewed` 403 is the name Alibaba's OSS uses for the same condition. A missing
 * `x-acs-date` is worded as FC words it, naming the header `Date` ("required HTTP header Date
 * was not specified", seed 001's troubleshooting text).
 * `%s` is replaced by the one detail each message carries.
 */
export const FC_FAILURES = {
	MISSING_REQUIRED_HEADER: {
		wireCode: "MissingRequiredHeader",
		status: 400,
		message: "required HTTP header %s was not specified",
	},
	TIME_SKEW: {
		wireCode: "RequestTimeTooSkewed",
		status: 403,
		message: "the difference between the request time %s is too large",
	},
	SIGNATURE_MISMATCH: {
		wireCode: "SignatureNotMatch",
		status: 403,
		message:
			"The request signature we calculated does not match the signature you provided. Check your access key and signing method",
	},
	INVALID_ACCESS_KEY_ID: {
		wireCode: "InvalidAccessKeyID",
		status: 403,
		message: "invalid access key ID '%s'",
	},
	INVALID_SECURITY_TOKEN: {
		wireCode: "InvalidSecurityToken",
		status: 403,
		message: "the security token included in the request is invalid",
	},
	MALFORMED_AUTHORIZATION: {
		wireCode: "InvalidArgument",
		status: 400,
		message: "invalid Authorization header: %s",
	},
	UNSUPPORTED_ALGORITHM: {
		wireCode: "InvalidArgument",
		status: 400,
		message: "unsupported signature algorithm '%s'",
	},
	INVALID_DATE: {
		wireCode: "InvalidArgument",
		status: 400,
		message: "invalid %s",
	},
	DATE_NOT_SIGNED: {
		wireCode: "InvalidArgument",
		status: 400,
		message: "header %s must be listed in SignedHeaders",
	},
	TOKEN_NOT_SIGNED: {
		wireCode: "InvalidArgument",
		status: 400,
		message: "header %s must be listed in SignedHeaders",
	},
	PAYLOAD_HASH_MISMATCH: {
		wireCode: "InvalidArgument",
		status: 400,
		message: "x-acs-content-sha256 %s",
	},
	HEADER_TOO_LARGE: {
		wireCode: "InvalidArgument",
		status: 400,
		message: "%s is too large",
	},
} as const;

/** A stable Sigil code of the FC dialect (`SIGNATURE_MISMATCH`, `TIME_SKEW`, …). */
export type FcFailureCode = keyof typeof FC_FAILURES;

/**
 * Build the failure value for `code`. The gateway uses it too, e.g. for
 * `INVALID_ACCESS_KEY_ID` once its key lookup finds nothing.
 * @example fcFailure("acs3", "INVALID_ACCESS_KEY_ID", parsed.accessKeyId)
 */
export function fcFailure(
	scheme: "acs3" | "fc",
	code: FcFailureCode,
	detail = "",
	diagnosis?: Diagnosis,
): SignatureFailure {
	const entry = FC_FAILURES[code];
	// The one detail that is the caller's own text: a key id, quoted only as a bounded snippet.
	const shown =
		code === "INVALID_ACCESS_KEY_ID" ? keyIdSnippet(detail) : detail;
	const message = entry.message.replace("%s", shown);
	return diagnosis === undefined
		? {
				ok: false,
				scheme,
				code,
				wireCode: entry.wireCode,
				status: entry.status,
				message,
			}
		: {
				ok: false,
				scheme,
				code,
				wireCode: entry.wireCode,
				status: entry.status,
				message,
				diagnosis: redactDiagnosis(diagnosis),
			};
}

/** FC's skew wording: "the difference between the request time 'X' and the current time 'Y' is too large". */
export function skewDetail(requestTime: string, now: number): string {
	return `'${requestTime}' and the current time '${new Date(now).toISOString()}'`;
}

import type { Diagnosis, SignatureFailure } from "../result.ts";
import { redactDiagnosis } from "../shared/redact.ts";

interface FailureSpec {
	/** AWS's error name for this failure, as sent in `x-amzn-ErrorType` / `__type`. */
	readonly wireCode: string;
	readonly status: number;
	/** AWS's text when it is fixed; failures built with details pass their own text. */
	readonly message: string;
}

/**
 * Every way a SigV4 request can fail, with AWS's wire name and wording (texts as AWS services
 * return them, e.g. DynamoDB / Lambda / API Gateway; S3's wording for the presigned window).
 * Messages with a `…` are templates: the parser fills in the received values.
 */
export const SIGV4_FAILURES = {
	MISSING_AUTHENTICATION: {
		wireCode: "MissingAuthenticationTokenException",
		status: 403,
		message: "Missing Authentication Token",
	},
	AMBIGUOUS_AUTHENTICATION: {
		wireCode: "IncompleteSignatureException",
		status: 403,
		message:
			"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified",
	},
	INCOMPLETE_SIGNATURE: {
		wireCode: "IncompleteSignatureException",
		status: 403,
		message:
			"Authorization header requires 'Credential' parameter. … Authorization=…",
	},
	MALFORMED_AUTHORIZATION: {
		wireCode: "IncompleteSignatureException",
		status: 403,
		message:
			"'…' not a valid key=value pair (missing equal-sign) in Authorization header: '…'.",
	},
	UNSUPPORTED_ALGORITHM: {
		wireCode: "IncompleteSignatureException",
		status: 403,
		message:
			"Unsupported AWS 'algorithm': '…' (only AWS4-HMAC-SHA256 for now). ",
	},
	MALFORMED_CREDENTIAL: {
		wireCode: "IncompleteSignatureException",
		status: 403,
		message:
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '…'",
	},
	INVALID_DATE: {
		wireCode: "IncompleteSignatureException",
		status: 403,
		message:
			"Date must be in ISO-8601 'basic format'. Got '…'. See http://en.wikipedia.org/wiki/ISO_8601",
	},
	OVERSIZE_AUTHORIZATION: {
		wireCode: "IncompleteSignatureException",
		status: 403,
		message:
			"The Authorization header (or X-Amz-Credential/X-Amz-SignedHeaders) is longer than 8192 characters.",
	},
	TOO_MANY_SIGNED_HEADERS: {
		wireCode: "IncompleteSignatureException",
		status: 403,
		message: "SignedHeaders lists more than 64 headers.",
	},
	MALFORMED_SIGNED_HEADERS: {
		wireCode: "IncompleteSignatureException",
		status: 403,
		message:
			"SignedHeaders must be lower-case header names, sorted, without duplicates: '…'.",
	},
	DUPLICATE_AUTH_PARAMETER: {
		wireCode: "IncompleteSignatureException",
		status: 403,
		message: "'…' appears more than once in the request.",
	},
	SCOPE_REGION: {
		wireCode: "InvalidSignatureException",
		status: 403,
		message: "Credential should be scoped to a valid region. ",
	},
	SCOPE_SERVICE: {
		wireCode: "InvalidSignatureException",
		status: 403,
		message: "Credential should be scoped to correct service: '…'. ",
	},
	SCOPE_TERMINATOR: {
		wireCode: "InvalidSignatureException",
		status: 403,
		message:
			"Credential should be scoped with a valid terminator: 'aws4_request', not '…'. ",
	},
	SCOPE_DATE: {
		wireCode: "InvalidSignatureException",
		status: 403,
		message:
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '…' != '…', from '…'.",
	},
	SIGNATURE_EXPIRED: {
		wireCode: "InvalidSignatureException",
		status: 403,
		message: "Signature expired: … is now earlier than … (… - 5 min.)",
	},
	SIGNATURE_NOT_YET_CURRENT: {
		wireCode: "InvalidSignatureException",
		status: 403,
		message: "Signature not yet current: … is still later than … (… + 5 min.)",
	},
	PRESIGNED_EXPIRED: {
		wireCode: "AccessDeniedException",
		status: 403,
		message: "Request has expired",
	},
	INVALID_EXPIRES: {
		wireCode: "AuthorizationQueryParametersError",
		status: 400,
		message:
			"X-Amz-Expires must be less than a week (in seconds) that is 604800",
	},
	HEADER_NOT_SIGNED: {
		wireCode: "InvalidSignatureException",
		status: 403,
		message:
			"'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
	},
	CONTENT_SHA256_MISMATCH: {
		wireCode: "XAmzContentSHA256Mismatch",
		status: 400,
		message:
			"The provided 'x-amz-content-sha256' header does not match what was computed.",
	},
	UNSIGNED_PAYLOAD_REFUSED: {
		wireCode: "InvalidSignatureException",
		status: 403,
		message:
			"UNSIGNED-PAYLOAD is not accepted: sign the hex SHA-256 of the body as x-amz-content-sha256.",
	},
	SIGNATURE_MISMATCH: {
		wireCode: "InvalidSignatureException",
		status: 403,
		message:
			"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
	},
	UNKNOWN_ACCESS_KEY: {
		wireCode: "UnrecognizedClientException",
		status: 403,
		message: "The security token included in the request is invalid.",
	},
	EXPIRED_TOKEN: {
		wireCode: "ExpiredTokenException",
		status: 403,
		message: "The security token included in the request is expired",
	},
} as const satisfies Record<string, FailureSpec>;

/** A stable SigV4 failure code. */
export type SigV4FailureCode = keyof typeof SIGV4_FAILURES;

/** Builds the failure value for `code`, with the table's text unless a filled-in one is given. */
export function sigv4Failure(
	code: SigV4FailureCode,
	message?: string,
	diagnosis?: Diagnosis,
): SignatureFailure {
	const spec: FailureSpec = SIGV4_FAILURES[code];
	const failure: SignatureFailure = {
		ok: false,
		scheme: "sigv4",
		code,
		wireCode: spec.wireCode,
		status: spec.status,
		message: message ?? spec.message,
	};
	return diagnosis === undefined
		? failure
		: { ...failure, diagnosis: redactDiagnosis(diagnosis) };
}

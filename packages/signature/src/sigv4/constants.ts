/** Protocol literals of AWS Signature Version 4, named once. */

/** The only algorithm this verifier accepts (SigV4a `AWS4-ECDSA-P256-SHA256` is not supported). */
export const ALGORITHM = "AWS4-HMAC-SHA256";
/** Last element of every credential scope. */
export const SCOPE_TERMINATOR = "aws4_request";
/** `x-amz-content-sha256` value meaning "the body is not part of the signature". */
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
/** Hex SHA-256 of the empty string: the payload hash of a request without a body. */
export const EMPTY_SHA256 =
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export const HEADER_AUTHORIZATION = "authorization";
export const HEADER_AMZ_DATE = "x-amz-date";
export const HEADER_DATE = "date";
export const HEADER_HOST = "host";
export const HEADER_SECURITY_TOKEN = "x-amz-security-token";
export const HEADER_CONTENT_SHA256 = "x-amz-content-sha256";

export const QUERY_ALGORITHM = "X-Amz-Algorithm";
export const QUERY_CREDENTIAL = "X-Amz-Credential";
export const QUERY_DATE = "X-Amz-Date";
export const QUERY_EXPIRES = "X-Amz-Expires";
export const QUERY_SIGNED_HEADERS = "X-Amz-SignedHeaders";
export const QUERY_SIGNATURE = "X-Amz-Signature";
export const QUERY_SECURITY_TOKEN = "X-Amz-Security-Token";
export const QUERY_CONTENT_SHA256 = "X-Amz-Content-Sha256";

/** Presigned URLs live at most seven days (AWS: "X-Amz-Expires must be less than a week"). */
export const MAX_EXPIRES_SECONDS = 604800;
/** AWS's default tolerance between the request date and the server clock. */
export const DEFAULT_MAX_SKEW_MS = 5 * 60 * 1000;
/** Inputs past these sizes are refused before any work is done on them. */
export const MAX_AUTHORIZATION_LENGTH = 8192;
export const MAX_SIGNED_HEADERS = 64;

/**
 * Headers @smithy/signature-v4 never signs (its ALWAYS_UNSIGNABLE_HEADERS), plus the ones the
 * signer generates itself; our signer skips the same so both produce identical signatures.
 */
export const UNSIGNABLE_HEADERS: ReadonlySet<string> = new Set([
	"authorization",
	"cache-control",
	"connection",
	"expect",
	"from",
	"keep-alive",
	"max-forwards",
	"pragma",
	"referer",
	"te",
	"trailer",
	"transfer-encoding",
	"upgrade",
	"user-agent",
	"x-amzn-trace-id",
]);

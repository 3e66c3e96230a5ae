/** AWS Signature Version 4: sign, presign, parse and verify, and each canonicalisation step. */

export { formatAmzDate, parseAmzDate, parseHttpDate } from "../shared/dates.ts";
export { canonicalHeaders, canonicalHeaderValue } from "./canonical-headers.ts";
export { canonicalUri, decodedPath, normalizePath } from "./canonical-path.ts";
export {
	canonicalQueryString,
	parseQuery,
	type QueryPair,
	type QueryParams,
} from "./canonical-query.ts";
export {
	type CanonicalRequestParts,
	canonicalRequest,
} from "./canonical-request.ts";
export {
	SIGV4_FAILURES,
	type SigV4FailureCode,
	sigv4Failure,
} from "./failures.ts";
export { parseSigV4 } from "./parse.ts";
export {
	presignSigV4,
	type SigV4Credentials,
	type SigV4Signature,
	type SigV4SignOptions,
	type SigV4SignRequest,
	signSigV4,
} from "./sign.ts";
export { deriveSigningKey, SigningKeyCache } from "./signing-key.ts";
export {
	credentialScope,
	hashCanonicalRequest,
	stringToSign,
} from "./string-to-sign.ts";
export type { ParsedSigV4, SigV4Scope, SigV4VerifyOptions } from "./types.ts";
export { canonicalizeEncoded, percentDecode, uriEncode } from "./uri-encode.ts";
export { verifySigV4 } from "./verify.ts";

/** FC's legacy `Authorization: FC id:signature` scheme and FC's error dialect (shared with ACS3). */
export { FC_FAILURES, type FcFailureCode, fcFailure } from "./errors.ts";
export {
	FC_DEFAULT_MAX_SKEW_MS,
	type ParsedFcSignature,
	type ParseFcOptions,
	parseFcSignature,
} from "./parse.ts";
export { type SignFcInput, signFcSignature } from "./sign.ts";
export {
	fcCanonicalHeaders,
	fcCanonicalResource,
	fcStringToSign,
} from "./string-to-sign.ts";
export { verifyFcSignature } from "./verify.ts";

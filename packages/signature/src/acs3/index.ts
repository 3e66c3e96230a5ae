/** ACS3-HMAC-SHA256 (Alibaba Cloud signature V3), as FC's signature-authenticated HTTP triggers use it. */
export type { Acs3Authorization } from "./authorization.ts";
export { parseAcs3Authorization } from "./authorization.ts";
export type { Acs3CanonicalParts } from "./canonical-request.ts";
export { acs3CanonicalRequest, acs3StringToSign } from "./canonical-request.ts";
export { ACS3_ALGORITHM, DEFAULT_MAX_SKEW_MS } from "./constants.ts";
export type { Acs3Mode } from "./mode.ts";
export { type ParseAcs3Options, type ParsedAcs3, parseAcs3 } from "./parse.ts";
export { type SignAcs3Input, type SignedAcs3, signAcs3 } from "./sign.ts";
export { type VerifyAcs3Options, verifyAcs3 } from "./verify.ts";

/** Protocol literals of Alibaba Cloud's V3 signature (ACS3-HMAC-SHA256). */
export const ACS3_ALGORITHM = "ACS3-HMAC-SHA256";
export const ACS3_DATE = "x-acs-date";
export const ACS3_SECURITY_TOKEN = "x-acs-security-token";
export const ACS3_CONTENT_SHA256 = "x-acs-content-sha256";
export const ACS3_ACCESS_KEY_ID = "x-acs-accesskey-id";
export const AUTHORIZATION = "authorization";

/** FC rejects requests whose x-acs-date is more than 15 minutes off the server clock. */
export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;

/**
 * Limits applied before any parsing or hashing, so an oversize header costs nothing.
 * Real Authorization values are ~200 bytes; 64 signed headers is far more than any SDK sends.
 */
export const MAX_AUTHORIZATION_LENGTH = 4096;
export const MAX_TARGET_LENGTH = 16384;
export const MAX_SIGNED_HEADERS = 64;

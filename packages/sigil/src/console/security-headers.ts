/**
 * Headers on every answer under `/console` (files, redirects, errors). The console is a page
 * that holds session credentials in memory, so nothing but its own files may run in it, frame
 * it or learn where it was: no inline script or style, no other origin, no referrer.
 * docs/console.md lists them; console-security.test.ts checks every kind of answer has them.
 */
export const CONTENT_SECURITY_POLICY = [
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self' data:",
	"font-src 'self'",
	"connect-src 'self'",
	"manifest-src 'self'",
	"frame-ancestors 'none'",
	"base-uri 'none'",
	"form-action 'none'",
].join("; ");

export const CONSOLE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
	"content-security-policy": CONTENT_SECURITY_POLICY,
	"x-content-type-options": "nosniff",
	"referrer-policy": "no-referrer",
	// Older browsers that do not read frame-ancestors.
	"x-frame-options": "DENY",
	"cross-origin-opener-policy": "same-origin",
	"cross-origin-resource-policy": "same-origin",
});

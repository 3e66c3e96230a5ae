import type { Diagnosis } from "../result.ts";

/**
 * What a failure may repeat of the request that caused it. Failure messages go to the caller
 * and, with the diagnosis, into the gateway's audit log (`sigil logs`) and log lines; whatever
 * they quote is stored and shown. So:
 *
 * - credentials are never quoted: signatures, session tokens, whole `Authorization` values (a
 *   `Basic` value is a password; a SigV4 or ACS3 value carries the signature), and any part of a
 *   value the parser could not classify (a client that garbled its header may have put the
 *   signature anywhere). A failure names the field, not its value.
 * - a non-secret part (key id, credential scope, date, algorithm name, header names) may be
 *   quoted as a bounded snippet of the characters that part can legitimately hold: the snippet
 *   stops at the first other character (a missing comma cannot drag the signature in after a
 *   credential) and at a length no real value reaches, and says so with `…`.
 */

/** Header names whose values are credentials: a diagnosis shows `name:[redacted]`. */
const SECRET_HEADER =
	/^(x-(?:amz|acs|fc)-security-token|authorization|proxy-authorization|cookie):(.+)$/gim;
const TOKEN_QUERY = /(^|&)(X-Amz-Security-Token=)[^&\n]*/g;

/**
 * A diagnosis shows the key's owner the canonical request and string to sign the server built —
 * and those carry every signed header, so a session token (a signed `x-amz-security-token` /
 * `x-acs-security-token` / `x-fc-security-token` header, or the presigned `X-Amz-Security-Token`
 * parameter), or the Authorization value itself when a client lists `authorization` among its
 * signed headers. Those values are replaced by `[redacted]` before a diagnosis leaves the library.
 */
export function redactTokens(text: string): string {
	return text
		.replace(SECRET_HEADER, "$1:[redacted]")
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

/**
 * The longest prefix of `value` made of characters `allowed` accepts, at most `max` of them, with
 * `…` when anything was left out. Never longer than `max + 1` characters.
 */
export function snippet(
	value: string,
	allowed: (code: number) => boolean,
	max: number,
): string {
	let n = 0;
	while (n < value.length && n < max && allowed(value.charCodeAt(n))) n++;
	return n === value.length ? value : `${value.slice(0, n)}…`;
}

const isAlnum = (c: number) =>
	(c >= 0x30 && c <= 0x39) ||
	(c >= 0x41 && c <= 0x5a) ||
	(c >= 0x61 && c <= 0x7a);
const isLowerToken = (c: number) =>
	(c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c === 0x2d; // 0-9 a-z -

/**
 * An algorithm name (`AWS4-HMAC-SHA256`, `ACS3-HMAC-SHA256`, `Basic`, `Negotiate`): letters and
 * digits in '-'-separated words of at most 10, 32 in all. A word running longer is not a name
 * but what followed a missing space (`AWS4-HMAC-SHA256<signature>`), and is cut.
 */
export function algorithmSnippet(value: string): string {
	let word = 0;
	return snippet(
		value,
		(c) => {
			if (c !== 0x2d) return isAlnum(c) && ++word <= 10;
			word = 0;
			return true;
		},
		32,
	);
}

/** An access key id (`AKIA…`, `LTAI…`, `STS.…`): letters, digits, '.', '_', '-'. */
export function keyIdSnippet(value: string): string {
	return snippet(
		value,
		(c) => isAlnum(c) || c === 0x2e || c === 0x5f || c === 0x2d,
		64,
	);
}

/**
 * A SigV4 credential `keyid/date/region/service/aws4_request`: a key id's characters and '/', the
 * key id at most 32 of them, each scope element at most 24 (the longest region or service name
 * is shorter), so a signature glued on after a missing separator is cut.
 */
export function credentialSnippet(value: string): string {
	let element = 0;
	let length = 0;
	return snippet(
		value,
		(c) => {
			if (c === 0x2f) {
				element++;
				length = 0;
				return element < 5;
			}
			const keyChar = isAlnum(c) || c === 0x2e || c === 0x5f || c === 0x2d;
			return keyChar && ++length <= (element === 0 ? 32 : 24);
		},
		160,
	);
}

/** A date as ISO 8601 (`20150830T123600Z`, `2015-08-30T12:36:00Z`) or RFC 1123 writes it. */
export function dateSnippet(value: string): string {
	return snippet(
		value,
		(c) =>
			isAlnum(c) ||
			c === 0x20 ||
			c === 0x2c ||
			c === 0x2d ||
			c === 0x2e ||
			c === 0x2b ||
			c === 0x3a,
		40,
	);
}

/** One element of a credential scope (`20150830`, `us-east-1`, `aws4_request`). */
export function scopeSnippet(value: string): string {
	return snippet(value, (c) => isLowerToken(c) || c === 0x5f, 32);
}

/** A header name as a client lists it; anything that cannot be one is not shown. */
export function headerNameSnippet(value: string): string {
	return /^[a-z][a-z0-9-]{0,47}$/.test(value) ? value : "…";
}

/** A SignedHeaders list with every name passed through {@link headerNameSnippet}, at most 16 shown. */
export function signedHeadersSnippet(list: string): string {
	const names = list.split(";", 17);
	const shown = names.slice(0, 16).map(headerNameSnippet);
	if (names.length > 16) shown.push("…");
	return shown.join(";");
}

const COMPONENTS = new Set(["Credential", "SignedHeaders", "Signature"]);

/**
 * The shape of an Authorization value, for messages that used to quote it whole (AWS quotes it):
 * the algorithm and, for each comma-separated component, its name when it is one of Credential,
 * SignedHeaders or Signature — values replaced by `…`, except the credential's snippet. E.g.
 * `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request, SignedHeaders=…, Signature=…`.
 */
export function authorizationShape(value: string): string {
	const trimmed = value.trim();
	let space = 0;
	while (
		space < trimmed.length &&
		trimmed[space] !== " " &&
		trimmed[space] !== "\t"
	)
		space++;
	const algorithm = algorithmSnippet(trimmed.slice(0, space));
	const rest = trimmed.slice(space + 1);
	if (rest.trim() === "") return algorithm;
	const parts = rest.split(",", 9);
	const shown = parts.slice(0, 8).map((raw) => {
		const part = raw.trim();
		const eq = part.indexOf("=");
		const name = eq === -1 ? part : part.slice(0, eq).trim();
		if (!COMPONENTS.has(name)) return "…";
		if (eq === -1) return name;
		return name === "Credential"
			? `Credential=${credentialSnippet(part.slice(eq + 1).trim())}`
			: `${name}=…`;
	});
	if (parts.length > 8) shown.push("…");
	return `${algorithm} ${shown.join(", ")}`;
}

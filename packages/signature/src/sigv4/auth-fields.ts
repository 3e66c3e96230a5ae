import type { SignatureFailure } from "../result.ts";
import { authorizationShape } from "../shared/redact.ts";
import type { QueryPair } from "./canonical-query.ts";
import {
	MAX_AUTHORIZATION_LENGTH,
	QUERY_ALGORITHM,
	QUERY_CONTENT_SHA256,
	QUERY_CREDENTIAL,
	QUERY_DATE,
	QUERY_EXPIRES,
	QUERY_SECURITY_TOKEN,
	QUERY_SIGNATURE,
	QUERY_SIGNED_HEADERS,
} from "./constants.ts";
import { sigv4Failure } from "./failures.ts";
import type { ScannedHeaders } from "./header-scan.ts";
import { percentDecode } from "./uri-encode.ts";

/** The signature's fields, wherever they came from (Authorization header or presigned query). */
export interface AuthFields {
	readonly form: "header" | "query";
	readonly algorithm: string;
	readonly credential: string;
	readonly signedHeaders: string;
	readonly signature: string;
	/** The raw date value and which header/parameter carried it. */
	readonly date: string;
	readonly dateSource: "x-amz-date" | "date";
	readonly expires?: string;
	readonly securityToken?: string;
	/** Claimed payload hash (`x-amz-content-sha256` header, or its query twin when presigned). */
	readonly contentSha256?: string;
}

const QUERY_AUTH_KEYS = [
	QUERY_ALGORITHM,
	QUERY_CREDENTIAL,
	QUERY_DATE,
	QUERY_EXPIRES,
	QUERY_SIGNED_HEADERS,
	QUERY_SIGNATURE,
	QUERY_SECURITY_TOKEN,
	QUERY_CONTENT_SHA256,
];

function duplicate(name: string): SignatureFailure {
	return sigv4Failure(
		"DUPLICATE_AUTH_PARAMETER",
		`'${name}' appears more than once in the request.`,
	);
}

/**
 * Step 0 of verification: find the signature. Header form and presigned form are exclusive;
 * with neither the caller gets AWS's "Missing Authentication Token".
 */
export function readAuthFields(
	pairs: readonly QueryPair[],
	found: ScannedHeaders,
): AuthFields | SignatureFailure {
	const header = found.authorization;
	if (header === null) return duplicate("Authorization");
	const query = new Map<string, string>();
	let signatureLike = 0;
	for (const pair of pairs) {
		// Any spelling of X-Amz-Signature counts: an unsigned extra copy must not ride along.
		if (pair.key.length === 15 && pair.key.toLowerCase() === "x-amz-signature")
			signatureLike++;
		if (!QUERY_AUTH_KEYS.includes(pair.key)) continue;
		if (query.has(pair.key)) return duplicate(pair.key);
		query.set(pair.key, percentDecode(pair.value));
	}
	const presigned =
		query.has(QUERY_ALGORITHM) ||
		query.has(QUERY_CREDENTIAL) ||
		signatureLike > 0;
	if (header !== undefined && presigned)
		return sigv4Failure("AMBIGUOUS_AUTHENTICATION");
	if (header === undefined && !presigned)
		return sigv4Failure("MISSING_AUTHENTICATION");
	// Two Host headers: which one did the client sign, which one routes? Neither.
	if (found.host === null) return duplicate("Host");
	if (header !== undefined) return fromHeader(header, found);
	if (signatureLike > 1 || (signatureLike === 1 && !query.has(QUERY_SIGNATURE)))
		return duplicate(QUERY_SIGNATURE);
	return fromQuery(query, found);
}

function fromQuery(
	query: Map<string, string>,
	found: ScannedHeaders,
): AuthFields | SignatureFailure {
	let missing = "";
	for (const key of [
		QUERY_ALGORITHM,
		QUERY_CREDENTIAL,
		QUERY_SIGNATURE,
		QUERY_SIGNED_HEADERS,
		QUERY_DATE,
	]) {
		if (!query.has(key))
			missing += `AWS query-string parameters must include '${key}'. `;
	}
	if (missing !== "")
		return sigv4Failure(
			"INCOMPLETE_SIGNATURE",
			`${missing}Re-examine the query-string parameters.`,
		);
	const credential = query.get(QUERY_CREDENTIAL) as string;
	const signedHeaders = query.get(QUERY_SIGNED_HEADERS) as string;
	if (
		credential.length > MAX_AUTHORIZATION_LENGTH ||
		signedHeaders.length > MAX_AUTHORIZATION_LENGTH
	) {
		return sigv4Failure("OVERSIZE_AUTHORIZATION");
	}
	const token = query.get(QUERY_SECURITY_TOKEN);
	// The payload hash may come as a hoisted query parameter or as a header.
	const sha = query.get(QUERY_CONTENT_SHA256) ?? found.contentSha256;
	if (sha === null) return duplicate("X-Amz-Content-Sha256");
	return {
		form: "query",
		algorithm: query.get(QUERY_ALGORITHM) as string,
		credential,
		signedHeaders,
		signature: query.get(QUERY_SIGNATURE) as string,
		date: query.get(QUERY_DATE) as string,
		dateSource: "x-amz-date",
		expires: query.get(QUERY_EXPIRES),
		securityToken: token,
		contentSha256: sha,
	};
}

function isSpace(c: string | undefined): boolean {
	return c === " " || c === "\t";
}

function trim(s: string): string {
	let a = 0;
	let b = s.length;
	while (a < b && isSpace(s[a])) a++;
	while (b > a && isSpace(s[b - 1])) b--;
	return s.slice(a, b);
}

function isSpaceAt(s: string, i: number): boolean {
	const c = s.charCodeAt(i);
	return c === 0x20 || c === 0x09;
}

const COMPONENTS = ["Credential", "Signature", "SignedHeaders"] as const;

/** Which of COMPONENTS the name `value[a, a + n)` is, without slicing it out; -1 for none. */
function componentSlot(value: string, a: number, n: number): number {
	for (let i = 0; i < COMPONENTS.length; i++) {
		const name = COMPONENTS[i] as string;
		if (n === name.length && value.startsWith(name, a)) return i;
	}
	return -1;
}

/**
 * `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`: algorithm, one space, then
 * comma-separated `name=value` components (spaces around them tolerated, order free).
 */
function fromHeader(
	authorization: string,
	found: ScannedHeaders,
): AuthFields | SignatureFailure {
	if (authorization.length > MAX_AUTHORIZATION_LENGTH)
		return sigv4Failure("OVERSIZE_AUTHORIZATION");
	const value = trim(authorization);
	let cut = 0;
	while (cut < value.length && !isSpace(value[cut])) cut++;
	const algorithm = value.slice(0, cut);
	// Credential, Signature, SignedHeaders (the order AWS lists missing ones in).
	const fields: Array<string | undefined> = [undefined, undefined, undefined];
	// Components by index scanning, no split/trim copies: this runs on every request.
	let pos = cut;
	while (algorithm.startsWith("AWS4-") && pos < value.length) {
		let end = value.indexOf(",", pos);
		if (end === -1) end = value.length;
		let a = pos;
		let b = end;
		while (a < b && isSpaceAt(value, a)) a++;
		while (b > a && isSpaceAt(value, b - 1)) b--;
		pos = end + 1;
		if (a === b) continue;
		const eq = value.indexOf("=", a);
		if (eq === -1 || eq >= b) {
			// AWS quotes the component and the whole header; either may hold the signature (or a
			// password), so only a known component name and the header's shape are repeated.
			const name = componentSlot(value, a, b - a);
			return sigv4Failure(
				"MALFORMED_AUTHORIZATION",
				`'${name === -1 ? "…" : COMPONENTS[name]}' not a valid key=value pair (missing equal-sign) in Authorization header: '${authorizationShape(authorization)}'.`,
			);
		}
		// Only the three known names matter; others are skipped without a copy.
		const slot = componentSlot(value, a, eq - a);
		if (slot === -1) continue;
		if (fields[slot] !== undefined)
			return duplicate(COMPONENTS[slot] as string);
		fields[slot] = value.slice(eq + 1, b);
	}
	const amzDate = found.amzDate;
	const httpDate = found.date;
	if (amzDate === null) return duplicate("X-Amz-Date");
	if (httpDate === null && amzDate === undefined) return duplicate("Date");
	// AWS lists everything that is missing in one message, then echoes the header.
	let missing = "";
	for (let i = 0; i < COMPONENTS.length; i++) {
		if (fields[i] === undefined)
			missing += `Authorization header requires '${COMPONENTS[i]}' parameter. `;
	}
	if (amzDate === undefined && httpDate === undefined) {
		missing +=
			"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
	}
	// AWS echoes the header here; its shape says as much without the signature it may carry.
	if (missing !== "")
		return sigv4Failure(
			"INCOMPLETE_SIGNATURE",
			`${missing}Authorization=${authorizationShape(authorization)}`,
		);
	const token = found.securityToken;
	const sha = found.contentSha256;
	if (token === null) return duplicate("X-Amz-Security-Token");
	if (sha === null) return duplicate("X-Amz-Content-Sha256");
	return {
		form: "header",
		algorithm,
		credential: fields[0] as string,
		signedHeaders: fields[2] as string,
		signature: fields[1] as string,
		date: (amzDate ?? httpDate) as string,
		dateSource: amzDate === undefined ? "date" : "x-amz-date",
		securityToken: token,
		contentSha256: sha,
	};
}

import { hash } from "node:crypto";
import type { WireRequest } from "../request.ts";
import type { Result, SignatureFailure } from "../result.ts";
import { formatAmzDate, parseAmzDate, parseHttpDate } from "../shared/dates.ts";
import {
	algorithmSnippet,
	credentialSnippet,
	dateSnippet,
	headerNameSnippet,
	scopeSnippet,
	signedHeadersSnippet,
} from "../shared/redact.ts";
import { type AuthFields, readAuthFields } from "./auth-fields.ts";
import { canonicalHeadersOf } from "./canonical-headers.ts";
import { canonicalUri } from "./canonical-path.ts";
import { canonicalQueryString, parseQuery } from "./canonical-query.ts";
import {
	ALGORITHM,
	DEFAULT_MAX_SKEW_MS,
	EMPTY_SHA256,
	HEADER_HOST,
	MAX_EXPIRES_SECONDS,
	MAX_SIGNED_HEADERS,
	QUERY_SIGNATURE,
	SCOPE_TERMINATOR,
	UNSIGNED_PAYLOAD,
} from "./constants.ts";
import { type SigV4FailureCode, sigv4Failure } from "./failures.ts";
import { scanHeaders } from "./header-scan.ts";
import { ParsedRequest } from "./parsed-request.ts";
import type { ParsedSigV4, SigV4Scope, SigV4VerifyOptions } from "./types.ts";

/**
 * Everything a SigV4 check can do without the secret, in AWS's order: find the signature
 * (header xor query), its fields, the algorithm, the credential and its scope, the date and the
 * clock (or the presigned window), the headers that must be signed, the payload hash; then the
 * canonical parts that `verifySigV4` hashes. Never throws on any input.
 *
 * @example
 * const parsed = parseSigV4(wire, { region: "us-east-1", services: ["lambda"], now: Date.now() });
 * if (!parsed.ok) return reply(parsed.status, parsed.wireCode, parsed.message);
 * const key = await store.accessKey(parsed.request.accessKeyId); // then verifySigV4(parsed.request, key)
 */
export function parseSigV4(
	req: WireRequest,
	opts: SigV4VerifyOptions,
): Result<{ request: ParsedSigV4 }> {
	const q = req.target.indexOf("?");
	const rawPath = q === -1 ? req.target : req.target.slice(0, q);
	const pairs = q === -1 ? [] : parseQuery(req.target.slice(q + 1));
	const found = scanHeaders(req.rawHeaders);
	const fields = readAuthFields(pairs, found);
	if ("ok" in fields) return fields;
	// 1. Algorithm: only HMAC-SHA256 (SigV4a is not supported).
	if (fields.algorithm !== ALGORITHM) {
		return sigv4Failure(
			"UNSUPPORTED_ALGORITHM",
			`Unsupported AWS 'algorithm': '${algorithmSnippet(fields.algorithm)}' (only AWS4-HMAC-SHA256 for now). `,
		);
	}
	// 2. Credential: keyid/date/region/service/aws4_request.
	const parts = credentialParts(fields.credential);
	if (parts === undefined) {
		return sigv4Failure(
			"MALFORMED_CREDENTIAL",
			`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credentialSnippet(fields.credential)}'`,
		);
	}
	const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = parts;
	// 3. Request date: X-Amz-Date (ISO 8601 basic) wins over an RFC 1123 Date header.
	const requestTime =
		fields.dateSource === "date"
			? parseHttpDate(fields.date)
			: parseAmzDate(fields.date);
	if (requestTime === undefined) {
		return sigv4Failure(
			"INVALID_DATE",
			`Date must be in ISO-8601 'basic format'. Got '${dateSnippet(fields.date)}'. See http://en.wikipedia.org/wiki/ISO_8601`,
		);
	}
	// The string to sign carries the date in ISO 8601 basic format; a validated X-Amz-Date already is.
	const amzDate =
		fields.dateSource === "date" ? formatAmzDate(requestTime) : fields.date;
	// 4. Scope: AWS reports every wrong part at once; the code names the first.
	const scopeFailure = checkScope(
		opts,
		amzDate,
		scopeDate,
		scopeRegion,
		scopeService,
		terminator,
	);
	if (scopeFailure !== undefined) return scopeFailure;
	// 5. Clock: ±maxSkew for the header form; the presigned window for the query form.
	const clockFailure = checkClock(fields, requestTime, amzDate, opts);
	if (clockFailure !== undefined) return clockFailure;
	// 6. Signed headers: well formed, host and the date signed, every x-amz-* header signed.
	const signed = parseSignedHeaders(fields.signedHeaders);
	if (!Array.isArray(signed)) return signed as SignatureFailure;
	// The canonical headers walk also finds the first unsigned x-amz-* header (one pass, not two).
	const headers = canonicalHeadersOf(req.rawHeaders, found.names, signed);
	// A required name is the table's; an unsigned x-amz-* name is the client's, quoted as a name only.
	const unsigned =
		unsignedRequired(signed, fields) ??
		(headers.unsignedAmz === undefined
			? undefined
			: headerNameSnippet(headers.unsignedAmz));
	if (unsigned !== undefined) {
		return sigv4Failure(
			"HEADER_NOT_SIGNED",
			`'${unsigned}' must be a 'SignedHeader' in the AWS Authorization.`,
		);
	}
	// 7. Payload hash: the claimed x-amz-content-sha256 must be the body's, or absent.
	const payloadHash = checkPayload(
		req,
		fields.contentSha256,
		opts.allowUnsignedPayload === true,
	);
	if (typeof payloadHash !== "string") return payloadHash;
	// 8. Canonical parts (Task 1), computed once here so verify only hashes and compares.
	const normalize = opts.normalizePath !== false;
	const scope: SigV4Scope = {
		date: scopeDate,
		region: scopeRegion,
		service: scopeService,
	};
	const request: ParsedSigV4 = new ParsedRequest(
		{
			form: fields.form,
			accessKeyId,
			securityToken: fields.securityToken,
			scope,
			credentialScope: fields.credential.slice(accessKeyId.length + 1),
			amzDate,
			requestTime,
			clockOffsetMs: requestTime - opts.now,
			expiresAt:
				fields.form === "header"
					? undefined
					: requestTime +
						(fields.expires === undefined
							? (opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)
							: Number(fields.expires) * 1000),
			signedHeaders: signed,
			payloadHash,
			canonical: {
				method: req.method,
				uri: canonicalUri(rawPath, { normalize }),
				query: canonicalQueryString(
					pairs,
					fields.form === "query" ? QUERY_SIGNATURE : undefined,
				),
				headers: headers.text,
				signedHeaders: fields.signedHeaders,
				headerWidth: headers.width,
			},
			signature: signatureBytes(fields.signature),
			wire: req,
			normalizePath: normalize,
		},
		rawPath,
	);
	return { ok: true, request };
}

/**
 * The five slash-delimited elements of a credential (key id non-empty), or `undefined`. Found by
 * index rather than `split`, which would build an array of every piece of a hostile value.
 */
function credentialParts(
	credential: string,
): [string, string, string, string, string] | undefined {
	const s1 = credential.indexOf("/");
	const s2 = credential.indexOf("/", s1 + 1);
	const s3 = credential.indexOf("/", s2 + 1);
	const s4 = credential.indexOf("/", s3 + 1);
	// Exactly four slashes: the fourth found and no fifth after it.
	if (s1 < 1 || s2 === -1 || s3 === -1 || s4 === -1) return undefined;
	if (credential.indexOf("/", s4 + 1) !== -1) return undefined;
	return [
		credential.slice(0, s1),
		credential.slice(s1 + 1, s2),
		credential.slice(s2 + 1, s3),
		credential.slice(s3 + 1, s4),
		credential.slice(s4 + 1),
	];
}

function checkScope(
	opts: SigV4VerifyOptions,
	amzDate: string,
	date: string,
	region: string,
	service: string,
	terminator: string,
): SignatureFailure | undefined {
	const fine =
		region === opts.region &&
		terminator === SCOPE_TERMINATOR &&
		date.length === 8 &&
		amzDate.startsWith(date) &&
		opts.services.includes(service);
	if (fine) return undefined;
	let code: SigV4FailureCode | undefined;
	let message = "";
	const add = (c: SigV4FailureCode, text: string): void => {
		code ??= c;
		message += text;
	};
	if (region !== opts.region)
		add("SCOPE_REGION", "Credential should be scoped to a valid region. ");
	if (!opts.services.includes(service)) {
		add(
			"SCOPE_SERVICE",
			`Credential should be scoped to correct service: '${opts.services[0] ?? ""}'. `,
		);
	}
	if (terminator !== SCOPE_TERMINATOR) {
		add(
			"SCOPE_TERMINATOR",
			`Credential should be scoped with a valid terminator: 'aws4_request', not '${scopeSnippet(terminator)}'. `,
		);
	}
	if (date !== amzDate.slice(0, 8)) {
		add(
			"SCOPE_DATE",
			`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeSnippet(date)}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
		);
	}
	return code === undefined ? undefined : sigv4Failure(code, message);
}

/** "5 min." as AWS words the tolerance; other tolerances in whole minutes or seconds. */
function skewText(ms: number): string {
	return ms % 60000 === 0
		? `${ms / 60000} min.`
		: `${Math.round(ms / 1000)} sec.`;
}

function checkClock(
	fields: AuthFields,
	requestTime: number,
	amzDate: string,
	opts: SigV4VerifyOptions,
): SignatureFailure | undefined {
	const skew = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
	if (requestTime - opts.now > skew) {
		return sigv4Failure(
			"SIGNATURE_NOT_YET_CURRENT",
			`Signature not yet current: ${amzDate} is still later than ${formatAmzDate(opts.now + skew)} (${formatAmzDate(opts.now)} + ${skewText(skew)})`,
		);
	}
	// Header form, and presigned URLs without X-Amz-Expires (aws4, aws4fetch for non-S3
	// services send none): the request date must be within the skew.
	if (fields.expires === undefined) {
		if (opts.now - requestTime <= skew) return undefined;
		return sigv4Failure(
			"SIGNATURE_EXPIRED",
			`Signature expired: ${amzDate} is now earlier than ${formatAmzDate(opts.now - skew)} (${formatAmzDate(opts.now)} - ${skewText(skew)})`,
		);
	}
	// Presigned: X-Amz-Expires is 1..604800 seconds (decimal digits only), counted from X-Amz-Date.
	const expires = fields.expires;
	if (!/^[0-9]{1,7}$/.test(expires))
		return sigv4Failure("INVALID_EXPIRES", "X-Amz-Expires should be a number");
	const seconds = Number(expires);
	if (seconds < 1)
		return sigv4Failure(
			"INVALID_EXPIRES",
			"X-Amz-Expires must be at least 1 second",
		);
	if (seconds > MAX_EXPIRES_SECONDS) return sigv4Failure("INVALID_EXPIRES");
	if (opts.now > requestTime + seconds * 1000)
		return sigv4Failure("PRESIGNED_EXPIRED");
	return undefined;
}

/** `a;b;c`: at most 64 names, each non-empty and lower-case, strictly ascending (sorted, no duplicates). */
function parseSignedHeaders(list: string): string[] | SignatureFailure {
	// One pass: each character checked where it stands, each name sliced out at its `;` (the
	// list is bounded by MAX_AUTHORIZATION_LENGTH already; `split` then a check per name cost more).
	const names: string[] = [];
	let ok = true;
	let start = 0;
	// No early exit on a bad name: too many names is reported first, whatever they look like.
	for (let j = 0; j <= list.length; j++) {
		const c = j === list.length ? 0x3b : list.charCodeAt(j);
		if (c === 0x3b) {
			const name = list.slice(start, j);
			ok &&=
				j > start &&
				(names.length === 0 || (names[names.length - 1] as string) < name);
			names.push(name);
			start = j + 1;
			if (names.length > MAX_SIGNED_HEADERS)
				return sigv4Failure("TOO_MANY_SIGNED_HEADERS");
		} else if (ok) {
			// Lower-case token characters only: no A–Z, no space or control characters.
			ok = c > 0x20 && c !== 0x7f && (c < 0x41 || c > 0x5a);
		}
	}
	if (ok) return names;
	return sigv4Failure(
		"MALFORMED_SIGNED_HEADERS",
		`SignedHeaders must be lower-case header names, sorted, without duplicates: '${signedHeadersSnippet(list)}'.`,
	);
}

/** Host, and the header form's date header, must be signed; the name AWS's text uses if not. */
function unsignedRequired(
	signed: readonly string[],
	fields: AuthFields,
): string | undefined {
	if (!signed.includes(HEADER_HOST)) return "Host' or ':authority";
	if (fields.form === "header" && !signed.includes(fields.dateSource)) {
		return fields.dateSource === "date" ? "Date" : "X-Amz-Date";
	}
	return undefined;
}

function checkPayload(
	req: WireRequest,
	claimed: string | undefined,
	allowUnsigned: boolean,
): string | SignatureFailure {
	if (claimed === UNSIGNED_PAYLOAD)
		return allowUnsigned ? claimed : sigv4Failure("UNSIGNED_PAYLOAD_REFUSED");
	const actual =
		req.bodySha256Hex ??
		(req.body.length === 0 ? EMPTY_SHA256 : hash("sha256", req.body, "hex"));
	if (claimed !== undefined && claimed !== actual)
		return sigv4Failure("CONTENT_SHA256_MISMATCH");
	return actual;
}

/** 64 lower-case hex digits as 32 bytes; anything else cannot match and yields no bytes. */
function signatureBytes(hex: string): Buffer | undefined {
	if (hex.length !== 64) return undefined;
	// Decoded and checked in one pass: `Buffer.from(hex, "hex")` costs more than this loop and
	// would accept upper case and stop silently at a bad digit.
	const out = Buffer.allocUnsafe(32);
	for (let i = 0; i < 32; i++) {
		const hi = lowerHexDigit(hex.charCodeAt(2 * i));
		const lo = lowerHexDigit(hex.charCodeAt(2 * i + 1));
		if (hi === -1 || lo === -1) return undefined;
		out[i] = (hi << 4) | lo;
	}
	return out;
}

/** The value of a lower-case hex digit's char code, -1 for any other character. */
function lowerHexDigit(c: number): number {
	if (c >= 0x30 && c <= 0x39) return c - 0x30;
	if (c >= 0x61 && c <= 0x66) return c - 0x57;
	return -1;
}

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { fcFailure, skewDetail } from "../fc/errors.ts";
import { headerValues, singleHeader, type WireRequest } from "../request.ts";
import type { Result } from "../result.ts";
import { constantTimeEqual } from "../shared/constant-time.ts";
import { splitTarget } from "../shared/percent-encoding.ts";
import { dateSnippet, snippet } from "../shared/redact.ts";
import { parseAcs3Authorization } from "./authorization.ts";
import { acs3CanonicalHeaders } from "./canonical-headers.ts";
import { acs3CanonicalQuery, wireQueryMap } from "./canonical-query.ts";
import {
	type Acs3CanonicalParts,
	acs3CanonicalRequest,
	acs3StringToSign,
} from "./canonical-request.ts";
import { acs3CanonicalUri } from "./canonical-uri.ts";
import {
	ACS3_ACCESS_KEY_ID,
	ACS3_CONTENT_SHA256,
	ACS3_DATE,
	ACS3_SECURITY_TOKEN,
	AUTHORIZATION,
	DEFAULT_MAX_SKEW_MS,
	MAX_AUTHORIZATION_LENGTH,
	MAX_TARGET_LENGTH,
} from "./constants.ts";
import { parseAcsDate } from "./date.ts";
import type { Acs3Mode } from "./mode.ts";

/** Options of {@link parseAcs3}. */
export interface ParseAcs3Options {
	/** The gateway's clock, epoch milliseconds (the signature package never reads a clock). */
	readonly now: number;
	/** Largest accepted distance between x-acs-date and `now`, either way. Default 15 minutes. */
	readonly maxSkewMs?: number;
	/** Default `compatible`; see {@link Acs3Mode}. */
	readonly mode?: Acs3Mode;
}

/** A syntactically valid, fresh ACS3 request, ready for {@link verifyAcs3} once the key is known. */
export interface ParsedAcs3 {
	readonly accessKeyId: string;
	/** The STS token from x-acs-security-token (signed); absent when the header is empty or missing. */
	readonly securityToken?: string;
	readonly signedHeaders: readonly string[];
	/** x-acs-date as epoch milliseconds. */
	readonly requestTime: number;
	readonly mode: Acs3Mode;
	readonly canonicalRequest: string;
	readonly stringToSign: string;
	/** What the canonical request was built from; used to explain a mismatch. */
	readonly parts: Acs3CanonicalParts;
	/** The client's signature (not a secret: it travelled in the request). */
	readonly signature: Uint8Array;
	readonly request: WireRequest;
}

const isHexDigit = (c: number) =>
	(c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);

/** Hex SHA-256 of the body, reusing the gateway's if it already computed one. */
export function bodySha256Hex(req: WireRequest): string {
	return (
		req.bodySha256Hex ?? createHash("sha256").update(req.body).digest("hex")
	);
}

/**
 * Phase one of ACS3 verification — everything that needs no key: the Authorization syntax,
 * x-acs-date present, signed and within the skew window, the STS token signed, a signed
 * x-acs-content-sha256 equal to the body's hash, and the canonical request and string to sign.
 * The gateway then looks `accessKeyId` up (async) and calls {@link verifyAcs3}.
 */
export function parseAcs3(
	req: WireRequest,
	opts: ParseAcs3Options,
): Result<{ request: ParsedAcs3 }> {
	const mode = opts.mode ?? "compatible";
	// Limits first: nothing below runs on an oversize value.
	if (req.target.length > MAX_TARGET_LENGTH)
		return fcFailure("acs3", "HEADER_TOO_LARGE", "request target");
	const authValues = headerValues(req.rawHeaders, AUTHORIZATION);
	if (authValues.length === 0)
		return fcFailure("acs3", "MISSING_REQUIRED_HEADER", "Authorization");
	if (authValues.length > 1)
		return fcFailure(
			"acs3",
			"MALFORMED_AUTHORIZATION",
			"the header appears more than once",
		);
	const authValue = authValues[0] as string;
	if (authValue.length > MAX_AUTHORIZATION_LENGTH)
		return fcFailure("acs3", "HEADER_TOO_LARGE", "Authorization");

	const auth = parseAcs3Authorization(authValue);
	if (!auth.ok) {
		return auth.unsupportedAlgorithm === undefined
			? fcFailure("acs3", "MALFORMED_AUTHORIZATION", auth.reason)
			: fcFailure("acs3", "UNSUPPORTED_ALGORITHM", auth.unsupportedAlgorithm);
	}
	const { accessKeyId, signedHeaders, signature } = auth.value;

	// The timestamp must exist, be unambiguous, be covered by the signature (or it could be
	// replaced to replay an old request), and be close to the gateway's clock.
	const dateValue = singleHeader(req.rawHeaders, ACS3_DATE);
	// FC's own words for a missing x-acs-date name the header `Date` (seed 001's troubleshooting:
	// "required HTTP header Date was not specified"); callers search for that sentence.
	if (dateValue === undefined)
		return fcFailure("acs3", "MISSING_REQUIRED_HEADER", "Date", {
			likelyCause: `the ${ACS3_DATE} header is missing: set it to the current UTC time (ISO 8601) before signing; FC words this as header Date`,
		});
	if (dateValue === null)
		return fcFailure(
			"acs3",
			"INVALID_DATE",
			`${ACS3_DATE}: the header appears more than once`,
		);
	const requestTime = parseAcsDate(dateValue);
	if (requestTime === undefined) {
		return fcFailure(
			"acs3",
			"INVALID_DATE",
			`${ACS3_DATE} '${dateSnippet(dateValue)}': expected ISO 8601 UTC`,
		);
	}
	if (!signedHeaders.includes(ACS3_DATE))
		return fcFailure("acs3", "DATE_NOT_SIGNED", ACS3_DATE);
	const skewMs = requestTime - opts.now;
	if (Math.abs(skewMs) > (opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) {
		return fcFailure("acs3", "TIME_SKEW", skewDetail(dateValue, opts.now), {
			details: { clockOffsetSeconds: Math.round(skewMs / 1000) },
		});
	}

	const tokenValue = singleHeader(req.rawHeaders, ACS3_SECURITY_TOKEN);
	if (tokenValue === null)
		return fcFailure(
			"acs3",
			"MALFORMED_AUTHORIZATION",
			`${ACS3_SECURITY_TOKEN} appears more than once`,
		);
	if (
		tokenValue !== undefined &&
		tokenValue !== "" &&
		!signedHeaders.includes(ACS3_SECURITY_TOKEN)
	) {
		return fcFailure("acs3", "TOKEN_NOT_SIGNED", ACS3_SECURITY_TOKEN);
	}
	// openapi-client also sends the key id as a header with STS; it must agree with Credential.
	const keyHeader = singleHeader(req.rawHeaders, ACS3_ACCESS_KEY_ID);
	if (
		keyHeader === null ||
		(keyHeader !== undefined && keyHeader !== accessKeyId)
	) {
		return fcFailure(
			"acs3",
			"MALFORMED_AUTHORIZATION",
			`${ACS3_ACCESS_KEY_ID} does not match Credential`,
		);
	}

	// Hashed payload: the generic V3 flow signs x-acs-content-sha256 and puts the same hex in
	// the last line; FC's HTTP-trigger sample passes "" and leaves the body unsigned.
	let payload = "";
	if (signedHeaders.includes(ACS3_CONTENT_SHA256)) {
		const declared = singleHeader(req.rawHeaders, ACS3_CONTENT_SHA256);
		if (typeof declared !== "string") {
			return fcFailure(
				"acs3",
				"PAYLOAD_HASH_MISMATCH",
				"is signed but not sent exactly once",
			);
		}
		const actual = bodySha256Hex(req);
		if (!constantTimeEqual(Buffer.from(declared), Buffer.from(actual))) {
			return fcFailure(
				"acs3",
				"PAYLOAD_HASH_MISMATCH",
				"does not match the SHA-256 of the request body",
				{
					details: {
						declaredContentSha256: snippet(declared, isHexDigit, 64),
						bodyContentSha256: actual,
						bodyLength: req.body.length,
					},
				},
			);
		}
		payload = declared;
	}

	const { path, query } = splitTarget(req.target);
	const parts: Acs3CanonicalParts = {
		method: req.method,
		uri: acs3CanonicalUri(path, mode),
		query: acs3CanonicalQuery(wireQueryMap(query), mode),
		headers: acs3CanonicalHeaders(req.rawHeaders, signedHeaders),
		payload,
	};
	const canonicalRequest = acs3CanonicalRequest(parts);
	const parsed: ParsedAcs3 = {
		accessKeyId,
		...(tokenValue ? { securityToken: tokenValue } : {}),
		signedHeaders,
		requestTime,
		mode,
		canonicalRequest,
		stringToSign: acs3StringToSign(canonicalRequest),
		parts,
		signature,
		request: req,
	};
	return { ok: true, request: parsed };
}

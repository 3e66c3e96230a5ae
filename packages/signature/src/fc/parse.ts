import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { singleHeader, type WireRequest } from "../request.ts";
import type { Result } from "../result.ts";
import { constantTimeEqual } from "../shared/constant-time.ts";
import { parseHttpDate } from "../shared/dates.ts";
import { dateSnippet } from "../shared/redact.ts";
import { fcFailure, skewDetail } from "./errors.ts";
import { fcStringToSign } from "./string-to-sign.ts";

/** FC allows 15 minutes between the client's Date and the server clock. */
export const FC_DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_AUTHORIZATION_LENGTH = 1024;
const MAX_TARGET_LENGTH = 16384;
const AUTHORIZATION = /^FC ([\x21-\x39\x3b-\x7e]{1,128}):([A-Za-z0-9+/]{43}=)$/;

/** Options of {@link parseFcSignature}. */
export interface ParseFcOptions {
	/** The gateway's clock, epoch milliseconds. */
	readonly now: number;
	readonly maxSkewMs?: number;
}

/** A well-formed, fresh `Authorization: FC id:signature` request awaiting its key. */
export interface ParsedFcSignature {
	readonly accessKeyId: string;
	/** From x-fc-security-token (signed as an x-fc- header), when present and non-empty. */
	readonly securityToken?: string;
	readonly requestTime: number;
	readonly stringToSign: string;
	/** The client's signature (not secret: it came in the request). */
	readonly signature: Uint8Array;
}

/**
 * Phase one of FC's legacy scheme (FC API "signature authentication"): parse
 * `Authorization: FC <AccessKeyId>:<base64 HMAC-SHA256>`, require `Date` within the skew,
 * check a present Content-MD5 against the body, and build the string to sign.
 */
export function parseFcSignature(
	req: WireRequest,
	opts: ParseFcOptions,
): Result<{ request: ParsedFcSignature }> {
	if (req.target.length > MAX_TARGET_LENGTH)
		return fcFailure("fc", "HEADER_TOO_LARGE", "request target");
	const auth = singleHeader(req.rawHeaders, "authorization");
	if (auth === undefined)
		return fcFailure("fc", "MISSING_REQUIRED_HEADER", "Authorization");
	if (auth === null)
		return fcFailure(
			"fc",
			"MALFORMED_AUTHORIZATION",
			"the header appears more than once",
		);
	if (auth.length > MAX_AUTHORIZATION_LENGTH)
		return fcFailure("fc", "HEADER_TOO_LARGE", "Authorization");
	const m = AUTHORIZATION.exec(auth);
	if (m === null)
		return fcFailure(
			"fc",
			"MALFORMED_AUTHORIZATION",
			'expected "FC <AccessKeyId>:<base64 signature>"',
		);
	const accessKeyId = m[1] as string;
	const signature = Buffer.from(m[2] as string, "base64");

	const date = singleHeader(req.rawHeaders, "date");
	if (date === undefined)
		return fcFailure("fc", "MISSING_REQUIRED_HEADER", "Date");
	if (date === null)
		return fcFailure(
			"fc",
			"INVALID_DATE",
			"Date: the header appears more than once",
		);
	const requestTime = parseHttpDate(date);
	if (requestTime === undefined)
		return fcFailure(
			"fc",
			"INVALID_DATE",
			`Date '${dateSnippet(date)}': expected RFC 1123 GMT`,
		);
	const skewMs = requestTime - opts.now;
	if (Math.abs(skewMs) > (opts.maxSkewMs ?? FC_DEFAULT_MAX_SKEW_MS)) {
		return fcFailure("fc", "TIME_SKEW", skewDetail(date, opts.now), {
			details: { clockOffsetSeconds: Math.round(skewMs / 1000) },
		});
	}

	const contentMd5 = singleHeader(req.rawHeaders, "content-md5");
	if (contentMd5 === null)
		return fcFailure(
			"fc",
			"MALFORMED_AUTHORIZATION",
			"Content-MD5 appears more than once",
		);
	if (contentMd5 !== undefined) {
		// Signed as a string; checking it against the body is what makes it protect the body.
		const actual = createHash("md5").update(req.body).digest("base64");
		if (!constantTimeEqual(Buffer.from(contentMd5), Buffer.from(actual))) {
			return fcFailure(
				"fc",
				"PAYLOAD_HASH_MISMATCH",
				"(Content-MD5) does not match the request body",
			);
		}
	}
	const contentType = singleHeader(req.rawHeaders, "content-type");
	const token = singleHeader(req.rawHeaders, "x-fc-security-token");
	const stringToSign = fcStringToSign({
		method: req.method,
		contentMd5: contentMd5 ?? "",
		contentType: contentType ?? "",
		date,
		rawHeaders: req.rawHeaders,
		target: req.target,
	});
	return {
		ok: true,
		request: {
			accessKeyId,
			...(token ? { securityToken: token } : {}),
			requestTime,
			stringToSign,
			signature,
		},
	};
}

/**
 * The verifiers name the client mistake behind a failure in a sentence (`sigil logs` prints it
 * as is). The console also wants a stable code per kind of mistake, to pick help text and for
 * tests to assert on, so each known sentence maps to one here. A sentence not recognised keeps
 * its text with the code `OTHER`: the code is a convenience, the text is the diagnosis.
 */

/** Every kind of client mistake the console names (docs/console.md lists them; a test checks). */
export const CAUSE_CODES = [
	"HOST_PORT",
	"REGION",
	"SERVICE",
	"DATE_SCOPE",
	"CLOCK_SKEW",
	"PATH_ENCODING",
	"PATH_NORMALIZATION",
	"QUERY_ENCODING",
	"SECURITY_TOKEN",
	"PAYLOAD_HASH",
	"BODY_CHANGED",
	"HEADER_NOT_SIGNED",
	"HEADER_VALUES",
	"METHOD",
	"MALFORMED",
	"TRAILING_NEWLINE",
	"SECRET_NEWLINE",
	"ACS3_MODE",
	"SESSION",
	"SCHEME",
	"UNKNOWN",
	"OTHER",
] as const;

export type CauseCode = (typeof CAUSE_CODES)[number];

export interface LikelyCause {
	readonly code: CauseCode;
	readonly text: string;
}

/** First match wins: the sentences of sigv4/diagnose.ts, acs3/diagnose.ts, hmac, the gateway. */
const SENTENCES: readonly [RegExp, CauseCode][] = [
	[/signed the host (?:without its port|with port)/i, "HOST_PORT"],
	[
		/encoded the path once|raw path encoded once|percent-encoded twice|path was signed percent-decoded|'\$' replaced by '%24'|without the FC sample's '\$'/i,
		"PATH_ENCODING",
	],
	[/normalised path|without removing '\.'/i, "PATH_NORMALIZATION"],
	[
		/'\+' in the query|query was signed unsorted|repeated query parameter/i,
		"QUERY_ENCODING",
	],
	[/X-Amz-Security-Token/i, "SECURITY_TOKEN"],
	[
		/UNSIGNED-PAYLOAD|x-acs-content-sha256 is not in SignedHeaders/i,
		"PAYLOAD_HASH",
	],
	[/signed an empty body|body changed in transit/i, "BODY_CHANGED"],
	[/repeated header values/i, "HEADER_VALUES"],
	[/signed for method/i, "METHOD"],
	[/not 64 lower-case hexadecimal/i, "MALFORMED"],
	[
		/signed with a trailing newline|without its trailing newline/i,
		"TRAILING_NEWLINE",
	],
	[/secret ends with a newline/i, "SECRET_NEWLINE"],
	[/other verification mode/i, "ACS3_MODE"],
	[/session|security token/i, "SESSION"],
	[/x-acs-date header is missing/i, "DATE_SCOPE"],
	[
		/No common client mistake|secret differs|uses a different secret|AccessKey secret differs/i,
		"UNKNOWN",
	],
];

export function classifyCause(text: string): LikelyCause {
	for (const [pattern, code] of SENTENCES)
		if (pattern.test(text)) return { code, text };
	return { code: "OTHER", text };
}

/** Causes the debugger states itself, for refusals that come before any signature check. */
export const REFUSAL_CAUSES: Readonly<
	Record<string, (facts: Record<string, string>) => LikelyCause>
> = {
	SCOPE_REGION: (f) => ({
		code: "REGION",
		text: `The request was signed for region '${f.region}', but this gateway's region is '${f.expected}': sign with region ${f.expected} (AWS_REGION, --region, the SDK client's region).`,
	}),
	SCOPE_SERVICE: (f) => ({
		code: "SERVICE",
		text: `The request was signed for service '${f.service}', but this path takes ${f.expected}: sign for that service name.`,
	}),
	SCOPE_DATE: () => ({
		code: "DATE_SCOPE",
		text: "The date in the credential scope is not the day of X-Amz-Date: sign with one timestamp for both.",
	}),
	SCOPE_TERMINATOR: () => ({
		code: "MALFORMED",
		text: "The credential scope must end with aws4_request.",
	}),
	HEADER_NOT_SIGNED: () => ({
		code: "HEADER_NOT_SIGNED",
		text: "A header that must be signed (host, the date, every x-amz-* header sent) is missing from SignedHeaders: sign it, or stop sending it.",
	}),
	CONTENT_SHA256_MISMATCH: () => ({
		code: "PAYLOAD_HASH",
		text: "x-amz-content-sha256 is not the SHA-256 of the body that was sent: the body changed after signing, or the hash was of another body.",
	}),
	UNSIGNED_PAYLOAD_REFUSED: () => ({
		code: "PAYLOAD_HASH",
		text: "This path does not take UNSIGNED-PAYLOAD: sign the hex SHA-256 of the body.",
	}),
	SIGNATURE_EXPIRED: () => ({
		code: "CLOCK_SKEW",
		text: "The signing time is too far from the gateway's clock: check the client machine's clock (NTP).",
	}),
	SIGNATURE_NOT_YET_CURRENT: () => ({
		code: "CLOCK_SKEW",
		text: "The signing time is ahead of the gateway's clock: check the client machine's clock (NTP).",
	}),
	TIME_SKEW: () => ({
		code: "CLOCK_SKEW",
		text: "x-acs-date is too far from the gateway's clock: check the client machine's clock (NTP).",
	}),
	PRESIGNED_EXPIRED: () => ({
		code: "CLOCK_SKEW",
		text: "The presigned URL had expired: presign it again (X-Amz-Expires counts from X-Amz-Date).",
	}),
};

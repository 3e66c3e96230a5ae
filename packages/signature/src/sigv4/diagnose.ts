import {
	createHash,
	createHmac,
	type KeyObject,
	timingSafeEqual,
} from "node:crypto";
import type { Diagnosis } from "../result.ts";
import { canonicalHeaders } from "./canonical-headers.ts";
import { canonicalUri } from "./canonical-path.ts";
import { canonicalQueryString, parseQuery } from "./canonical-query.ts";
import {
	type CanonicalRequestParts,
	canonicalRequest,
} from "./canonical-request.ts";
import {
	EMPTY_SHA256,
	QUERY_SECURITY_TOKEN,
	QUERY_SIGNATURE,
	UNSIGNED_PAYLOAD,
} from "./constants.ts";
import {
	credentialScope,
	hashCanonicalRequest,
	stringToSign,
} from "./string-to-sign.ts";
import type { ParsedSigV4 } from "./types.ts";

/** One common client mistake: how it changes the canonical request, and how to say it. */
interface Candidate {
	readonly cause: string;
	readonly parts: Partial<CanonicalRequestParts>;
	readonly width?: 0 | 1 | 2;
}

const NO_CAUSE =
	"No common client mistake reproduces the signature: most likely the secret access key is wrong, or a signed header, the path, the query or the body changed between the client and Sigil (a proxy rewriting it).";

/**
 * Re-signs the request under each common client mistake with the same signing key and names the
 * first one that reproduces the received signature. Runs only after a mismatch.
 */
export function diagnoseMismatch(
	parsed: ParsedSigV4,
	key: KeyObject,
	canonical: string,
	toSign: string,
): Diagnosis {
	const details: Record<string, string | number> = {
		form: parsed.form,
		credentialScope: credentialScope(
			parsed.scope.date,
			parsed.scope.region,
			parsed.scope.service,
		),
		signedHeaders: parsed.canonical.signedHeaders,
		clockOffsetSeconds: Math.round(parsed.clockOffsetMs / 1000),
	};
	if (parsed.signature === undefined) {
		return {
			canonicalRequest: canonical,
			stringToSign: toSign,
			likelyCause: "The signature is not 64 lower-case hexadecimal digits.",
			details,
		};
	}
	const base: CanonicalRequestParts = {
		...parsed.canonical,
		payloadHash: parsed.payloadHash,
	};
	for (const candidate of candidates(parsed)) {
		const parts = { ...base, ...candidate.parts };
		const hash = hashCanonicalRequest(
			canonicalRequest(parts),
			candidate.width ?? parsed.canonical.headerWidth,
		);
		const sts = stringToSign(
			parsed.amzDate,
			details.credentialScope as string,
			hash,
		);
		const mac = createHmac("sha256", key).update(sts).digest();
		if (timingSafeEqual(mac, parsed.signature)) {
			return {
				canonicalRequest: canonical,
				stringToSign: toSign,
				likelyCause: candidate.cause,
				details,
			};
		}
	}
	return {
		canonicalRequest: canonical,
		stringToSign: toSign,
		likelyCause: NO_CAUSE,
		details,
	};
}

function* candidates(parsed: ParsedSigV4): Generator<Candidate> {
	const wire = parsed.wire;
	const q = wire.target.indexOf("?");
	const rawPath = q === -1 ? wire.target : wire.target.slice(0, q);
	const rawQuery = q === -1 ? "" : wire.target.slice(q + 1);
	const normalize = parsed.normalizePath;
	const skip = parsed.form === "query" ? QUERY_SIGNATURE : undefined;

	// Host: the port left out of (or added to) the signed host.
	yield* hostCandidates(parsed);
	// Path: encoded once instead of twice, not normalised, or both (the S3 rules).
	yield {
		cause:
			"The client encoded the path once (S3 style); non-S3 services encode it twice.",
		parts: { uri: canonicalUri(rawPath, { normalize, doubleEncode: false }) },
	};
	yield {
		cause: normalize
			? "The client signed the path without removing '.', '..' and empty segments; Sigil signs the normalised path."
			: "The client signed the normalised path; this trigger signs the path as sent.",
		parts: { uri: canonicalUri(rawPath, { normalize: !normalize }) },
	};
	yield {
		cause:
			"The client signed the raw path encoded once and not normalised (S3 rules).",
		parts: {
			uri: canonicalUri(rawPath, { normalize: false, doubleEncode: false }),
		},
	};
	// Query: '+' read as a space (form encoding), or the query used as sent, unsorted.
	if (rawQuery.includes("+")) {
		yield {
			cause:
				"The client read '+' in the query as a space (form encoding); SigV4 treats '+' as a literal plus: send spaces as %20 and plus as %2B.",
			parts: { query: canonicalQueryString(parseQuery(rawQuery, true), skip) },
		};
	}
	if (parsed.form === "query" && parsed.securityToken !== undefined) {
		const withoutToken = parseQuery(rawQuery).filter(
			(p) => p.key !== QUERY_SECURITY_TOKEN,
		);
		yield {
			cause:
				"The client added X-Amz-Security-Token to the URL after signing; it must be part of the signed query.",
			parts: { query: canonicalQueryString(withoutToken, skip) },
		};
	}
	// Payload: body hash versus UNSIGNED-PAYLOAD.
	if (parsed.payloadHash === UNSIGNED_PAYLOAD) {
		const body =
			wire.body.length === 0
				? EMPTY_SHA256
				: createHash("sha256").update(wire.body).digest("hex");
		yield {
			cause:
				"The client signed the body hash but sent x-amz-content-sha256: UNSIGNED-PAYLOAD.",
			parts: { payloadHash: body },
		};
	} else {
		yield {
			cause:
				"The client signed UNSIGNED-PAYLOAD as the payload hash but did not send x-amz-content-sha256: UNSIGNED-PAYLOAD.",
			parts: { payloadHash: UNSIGNED_PAYLOAD },
		};
	}
	if (wire.body.length > 0 && parsed.payloadHash !== EMPTY_SHA256) {
		yield {
			cause:
				"The client signed an empty body but sent one (the body was added or changed after signing).",
			parts: { payloadHash: EMPTY_SHA256 },
		};
	}
}

function* hostCandidates(parsed: ParsedSigV4): Generator<Candidate> {
	const raw = parsed.wire.rawHeaders;
	let host: string | undefined;
	for (let i = 0; i + 1 < raw.length; i += 2)
		if ((raw[i] as string).toLowerCase() === "host")
			host = raw[i + 1] as string;
	if (host === undefined) return;
	const colon = host.lastIndexOf(":");
	const hasPort = colon !== -1 && colon > host.lastIndexOf("]");
	const variants = hasPort
		? [
				{
					value: host.slice(0, colon),
					cause: `The client signed the host without its port ('${host.slice(0, colon)}'); the Host header carries '${host}'.`,
				},
			]
		: [":443", ":80"].map((port) => ({
				value: `${host}${port}`,
				cause: `The client signed the host with port ${port.slice(1)} ('${host}${port}'); the Host header carries '${host}'.`,
			}));
	for (const variant of variants) {
		const headers = raw.map((v, i) =>
			i % 2 === 1 && (raw[i - 1] as string).toLowerCase() === "host"
				? variant.value
				: v,
		);
		const built = canonicalHeaders(headers, parsed.signedHeaders);
		yield {
			cause: variant.cause,
			parts: { headers: built.text },
			width: built.width,
		};
	}
}

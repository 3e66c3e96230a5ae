import { headerValues } from "../request.ts";
import { constantTimeEqual } from "../shared/constant-time.ts";
import { percentDecode, splitTarget } from "../shared/percent-encoding.ts";
import { acs3CanonicalQuery, wireQueryMap } from "./canonical-query.ts";
import {
	type Acs3CanonicalParts,
	acs3CanonicalRequest,
	acs3Signature,
	acs3StringToSign,
} from "./canonical-request.ts";
import { acs3CanonicalUri } from "./canonical-uri.ts";
import type { ParsedAcs3 } from "./parse.ts";
import { bodySha256Hex } from "./parse.ts";

interface Hypothesis {
	readonly cause: string;
	readonly parts: (p: ParsedAcs3) => Acs3CanonicalParts | undefined;
}

const SDK_QUIRKS = (path: string) =>
	path.replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
const pathOf = (p: ParsedAcs3) => splitTarget(p.request.target).path;
const queryOf = (p: ParsedAcs3) => splitTarget(p.request.target).query;
const other = (p: ParsedAcs3) =>
	p.mode === "strict" ? "compatible" : "strict";
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/**
 * Common client mistakes, each rebuilt as the canonical request that client would have
 * signed. With the key's secret at hand the verifier can test each one exactly: the first whose
 * signature equals the received one names the cause. Only runs after a mismatch.
 */
const HYPOTHESES: readonly Hypothesis[] = [
	{
		cause:
			"the client encoded the path and query differently: it matches the other verification mode",
		parts: (p) => ({
			...p.parts,
			uri: acs3CanonicalUri(pathOf(p), other(p)),
			query: acs3CanonicalQuery(wireQueryMap(queryOf(p)), other(p)),
		}),
	},
	{
		cause:
			"the path was signed with every '$' replaced by '%24' (Go/Python/Java sample); FC's Node sample replaces only the first",
		parts: (p) => ({
			...p.parts,
			uri: SDK_QUIRKS(pathOf(p).replaceAll("$", "%24")),
		}),
	},
	{
		cause:
			"the path was signed exactly as sent, without the FC sample's '$' → '%24' rewrite",
		parts: (p) => ({ ...p.parts, uri: SDK_QUIRKS(pathOf(p)) }),
	},
	{
		cause:
			"the path was signed percent-decoded; sign the encoded path that is sent",
		parts: (p) => ({ ...p.parts, uri: percentDecode(pathOf(p)) }),
	},
	{
		cause: "the path was percent-encoded twice before signing",
		parts: (p) => ({
			...p.parts,
			uri: acs3CanonicalUri(pathOf(p).replaceAll("%", "%25"), p.mode),
		}),
	},
	{
		cause:
			"a repeated query parameter was signed with its first value; the verifier keeps the last",
		parts: (p) => ({
			...p.parts,
			query: acs3CanonicalQuery(wireQueryMap(queryOf(p), true), p.mode),
		}),
	},
	{
		cause: "the query was signed unsorted or with different encoding than sent",
		parts: (p) => ({ ...p.parts, query: queryOf(p) }),
	},
	{
		cause:
			"the body hash was signed but x-acs-content-sha256 is not in SignedHeaders",
		parts: (p) =>
			p.parts.payload === ""
				? { ...p.parts, payload: bodySha256Hex(p.request) }
				: undefined,
	},
	{
		cause:
			"repeated header values were signed joined with ', ' in wire order instead of sorted and joined with ','",
		parts: (p) => ({
			...p.parts,
			headers: p.parts.headers.map(
				([n]) => [n, headerValues(p.request.rawHeaders, n).join(", ")] as const,
			),
		}),
	},
	...METHODS.map(
		(method): Hypothesis => ({
			cause: `the request was signed for method ${method} but sent with another`,
			parts: (p) =>
				p.parts.method === method ? undefined : { ...p.parts, method },
		}),
	),
];

/** The first hypothesis that reproduces the client's signature, with its canonical request. */
export function explainAcs3Mismatch(
	parsed: ParsedAcs3,
	accessKeySecret: string,
): string {
	for (const h of HYPOTHESES) {
		const parts = h.parts(parsed);
		if (parts === undefined) continue;
		const canonical = acs3CanonicalRequest(parts);
		if (canonical === parsed.canonicalRequest) continue;
		if (
			constantTimeEqual(
				acs3Signature(accessKeySecret, acs3StringToSign(canonical)),
				parsed.signature,
			)
		)
			return h.cause;
	}
	return "the AccessKey secret differs from the one registered for this AccessKey ID, or the method, path, query, a signed header or the body hash changed after signing";
}

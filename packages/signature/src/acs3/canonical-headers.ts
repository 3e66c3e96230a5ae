import { headerValues } from "../request.ts";

/** One signed header as it enters the canonical request: lower-case name, canonical value. */
export type CanonicalHeader = readonly [name: string, value: string];

/**
 * CanonicalHeaders of ACS3 (signature V3 step 1.4) for the names the client signed: every wire
 * occurrence of the header (`rawHeaders`, not Node's `", "`-joined `headers`), each trimmed,
 * the values sorted and joined with `,`; headers sorted by name. A signed header absent from
 * the wire canonicalises to the empty value, as the signer does for an empty one.
 */
export function acs3CanonicalHeaders(
	rawHeaders: readonly string[],
	signedHeaders: readonly string[],
): CanonicalHeader[] {
	return [...signedHeaders].sort().map((name) => {
		const values = headerValues(rawHeaders, name).map((v) => v.trim());
		values.sort();
		return [name, values.join(",")] as const;
	});
}

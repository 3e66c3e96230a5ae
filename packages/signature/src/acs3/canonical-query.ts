import { parseFormEncoded, rfc3986Encode } from "../shared/percent-encoding.ts";
import type { Acs3Mode } from "./mode.ts";

/**
 * The query map a client signs, rebuilt from the wire query: form-decoded like
 * `URLSearchParams`, and — as `Object.fromEntries(url.searchParams)` does in FC's Node sample —
 * the last value of a repeated key wins (`firstWins` flips that, for the diagnosis of Go and
 * Python clients, which keep the first).
 */
export function wireQueryMap(
	query: string,
	firstWins = false,
): Map<string, string> {
	const map = new Map<string, string>();
	for (const [key, value] of parseFormEncoded(query)) {
		if (!firstWins || !map.has(key)) map.set(key, value);
	}
	return map;
}

/**
 * CanonicalQueryString of ACS3 (signature V3 step 1.3): parameters sorted by name, joined with
 * `&`, each `name=encode(value)`. The Node signer leaves the *name* as it is (a space stays a
 * space) and sorts with JavaScript's default, UTF-16 code-unit order; strict mode encodes the
 * name as well and sorts the encoded names.
 */
export function acs3CanonicalQuery(
	params: ReadonlyMap<string, string>,
	mode: Acs3Mode,
): string {
	const entries = [...params].map(
		([k, v]) =>
			[mode === "strict" ? rfc3986Encode(k) : k, rfc3986Encode(v)] as const,
	);
	entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
	return entries.map(([k, v]) => `${k}=${v}`).join("&");
}

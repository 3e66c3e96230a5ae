import { percentDecode, rfc3986Encode } from "../shared/percent-encoding.ts";
import type { Acs3Mode } from "./mode.ts";

/**
 * CanonicalURI of ACS3 from the wire path.
 *
 * Compatible: FC's Node sample signs `new URL(url).pathname.replace("$", "%24")` while the
 * client sends the path without that rewrite, and `getAuthorization` then applies its own
 * `.replace("+", "%20").replace("*", "%2A").replace("%7E", "~")`. `String.replace` with a
 * string pattern rewrites only the first occurrence, so we do exactly that, in that order.
 *
 * Strict: each `/`-separated segment is percent-decoded (WHATWG, invalid UTF-8 → U+FFFD) and
 * re-encoded with RFC 3986 unreserved characters only; `%2F` inside a segment stays encoded.
 */
export function acs3CanonicalUri(wirePath: string, mode: Acs3Mode): string {
	if (mode === "strict") {
		return wirePath
			.split("/")
			.map((segment) => rfc3986Encode(percentDecode(segment)))
			.join("/");
	}
	return wirePath
		.replace("$", "%24")
		.replace("+", "%20")
		.replace("*", "%2A")
		.replace("%7E", "~");
}

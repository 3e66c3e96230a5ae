import { canonicalizeEncoded, percentDecode, uriEncode } from "./uri-encode.ts";

/**
 * Removes `.` and `..` segments and collapses empty ones, keeping a leading and a trailing `/`
 * (the rule @smithy/signature-v4 and the AWS SDKs apply for every service but S3). Works on the
 * path as sent, still percent-encoded: `%2E%2E` is a segment name, not a dot segment.
 * @example normalizePath("//a/./b/../c/") === "/a/c/"
 */
export function normalizePath(path: string): string {
	// Fast path: nothing to remove.
	if (
		path.indexOf("//") === -1 &&
		path.indexOf("/.") === -1 &&
		path.charCodeAt(0) !== 0x2e
	)
		return path;
	const segments: string[] = [];
	for (const segment of path.split("/")) {
		if (segment.length === 0 || segment === ".") continue;
		if (segment === "..") segments.pop();
		else segments.push(segment);
	}
	const lead = path.startsWith("/") ? "/" : "";
	const trail = segments.length > 0 && path.endsWith("/") ? "/" : "";
	return `${lead}${segments.join("/")}${trail}`;
}

/** How a client built the canonical URI; the non-S3 default is `{ normalize: true, doubleEncode: true }`. */
export interface CanonicalUriOptions {
	/** Remove dot segments and empty segments first. */
	readonly normalize?: boolean;
	/**
	 * Encode the wire path once more (`%20` → `%2520`), as every non-S3 client does. When false,
	 * the wire path's escapes are only normalised (S3 style: the canonical URI is the path as sent).
	 */
	readonly doubleEncode?: boolean;
}

/**
 * Task 1, step 2 of the canonical request: the canonical URI of the path exactly as it travels
 * (still percent-encoded). Non-S3 rule: normalise, then UriEncode every byte except `/`.
 * @example canonicalUri("/example%20space/") === "/example%2520space/"
 */
export function canonicalUri(
	rawPath: string,
	options: CanonicalUriOptions = {},
): string {
	const path = options.normalize === false ? rawPath : normalizePath(rawPath);
	if (path.length === 0) return "/";
	if (options.doubleEncode === false)
		return path
			.split("/")
			.map((s) => canonicalizeEncoded(s))
			.join("/");
	return uriEncode(path, true);
}

/**
 * The decoded path a verified request addresses, for routing: `path` joined with `/`, and its
 * `segments` decoded one by one so that an encoded `%2F` or `%2E%2E` stays inside its segment.
 * Route on `segments` when a name may contain `/`.
 */
export function decodedPath(
	rawPath: string,
	normalize = true,
): { path: string; segments: string[] } {
	const normalized = normalize ? normalizePath(rawPath) : rawPath;
	const segments: string[] = [];
	let start = normalized.charCodeAt(0) === 0x2f ? 1 : 0;
	while (start < normalized.length) {
		let end = normalized.indexOf("/", start);
		if (end === -1) end = normalized.length;
		segments.push(percentDecode(normalized.slice(start, end)));
		start = end + 1;
	}
	return {
		path: normalized.length === 0 ? "/" : percentDecode(normalized),
		segments,
	};
}

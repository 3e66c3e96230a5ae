/**
 * The path the gateway routes on. SigV4 signs the dot-segment-normalised path (every non-S3 AWS
 * client removes `.`/`..`/empty segments, RFC 3986 §5.2.4), so routing must use the same form:
 * otherwise `/function/a/../b` could verify as `/function/b` yet run `a`. Percent-encoded dots
 * count as dots, because they decode to the same segment.
 */
export function routePath(rawPath: string): string {
	if (!/\/(?:\.|%2e)|\/\//i.test(rawPath)) return rawPath;
	const out: string[] = [];
	const segments = rawPath.split("/").slice(1);
	const last = segments.length - 1;
	segments.forEach((seg, i) => {
		const s = seg.toLowerCase().replaceAll("%2e", ".");
		if (s === "..") out.pop();
		else if (s !== "." && (s !== "" || i === last)) out.push(seg);
	});
	return `/${out.join("/")}`;
}

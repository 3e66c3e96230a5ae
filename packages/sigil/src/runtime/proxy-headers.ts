/**
 * Which headers cross a proxy hop (RFC 9110 §7.6.1): the hop-by-hop ones, and any the
 * `Connection` header names, stay behind; the rest pass with their wire case and order.
 * Pure, shared by both directions of the `http` runtime.
 */

/** Hop-by-hop fields of RFC 9110 §7.6.1 plus the legacy ones proxies still see. */
export const HOP_BY_HOP = new Set([
	"connection",
	"keep-alive",
	"proxy-connection",
	"proxy-authenticate",
	"proxy-authorization",
	"te",
	"trailer",
	"transfer-encoding",
	"upgrade",
]);

/**
 * Filters a flat `name, value, …` list: drops hop-by-hop fields, those listed in `Connection`,
 * and any name in `drop` (lower case). Names keep their case.
 */
export function endToEndHeaders(
	rawHeaders: readonly string[],
	drop: ReadonlySet<string> = new Set(),
): string[] {
	const named = new Set<string>();
	for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
		if ((rawHeaders[i] as string).toLowerCase() !== "connection") continue;
		for (const token of (rawHeaders[i + 1] as string).split(","))
			named.add(token.trim().toLowerCase());
	}
	const out: string[] = [];
	for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
		const name = rawHeaders[i] as string;
		const lower = name.toLowerCase();
		if (HOP_BY_HOP.has(lower) || named.has(lower) || drop.has(lower)) continue;
		out.push(name, rawHeaders[i + 1] as string);
	}
	return out;
}

/** The first value of a header in a flat list (case-insensitive), or undefined. */
export function firstHeader(
	rawHeaders: readonly string[],
	name: string,
): string | undefined {
	for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
		if ((rawHeaders[i] as string).toLowerCase() === name)
			return rawHeaders[i + 1];
	}
	return undefined;
}

/** Joins the upstream's base path and the path below the trigger: `/base` + `/a/b` → `/base/a/b`. */
export function upstreamPath(
	basePath: string,
	path: string,
	rawQuery: string,
): string {
	const base = basePath.endsWith("/") ? basePath.slice(0, -1) : basePath;
	const rest = path === "" ? "/" : path.startsWith("/") ? path : `/${path}`;
	const joined = base === "" ? rest : rest === "/" ? `${base}/` : base + rest;
	return rawQuery === "" ? joined : `${joined}?${rawQuery}`;
}

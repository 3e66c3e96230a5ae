/**
 * Builds the HTTP request of `sigil invoke` from its flags, faas-cli style: `-H 'K: V'` (and
 * faas-cli's older `K=V`), `--query k=v`, `--path /sub`, `-m METHOD` (default POST with a body,
 * GET without). Pure, so the unit tests pin every rule.
 */
import { usageError } from "./cli-error.ts";

export interface InvokeInput {
	readonly name: string;
	readonly method?: string | undefined;
	readonly headers: readonly string[];
	readonly query: readonly string[];
	readonly path?: string | undefined;
	readonly body: Uint8Array;
	readonly contentType?: string | undefined;
}

export interface InvokeRequest {
	readonly method: string;
	/** `/function/NAME[/sub][?query]`, query RFC 3986-encoded (what SigV4 canonicalises to). */
	readonly target: string;
	/** Header entries in the order given. */
	readonly headers: [string, string][];
	readonly body: Uint8Array;
}

/** RFC 3986 percent-encoding (unreserved kept), as SigV4 and ACS3 canonical queries expect. */
export function rfc3986(value: string): string {
	return encodeURIComponent(value).replace(
		/[!'()*]/g,
		(c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
	);
}

/** One `-H` value → [name, value]; `Key: Value` first, faas-cli's legacy `key=value` second. */
export function parseHeaderFlag(flag: string, usage: string): [string, string] {
	const colon = flag.indexOf(":");
	const eq = flag.indexOf("=");
	const at = colon > 0 ? colon : eq > 0 ? eq : -1;
	if (at <= 0)
		throw usageError(`-H ${JSON.stringify(flag)} must be 'Key: Value'`, usage);
	const name = flag.slice(0, at).trim();
	const value = flag.slice(at + 1).trim();
	if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
		throw usageError(
			`-H ${JSON.stringify(flag)}: ${JSON.stringify(name)} is not a header name`,
			usage,
		);
	if (/[\r\n]/.test(value))
		throw usageError(
			`-H ${JSON.stringify(flag)}: a header value cannot hold a line break`,
			usage,
		);
	return [name, value];
}

export function buildInvokeRequest(
	input: InvokeInput,
	usage: string,
): InvokeRequest {
	const method = (
		input.method ?? (input.body.length > 0 ? "POST" : "GET")
	).toUpperCase();
	if (!/^[A-Z]{1,16}$/.test(method))
		throw usageError(
			`-m ${JSON.stringify(input.method)} is not an HTTP method`,
			usage,
		);
	let path = input.path ?? "";
	if (path !== "" && !path.startsWith("/")) path = `/${path}`;
	if (/[\s?#]/.test(path))
		throw usageError(
			`--path ${JSON.stringify(input.path)} must be a path (use --query for the query string)`,
			usage,
		);
	const pairs = input.query.map((q) => {
		const eq = q.indexOf("=");
		if (eq <= 0)
			throw usageError(`--query ${JSON.stringify(q)} must be key=value`, usage);
		return `${rfc3986(q.slice(0, eq))}=${rfc3986(q.slice(eq + 1))}`;
	});
	const headers = input.headers.map((h) => parseHeaderFlag(h, usage));
	// faas-cli sends its --content-type (default text/plain) unless -H sets one.
	if (
		input.body.length > 0 &&
		!headers.some(([k]) => k.toLowerCase() === "content-type")
	)
		headers.push(["Content-Type", input.contentType ?? "text/plain"]);
	return {
		method,
		target: `/function/${encodeURIComponent(input.name)}${path}${pairs.length ? `?${pairs.join("&")}` : ""}`,
		headers,
		body: input.body,
	};
}

/**
 * Matches a raw path against the route table. Patterns are segment lists: `:name` captures one
 * segment, a trailing `*` captures the rest (still percent-encoded, for the function to see as
 * it was sent). Authentication is a property of the route itself, so a route cannot exist
 * without saying how its callers prove who they are.
 */
export type RouteAuth =
	/** No authentication: public, read-only facts. */
	| "none"
	/** SigV4 (service `sigil` unless the route names others): the APIs. */
	| "sigv4"
	/** Whatever the addressed function's trigger requires. */
	| "trigger"
	/**
	 * HTTP basic auth, user = access key id, password = its secret access key: OpenFaaS's
	 * gateway API as faas-cli calls it (openfaas-api.ts).
	 */
	| "basic";

/** What the router needs of a route; the gateway's routes (routes.ts) add the rest. */
export interface RoutePattern {
	readonly name: string;
	/** Upper-case method, or `*` for any. */
	readonly method: string;
	readonly pattern: string;
	/**
	 * `empty`: the route matches only a request without a query string, so one path can serve a
	 * browser (`GET /` → the console) and an API that needs its query (`GET /?Action=…`).
	 */
	readonly query?: "empty";
}

export interface RouteParams {
	readonly [key: string]: string;
}

interface Compiled<R> {
	readonly route: R;
	readonly segments: readonly string[];
	readonly rest: boolean;
}

export type RouteMatch<R> =
	| { route: R; params: RouteParams }
	| { methodNotAllowed: true }
	| undefined;

export class Router<R extends RoutePattern> {
	readonly #routes: Compiled<R>[];

	constructor(routes: readonly R[]) {
		this.#routes = routes.map((route) => {
			const segments = route.pattern.split("/").slice(1);
			const rest = segments.at(-1) === "*";
			return { route, segments: rest ? segments.slice(0, -1) : segments, rest };
		});
	}

	match(method: string, rawPath: string, rawQuery = ""): RouteMatch<R> {
		const parts = rawPath.split("/").slice(1);
		let pathMatched = false;
		for (const c of this.#routes) {
			if (c.route.query === "empty" && rawQuery !== "") continue;
			const params = matchSegments(c, parts);
			if (!params) continue;
			if (
				c.route.method !== "*" &&
				c.route.method !== method &&
				!(method === "HEAD" && c.route.method === "GET")
			) {
				pathMatched = true;
				continue;
			}
			return { route: c.route, params };
		}
		return pathMatched ? { methodNotAllowed: true } : undefined;
	}
}

function matchSegments<R>(
	c: Compiled<R>,
	parts: readonly string[],
): Record<string, string> | undefined {
	if (
		c.rest
			? parts.length < c.segments.length
			: parts.length !== c.segments.length
	)
		return undefined;
	const params: Record<string, string> = {};
	for (let i = 0; i < c.segments.length; i++) {
		const seg = c.segments[i] as string;
		const part = parts[i] as string;
		if (seg.startsWith(":")) {
			if (part === "") return undefined;
			params[seg.slice(1)] = part;
		} else if (seg !== part) return undefined;
	}
	if (c.rest) {
		const rest = parts.slice(c.segments.length);
		params.rest = rest.length === 0 ? "" : `/${rest.join("/")}`;
	}
	return params;
}

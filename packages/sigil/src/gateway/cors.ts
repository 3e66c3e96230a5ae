/**
 * CORS per trigger. Browsers never sign a preflight, so it is answered from the trigger's config
 * before authentication (as Lambda function URLs do); the actual request is then authenticated
 * like any other and gets the allow headers on its answer.
 */
import type { TriggerConfig } from "../config/function-config.ts";

type Cors = NonNullable<TriggerConfig["cors"]>;

function allowedOrigin(cors: Cors, origin: string): string | undefined {
	const origins = cors.allowOrigins ?? [];
	if (origins.includes(origin)) return origin;
	// A credentialed answer may not use the wildcard: echo the origin instead.
	if (origins.includes("*")) return cors.allowCredentials ? origin : "*";
	return undefined;
}

/** Is this a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method)? */
export function isPreflight(
	method: string,
	headers: Record<string, string | string[] | undefined>,
): boolean {
	return (
		method === "OPTIONS" &&
		typeof headers.origin === "string" &&
		typeof headers["access-control-request-method"] === "string"
	);
}

/** Headers answering a preflight; an empty object when the origin or method is not allowed. */
export function preflightHeaders(
	cors: Cors,
	origin: string,
	method: string,
	requestHeaders: string | undefined,
): Record<string, string> {
	const allow = allowedOrigin(cors, origin);
	const methods = cors.allowMethods ?? [];
	if (
		!allow ||
		!(methods.includes("*") || methods.includes(method.toUpperCase()))
	)
		return {};
	const h: Record<string, string> = {
		"access-control-allow-origin": allow,
		"access-control-allow-methods": methods.join(","),
		vary: "Origin",
	};
	const allowHeaders = cors.allowHeaders ?? [];
	if (allowHeaders.includes("*") && requestHeaders)
		h["access-control-allow-headers"] = requestHeaders;
	else if (allowHeaders.length)
		h["access-control-allow-headers"] = allowHeaders.join(",");
	if (cors.maxAge !== undefined)
		h["access-control-max-age"] = String(cors.maxAge);
	if (cors.allowCredentials) h["access-control-allow-credentials"] = "true";
	return h;
}

/** Headers added to an actual (non-preflight) answer for a cross-origin caller. */
export function responseHeaders(
	cors: Cors | undefined,
	origin: string | undefined,
): Record<string, string> {
	if (!cors || !origin) return {};
	const allow = allowedOrigin(cors, origin);
	if (!allow) return {};
	const h: Record<string, string> = {
		"access-control-allow-origin": allow,
		vary: "Origin",
	};
	if (cors.exposeHeaders?.length)
		h["access-control-expose-headers"] = cors.exposeHeaders.join(",");
	if (cors.allowCredentials) h["access-control-allow-credentials"] = "true";
	return h;
}

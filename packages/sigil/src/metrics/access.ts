/**
 * Who may read `GET /metrics`. Prometheus scrapes without SigV4, and the per-function series
 * name every account's functions (operator data, never a tenant's), so the gateway decides by
 * where the caller is and, optionally, a bearer token:
 *
 *   SIGIL_METRICS=loopback (default)  callers on this host get everything; others 403
 *   SIGIL_METRICS=public               anyone gets the gateway-wide series (routes, auth
 *                                      outcomes, queue, process); per-function series still
 *                                      need loopback or the token
 *   SIGIL_METRICS=off                  404, as a path that does not exist
 *   SIGIL_METRICS_TOKEN=…              `Authorization: Bearer …` gets everything from anywhere
 *                                      (a scraper on another host); a wrong token is 403
 *
 * "Loopback" is the socket's peer address (127.0.0.0/8, ::1, ::ffff:127.x), and only when the
 * request carries no forwarding header: a reverse proxy on the same host connects from loopback
 * too, and would otherwise hand every tenant the operator's view. A proxy that adds none of
 * `Forwarded`, `X-Forwarded-For`, `X-Real-IP` must not forward /metrics (docs/control-plane.md).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { MetricsScope } from "./gateway-metrics.ts";

export type MetricsMode = "loopback" | "public" | "off";

export interface MetricsAccess {
	readonly mode: MetricsMode;
	/** SHA-256 of SIGIL_METRICS_TOKEN: compared in constant time, the token itself not kept. */
	readonly tokenDigest?: Buffer;
}

export type MetricsGrant =
	| { readonly ok: true; readonly scope: MetricsScope }
	| {
			readonly ok: false;
			readonly code: "ROUTE_NOT_FOUND" | "ACCESS_DENIED";
			readonly message: string;
	  };

const MODES: readonly MetricsMode[] = ["loopback", "public", "off"];
/** A token short enough to guess is worse than none: refuse to start with it. */
const MIN_TOKEN_LENGTH = 16;

export function resolveMetricsAccess(
	env: Record<string, string | undefined>,
): MetricsAccess {
	const raw = env.SIGIL_METRICS?.trim() || "loopback";
	if (!(MODES as readonly string[]).includes(raw))
		throw new Error(
			`SIGIL_METRICS must be one of ${MODES.join(", ")} (got ${JSON.stringify(raw.slice(0, 40))})`,
		);
	const token = env.SIGIL_METRICS_TOKEN;
	if (token === undefined || token === "") return { mode: raw as MetricsMode };
	if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token))
		throw new Error(
			`SIGIL_METRICS_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters without spaces (e.g. openssl rand -hex 32)`,
		);
	return { mode: raw as MetricsMode, tokenDigest: digest(token) };
}

/** The peer is this host: IPv4 loopback, IPv6 loopback, or IPv4 loopback mapped into IPv6. */
export function isLoopback(address: string): boolean {
	if (address === "::1") return true;
	const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
	return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

const FORWARDING_HEADERS = ["forwarded", "x-forwarded-for", "x-real-ip"];

export interface MetricsCaller {
	readonly remoteAddress: string;
	readonly headers: IncomingHttpHeaders;
}

export function decideMetricsAccess(
	access: MetricsAccess,
	caller: MetricsCaller,
): MetricsGrant {
	if (access.mode === "off")
		return {
			ok: false,
			code: "ROUTE_NOT_FOUND",
			message: "no route for /metrics",
		};
	const authorization = caller.headers.authorization;
	if (access.tokenDigest && authorization !== undefined) {
		const m = /^Bearer ([^\s]+)$/i.exec(authorization);
		if (m && timingSafeEqual(digest(m[1] as string), access.tokenDigest))
			return { ok: true, scope: "all" };
		// A wrong token is a misconfigured scraper: say so rather than fall back silently.
		return {
			ok: false,
			code: "ACCESS_DENIED",
			message: "the metrics bearer token is not valid",
		};
	}
	const forwarded = FORWARDING_HEADERS.some(
		(h) => caller.headers[h] !== undefined,
	);
	if (isLoopback(caller.remoteAddress) && !forwarded)
		return { ok: true, scope: "all" };
	if (access.mode === "public") return { ok: true, scope: "gateway" };
	return {
		ok: false,
		code: "ACCESS_DENIED",
		message: access.tokenDigest
			? "metrics are served to this host's callers, or with the metrics bearer token"
			: "metrics are served to this host's callers only (SIGIL_METRICS=public opens the gateway-wide series; SIGIL_METRICS_TOKEN admits a remote scraper)",
	};
}

function digest(token: string): Buffer {
	return createHash("sha256").update(token).digest();
}

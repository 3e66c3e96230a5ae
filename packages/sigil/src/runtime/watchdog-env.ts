/**
 * The environment of one forked function process, built as OpenFaaS's classic watchdog builds it
 * (`getAdditionalEnvs` in openfaas/classic-watchdog handler.go): each request header becomes
 * `Http_<Canonical_Name>` with `-` → `_`, first value only; then `Http_Method`,
 * `Http_ContentLength`/`Http_Content_Length`, `Http_Query`, `Http_Path`, `Http_Host`. Pure.
 *
 * Two departures, both for safety: the gateway's own environment is not passed (only
 * {@link baseEnvironment}-style basics given by the caller), and the request-line variables are
 * always written after the headers — `Http_Query` even when empty — so a client header named
 * `Query`, `Method`, `Path`, `Host` or `Content-Length` cannot forge them.
 */

/**
 * Go's `textproto.CanonicalMIMEHeaderKey`: first letter and each letter after `-` upper-case, the
 * rest lower-case (`x-hub-signature` → `X-Hub-Signature`). Names with characters outside a token
 * are returned unchanged, as Go does.
 */
export function canonicalHeaderName(name: string): string {
	if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return name;
	let upper = true;
	let out = "";
	for (const c of name) {
		out += upper ? c.toUpperCase() : c.toLowerCase();
		upper = c === "-";
	}
	return out;
}

export interface WatchdogRequest {
	readonly method: string;
	/** Percent-encoded path; the watchdog shows it decoded (Go's `r.URL.Path`). */
	readonly path: string;
	readonly rawQuery: string;
	readonly host: string;
	readonly rawHeaders: readonly string[];
	readonly contentLength: number;
}

function decodePath(path: string): string {
	try {
		return decodeURIComponent(path);
	} catch {
		return path;
	}
}

/**
 * `base` (inherited basics), then `functionEnv`, then headers, then the request-line variables,
 * then `SIGIL_SECRETS_DIR` — later entries win.
 */
export function buildWatchdogEnv(
	base: Readonly<Record<string, string>>,
	functionEnv: Readonly<Record<string, string>>,
	req: WatchdogRequest,
	secretsDir?: string,
): Record<string, string> {
	const env: Record<string, string> = { ...base, ...functionEnv };
	const seen = new Set<string>();
	for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
		const canonical = canonicalHeaderName(req.rawHeaders[i] as string);
		// Go moves Host and Transfer-Encoding out of r.Header; the first value of a repeated
		// header wins (v[0]).
		if (
			canonical === "Host" ||
			canonical === "Transfer-Encoding" ||
			seen.has(canonical)
		)
			continue;
		seen.add(canonical);
		env[`Http_${canonical.replaceAll("-", "_")}`] = req.rawHeaders[
			i + 1
		] as string;
	}
	env.Http_Method = req.method.toUpperCase();
	// Http_ContentLength is the deprecated spelling the watchdog still sets.
	env.Http_ContentLength = String(req.contentLength);
	env.Http_Content_Length = String(req.contentLength);
	env.Http_Query = req.rawQuery;
	env.Http_Path = decodePath(req.path);
	env.Http_Host = req.host;
	if (secretsDir !== undefined) env.SIGIL_SECRETS_DIR = secretsDir;
	return env;
}

import { createHash, createHmac } from "node:crypto";
import { formatAmzDate } from "../shared/dates.ts";
import { canonicalHeaderValue } from "./canonical-headers.ts";
import { canonicalUri } from "./canonical-path.ts";
import {
	canonicalQueryString,
	formatQuery,
	pairsFromParams,
	parseQuery,
	type QueryPair,
	type QueryParams,
} from "./canonical-query.ts";
import { canonicalRequest } from "./canonical-request.ts";
import {
	ALGORITHM,
	EMPTY_SHA256,
	HEADER_CONTENT_SHA256,
	MAX_EXPIRES_SECONDS,
	QUERY_ALGORITHM,
	QUERY_CREDENTIAL,
	QUERY_DATE,
	QUERY_EXPIRES,
	QUERY_SECURITY_TOKEN,
	QUERY_SIGNATURE,
	QUERY_SIGNED_HEADERS,
	UNSIGNABLE_HEADERS,
	UNSIGNED_PAYLOAD,
} from "./constants.ts";
import { type SigningKeyCache, signingKeyFor } from "./signing-key.ts";
import {
	credentialScope,
	hashCanonicalRequest,
	stringToSign,
} from "./string-to-sign.ts";
import { uriEncode } from "./uri-encode.ts";

/** A request to sign: a full `url`, or `host` + `path` (+ `query`). */
export interface SigV4SignRequest {
	readonly method: string;
	/** Absolute URL; its `host` (with any non-default port), path and query are signed. */
	readonly url?: string | URL;
	/** The Host header value when no `url` is given, port included when not the default. */
	readonly host?: string;
	/** The path as it will travel, percent-encoded (default `/`). */
	readonly path?: string;
	/** The query as it will travel (`a=1&b`), or decoded parameters to be encoded strictly. */
	readonly query?: string | QueryParams;
	/** Headers to send and sign (repeated headers as arrays). Hop-by-hop ones are left unsigned. */
	readonly headers?: Readonly<Record<string, string | readonly string[]>>;
	readonly body?: string | Uint8Array;
}

export interface SigV4Credentials {
	readonly accessKeyId: string;
	readonly secretAccessKey: string;
	readonly sessionToken?: string;
}

export interface SigV4SignOptions {
	readonly region: string;
	readonly service: string;
	/** Signing time, milliseconds since the epoch. */
	readonly now: number;
	readonly keyCache?: SigningKeyCache;
	/** Sign `UNSIGNED-PAYLOAD` instead of the body hash (and send it as x-amz-content-sha256). */
	readonly unsignedPayload?: boolean;
	/** Also send and sign `x-amz-content-sha256` with the body hash (S3 style; @smithy's applyChecksum). */
	readonly signBodyHash?: boolean;
	/** Remove dot and empty path segments before signing (default true, every non-S3 client does). */
	readonly normalizePath?: boolean;
}

/** What a signer produced: the values to send plus the intermediate stages, for debugging. */
export interface SigV4Signature {
	readonly signature: string;
	readonly signedHeaders: string;
	readonly canonicalRequest: string;
	readonly stringToSign: string;
}

interface Prepared {
	readonly host: string;
	readonly path: string;
	readonly pairs: QueryPair[];
	/** The query as it travels (before presign parameters). */
	readonly wireQuery: string;
	readonly origin: string;
	/** Lower-case name → values, generated headers removed. */
	readonly headers: Map<string, string[]>;
	/** Lower-case name → the name as given (presign hoists x-amz-* headers under it, as @smithy does). */
	readonly names: Map<string, string>;
	readonly bodyHash: string;
}

function prepare(req: SigV4SignRequest): Prepared {
	let host = req.host;
	let path = req.path ?? "/";
	let wireQuery = "";
	let pairs: QueryPair[] = [];
	let origin = "";
	if (req.url !== undefined) {
		const url = typeof req.url === "string" ? new URL(req.url) : req.url;
		host = url.host;
		path = url.pathname;
		wireQuery = url.search.slice(1);
		pairs = parseQuery(wireQuery);
		origin = `${url.protocol}//${url.host}`;
	}
	if (typeof req.query === "string") {
		wireQuery = req.query;
		pairs = parseQuery(req.query);
	} else if (req.query !== undefined) {
		pairs = pairsFromParams(req.query);
		wireQuery = formatQuery(pairs);
	}
	const headers = new Map<string, string[]>();
	const names = new Map<string, string>();
	for (const [name, value] of Object.entries(req.headers ?? {})) {
		const lower = name.toLowerCase();
		// @smithy drops these and generates its own (authorization, x-amz-date, date).
		if (lower === "authorization" || lower === "x-amz-date" || lower === "date")
			continue;
		const list = headers.get(lower) ?? [];
		if (typeof value === "string") list.push(value);
		else list.push(...value);
		headers.set(lower, list);
		if (!names.has(lower)) names.set(lower, name);
	}
	if (!headers.has("host")) {
		if (host === undefined)
			throw new TypeError("signSigV4 needs a url, a host, or a host header");
		headers.set("host", [host]);
	}
	const body = req.body ?? "";
	const bodyHash =
		body.length === 0
			? EMPTY_SHA256
			: createHash("sha256").update(body).digest("hex");
	return {
		host: host ?? ((headers.get("host") as string[])[0] as string),
		path,
		pairs,
		wireQuery,
		origin,
		names,
		headers,
		bodyHash,
	};
}

function signable(name: string): boolean {
	return (
		!UNSIGNABLE_HEADERS.has(name) &&
		!name.startsWith("proxy-") &&
		!name.startsWith("sec-")
	);
}

function compute(
	method: string,
	p: Prepared,
	queryPairs: readonly QueryPair[],
	headers: Map<string, string[]>,
	payloadHash: string,
	creds: SigV4Credentials,
	opts: SigV4SignOptions,
	amzDate: string,
): SigV4Signature {
	const names = [...headers.keys()].filter(signable).sort();
	let headerText = "";
	for (const name of names)
		headerText += `${name}:${(headers.get(name) as string[]).map(canonicalHeaderValue).join(",")}\n`;
	const signedHeaders = names.join(";");
	const canonical = canonicalRequest({
		method,
		uri: canonicalUri(p.path, { normalize: opts.normalizePath !== false }),
		query: canonicalQueryString(queryPairs),
		headers: headerText,
		signedHeaders,
		payloadHash,
	});
	const date = amzDate.slice(0, 8);
	const toSign = stringToSign(
		amzDate,
		credentialScope(date, opts.region, opts.service),
		hashCanonicalRequest(canonical),
	);
	const key = signingKeyFor(
		creds.secretAccessKey,
		date,
		opts.region,
		opts.service,
		opts.keyCache,
	);
	const signature = createHmac("sha256", key).update(toSign).digest("hex");
	return {
		signature,
		signedHeaders,
		canonicalRequest: canonical,
		stringToSign: toSign,
	};
}

/**
 * Signs a request with the `Authorization` header (SigV4, non-S3 rules: the path normalised and
 * encoded twice), exactly as @smithy/signature-v4 does for the same input. Returns the headers
 * to add; send the body, path and query unchanged.
 *
 * @example
 * const { headers } = signSigV4(
 *   { method: "POST", url: "https://sigil.example:8443/2015-03-31/functions/hello/invocations", body },
 *   { accessKeyId: "AKIA…", secretAccessKey: "…" },
 *   { region: "us-east-1", service: "lambda", now: Date.now() },
 * );
 * await fetch(url, { method: "POST", headers, body });
 */
export function signSigV4(
	req: SigV4SignRequest,
	creds: SigV4Credentials,
	opts: SigV4SignOptions,
): SigV4Signature & { readonly headers: Record<string, string> } {
	const p = prepare(req);
	const amzDate = formatAmzDate(opts.now);
	const add: Record<string, string> = { "x-amz-date": amzDate };
	const headers = new Map(p.headers);
	headers.set("x-amz-date", [amzDate]);
	if (creds.sessionToken !== undefined) {
		headers.set("x-amz-security-token", [creds.sessionToken]);
		add["x-amz-security-token"] = creds.sessionToken;
	}
	let payloadHash = headers.get(HEADER_CONTENT_SHA256)?.[0];
	if (
		payloadHash === undefined &&
		(opts.unsignedPayload === true || opts.signBodyHash === true)
	) {
		payloadHash = opts.unsignedPayload === true ? UNSIGNED_PAYLOAD : p.bodyHash;
		headers.set(HEADER_CONTENT_SHA256, [payloadHash]);
		add[HEADER_CONTENT_SHA256] = payloadHash;
	}
	const result = compute(
		req.method,
		p,
		p.pairs,
		headers,
		payloadHash ?? p.bodyHash,
		creds,
		opts,
		amzDate,
	);
	const scope = credentialScope(amzDate.slice(0, 8), opts.region, opts.service);
	add.authorization = `${ALGORITHM} Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${result.signedHeaders}, Signature=${result.signature}`;
	return { ...result, headers: add };
}

/**
 * Presigns a request (query-string authentication), as @smithy/signature-v4's `presign` does:
 * `x-amz-*` headers move into the query, the auth parameters are added, the signature last.
 * Returns the URL (or path + query when no `url` was given) to hand out.
 *
 * @example
 * const { url } = presignSigV4({ method: "GET", url: "https://sigil.example/fn/report" }, creds,
 *   { region: "us-east-1", service: "execute-api", now: Date.now(), expiresIn: 900 });
 */
export function presignSigV4(
	req: SigV4SignRequest,
	creds: SigV4Credentials,
	opts: SigV4SignOptions & { readonly expiresIn?: number },
): SigV4Signature & { readonly url: string; readonly query: string } {
	const expiresIn = opts.expiresIn ?? 3600;
	if (
		!Number.isInteger(expiresIn) ||
		expiresIn < 1 ||
		expiresIn > MAX_EXPIRES_SECONDS
	) {
		throw new RangeError(
			`expiresIn must be an integer from 1 to ${MAX_EXPIRES_SECONDS} seconds`,
		);
	}
	const p = prepare(req);
	const amzDate = formatAmzDate(opts.now);
	const headers = new Map<string, string[]>();
	const added: QueryPair[] = [];
	let payloadHash =
		p.headers.get(HEADER_CONTENT_SHA256)?.[0] ??
		(opts.unsignedPayload === true ? UNSIGNED_PAYLOAD : p.bodyHash);
	if (opts.unsignedPayload === true && !p.headers.has(HEADER_CONTENT_SHA256)) {
		added.push({ key: "X-Amz-Content-Sha256", value: UNSIGNED_PAYLOAD });
	}
	for (const [name, values] of p.headers) {
		if (name.startsWith("x-amz-"))
			for (const v of values)
				added.push({
					key: uriEncode(p.names.get(name) ?? name),
					value: uriEncode(v),
				});
		else headers.set(name, values);
	}
	if (creds.sessionToken !== undefined)
		added.push({
			key: QUERY_SECURITY_TOKEN,
			value: uriEncode(creds.sessionToken),
		});
	const scope = credentialScope(amzDate.slice(0, 8), opts.region, opts.service);
	const signedHeaders = [...headers.keys()].filter(signable).sort().join(";");
	added.push(
		{ key: QUERY_ALGORITHM, value: ALGORITHM },
		{
			key: QUERY_CREDENTIAL,
			value: uriEncode(`${creds.accessKeyId}/${scope}`),
		},
		{ key: QUERY_DATE, value: amzDate },
		{ key: QUERY_EXPIRES, value: String(expiresIn) },
		{ key: QUERY_SIGNED_HEADERS, value: uriEncode(signedHeaders) },
	);
	payloadHash ??= p.bodyHash;
	const result = compute(
		req.method,
		p,
		[...p.pairs, ...added],
		headers,
		payloadHash,
		creds,
		opts,
		amzDate,
	);
	const extra = formatQuery([
		...added,
		{ key: QUERY_SIGNATURE, value: result.signature },
	]);
	const query = p.wireQuery === "" ? extra : `${p.wireQuery}&${extra}`;
	return { ...result, query, url: `${p.origin}${p.path}?${query}` };
}

/**
 * Requests signed by a real peer signer (@smithy/signature-v4, the AWS SDK v3's) and rendered
 * as what a person pastes into the signature debugger: a raw HTTP/1.1 request or a curl
 * command. `sentHost` sends another Host than the one signed (the "port left out" mistake).
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { ROOT_KEY, signedFetch, type TestGateway } from "./gateway.ts";
import type { Keys } from "./iam.ts";

export interface SignedRequest {
	readonly method: string;
	/** Path and query as sent. */
	readonly target: string;
	readonly headers: readonly [string, string][];
	readonly body: string;
	readonly url: string;
}

export interface SignOpts {
	readonly method?: string;
	readonly path?: string;
	readonly query?: Record<string, string>;
	readonly headers?: Record<string, string>;
	readonly body?: string;
	readonly credentials?: Keys;
	readonly region?: string;
	readonly service?: string;
	/** The Host header sent, when it differs from the one signed (`host` of the URL). */
	readonly signedHost?: string;
	readonly presign?: boolean;
	readonly signingDate?: Date;
}

export async function signRequest(
	baseUrl: string,
	o: SignOpts = {},
): Promise<SignedRequest> {
	const u = new URL(o.path ?? "/sigil/v1/whoami", baseUrl);
	const method = o.method ?? "GET";
	const body = o.body ?? "";
	const request = new HttpRequest({
		method,
		protocol: "http:",
		hostname: u.hostname,
		port: Number(u.port),
		path: u.pathname,
		query: o.query ?? {},
		headers: { host: o.signedHost ?? u.host, ...o.headers },
		...(body !== "" && { body }),
	});
	const signer = new SignatureV4({
		credentials: o.credentials ?? ROOT_KEY,
		region: o.region ?? "us-east-1",
		service: o.service ?? "sigil",
		sha256: Sha256,
	});
	const date = o.signingDate ? { signingDate: o.signingDate } : {};
	const s = o.presign
		? await signer.presign(request, date)
		: await signer.sign(request, date);
	const query = new URLSearchParams();
	for (const [k, v] of Object.entries(s.query ?? {}))
		for (const one of Array.isArray(v) ? v : [v])
			if (one != null) query.append(k, one);
	// Smithy encodes the query with RFC 3986 rules; URLSearchParams writes spaces as '+'.
	const q = [...query].map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join("&");
	const target = `${u.pathname}${q ? `?${q}` : ""}`;
	const headers: [string, string][] = [["Host", u.host]];
	for (const [k, v] of Object.entries(s.headers))
		if (k.toLowerCase() !== "host") headers.push([k, v]);
	if (body !== "")
		headers.push(["Content-Length", String(Buffer.byteLength(body))]);
	return { method, target, headers, body, url: `${u.origin}${target}` };
}

function rfc3986(s: string): string {
	return encodeURIComponent(s).replace(
		/[!'()*]/g,
		(c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
	);
}

/** The request as raw HTTP/1.1 text. */
export function asRaw(r: SignedRequest): string {
	return `${r.method} ${r.target} HTTP/1.1\r\n${r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n${r.body}`;
}

/** Single-quoted for a POSIX shell. */
export function shellQuote(s: string): string {
	return `'${s.replaceAll("'", "'\\''")}'`;
}

/** The request as a curl command with its signature in -H options. */
export function asCurl(r: SignedRequest): string {
	const parts = ["curl", "-sS", "-X", r.method];
	for (const [k, v] of r.headers)
		if (k !== "Host" && k !== "Content-Length")
			parts.push("-H", shellQuote(`${k}: ${v}`));
	if (r.body !== "") parts.push("--data-raw", shellQuote(r.body));
	parts.push(shellQuote(r.url));
	return parts.join(" ");
}

/** POST /sigil/v1/signature-debug, signed with `credentials`. */
export async function debugCall(
	gw: TestGateway,
	body: unknown,
	credentials: Keys = ROOT_KEY,
): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
	const res = await signedFetch(gw.url, "POST", "/sigil/v1/signature-debug", {
		credentials,
		body: typeof body === "string" ? body : JSON.stringify(body),
		headers: { "content-type": "application/json" },
	});
	const text = await res.text();
	let json: Record<string, unknown> = {};
	try {
		json = JSON.parse(text);
	} catch {}
	return { status: res.status, json, text };
}

/** Sends a signed request as is (the Host as given) and answers its status. */
export async function send(r: SignedRequest): Promise<number> {
	const { request } = await import("node:http");
	const u = new URL(r.url);
	return new Promise((resolve, reject) => {
		const req = request(
			{
				host: u.hostname,
				port: Number(u.port),
				method: r.method,
				path: r.target,
				headers: Object.fromEntries(r.headers),
			},
			(res) => {
				res.resume();
				res.on("end", () => resolve(res.statusCode ?? 0));
			},
		);
		req.on("error", reject);
		req.end(r.body === "" ? undefined : r.body);
	});
}

/**
 * The CLI signs with Sigil's own SDK (`@sigil/signature`), like any client would. This file is
 * the one place that knows the SDK's call shapes, so the commands only say "sign this request
 * with SigV4 / ACS3 / a payload HMAC".
 */
import { randomUUID } from "node:crypto";
import {
	type HmacAlgorithm,
	signAcs3,
	signPayloadHmac,
	signSigV4,
	signStandardWebhook,
} from "@sigil/signature";
import type { Credentials } from "./settings.ts";

export type { HmacAlgorithm };
export const HMAC_ALGORITHMS: readonly HmacAlgorithm[] = [
	"sha256",
	"sha1",
	"sha512",
];

/** A request about to be sent: what every scheme needs to sign it. */
export interface RequestToSign {
	readonly method: string;
	/** `host[:port]` exactly as the Host header will carry it. */
	readonly host: string;
	/** Path and query as they go on the wire. */
	readonly target: string;
	readonly headers: Readonly<Record<string, string>>;
	readonly body: Uint8Array;
}

/**
 * SigV4-signs a request (service `sigil` for the control plane, `lambda` for triggers) and
 * returns every header to send: the given ones plus `x-amz-date`, `authorization` and
 * `x-amz-security-token` when the credentials carry a session token.
 */
export function signSigV4Headers(
	req: RequestToSign,
	credentials: Credentials,
	region: string,
	service: string,
	now: Date,
): Record<string, string> {
	const q = req.target.indexOf("?");
	const signed = signSigV4(
		{
			method: req.method,
			host: req.host,
			path: q === -1 ? req.target : req.target.slice(0, q),
			query: q === -1 ? "" : req.target.slice(q + 1),
			headers: { ...req.headers, host: req.host },
			body: req.body,
		},
		credentials,
		{ region, service, now: now.getTime() },
	);
	return { ...req.headers, host: req.host, ...signed.headers };
}

/**
 * ACS3-HMAC-SHA256-signs a request (Alibaba Cloud's V3 signature, as FC's signed triggers want)
 * and returns every header to send. The nonce makes each request unique, as Alibaba's SDK does.
 */
export function signAcs3Headers(
	req: RequestToSign,
	credentials: Credentials,
	now: Date,
	nonce: string,
): Record<string, string> {
	const signed = signAcs3({
		method: req.method,
		target: req.target,
		headers: { ...req.headers, host: req.host, "x-acs-signature-nonce": nonce },
		body: req.body,
		accessKeyId: credentials.accessKeyId,
		accessKeySecret: credentials.secretAccessKey,
		...(credentials.sessionToken !== undefined && {
			securityToken: credentials.sessionToken,
		}),
		now: now.getTime(),
	});
	return { ...signed.headers };
}

/**
 * The header value faas-cli sends for `--sign HEADER --key SECRET`: `sha256=<hex HMAC of the
 * body>` (faas-cli's `generateSignature`; it always uses SHA-256 — `--algorithm` is our
 * extension for triggers that accept sha1 or sha512).
 */
export function payloadHmacValue(
	body: Uint8Array,
	secret: string,
	algorithm: HmacAlgorithm,
): string {
	return signPayloadHmac(body, secret, algorithm);
}

/**
 * Header names as Go's `http.Header` writes them (faas-cli is Go): `hmac` → `Hmac`,
 * `x-hub-signature-256` → `X-Hub-Signature-256`. HTTP names are case-insensitive; this only
 * keeps what we send identical to what faas-cli sends.
 */
export function canonicalHeaderName(name: string): string {
	return name
		.split("-")
		.map((part) =>
			part ? part[0]?.toUpperCase() + part.slice(1).toLowerCase() : part,
		)
		.join("-");
}

/**
 * The three Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`)
 * for a delivery of `body`. The key is given as the secret's bytes, exactly as the gateway reads
 * the stored secret: `whsec_<base64>` is decoded, anything else is the raw key. A fresh id per
 * call, since the gateway refuses a replayed one.
 */
export function standardWebhookHeaders(
	body: Uint8Array,
	key: string,
	now: Date,
): Record<string, string> {
	return signStandardWebhook({
		id: `msg_${randomUUID().replaceAll("-", "")}`,
		now: now.getTime(),
		body,
		secrets: [Buffer.from(key, "utf8")],
	});
}

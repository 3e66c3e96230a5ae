/**
 * Delivering an OpenFaaS async result to the caller's `X-Callback-Url`, as OpenFaaS's
 * queue-worker does (a POST of the function's answer with `X-Call-Id`, `X-Function-Status`,
 * `X-Function-Name` and `X-Duration-Seconds`), plus what OpenFaaS lacks: `X-Sigil-Signature:
 * sha256=<hex>`, an HMAC-SHA256 of the exact body under the account's secret `callback-key`,
 * so the receiver can tell Sigil's callback from anyone else's POST (docs/async.md).
 */
import { createHmac } from "node:crypto";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { isPrivateAddress } from "./callback-address.ts";

/** The secret (per account) whose value signs callbacks. The account creates it. */
export const CALLBACK_KEY_SECRET = "callback-key";
export const SIGNATURE_HEADER = "X-Sigil-Signature";
const MAX_URL_CHARS = 2048;

export type CallbackUrlCheck =
	| { readonly ok: true; readonly url: string }
	| { readonly ok: false; readonly reason: string };

/**
 * Refuses obviously wrong callback URLs at enqueue time, so the caller hears about them in the
 * 4xx rather than never: not a URL, not http(s), credentials in the URL, too long.
 */
export function checkCallbackUrl(raw: string): CallbackUrlCheck {
	if (raw.length > MAX_URL_CHARS)
		return { ok: false, reason: `longer than ${MAX_URL_CHARS} characters` };
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return { ok: false, reason: "not an absolute URL" };
	}
	if (url.protocol !== "http:" && url.protocol !== "https:")
		return {
			ok: false,
			reason: `scheme ${url.protocol} is not allowed (http or https only)`,
		};
	if (url.username || url.password)
		return {
			ok: false,
			reason:
				"user information in the URL is not allowed (callbacks are signed instead)",
		};
	if (!url.hostname) return { ok: false, reason: "no host" };
	return { ok: true, url: url.href };
}

/** `sha256=<hex>` of the body under the key: the value of {@link SIGNATURE_HEADER}. */
export function callbackSignature(body: Buffer, key: Buffer): string {
	return `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;
}

export interface Callback {
	readonly url: string;
	readonly callId: string;
	readonly functionName: string;
	/** The function's HTTP status (or 500 when it never answered). */
	readonly status: number;
	readonly durationSeconds: number;
	readonly body: Buffer;
	readonly contentType?: string;
	/** The account's `callback-key`, when it has one; unsigned otherwise. */
	readonly key?: Buffer;
}

export interface DeliveryOptions {
	/** Deliver to loopback/private addresses too (SIGIL_CALLBACK_ALLOW_PRIVATE=1). */
	readonly allowPrivate: boolean;
	readonly attempts: number;
	readonly timeoutMs: number;
	/** Pause before the second attempt; doubles after each. */
	readonly retryDelayMs: number;
}

/**
 * POSTs the callback, retrying on network errors and non-2xx answers. Redirects are not followed
 * (a signed body must not be forwarded elsewhere). Resolves with the last failure, or undefined.
 */
export async function deliverCallback(
	cb: Callback,
	opts: DeliveryOptions,
): Promise<string | undefined> {
	const headers: Record<string, string> = {
		"content-type": cb.contentType ?? "application/octet-stream",
		"x-call-id": cb.callId,
		"x-function-name": cb.functionName,
		"x-function-status": String(cb.status),
		"x-duration-seconds": cb.durationSeconds.toFixed(6),
	};
	if (cb.key) headers[SIGNATURE_HEADER] = callbackSignature(cb.body, cb.key);
	if (!opts.allowPrivate) {
		const refused = await privateTarget(cb.url);
		if (refused) return refused;
	}
	let failure: string | undefined;
	for (let attempt = 1; attempt <= opts.attempts; attempt++) {
		try {
			const res = await fetch(cb.url, {
				method: "POST",
				headers,
				body: cb.body,
				redirect: "manual",
				signal: AbortSignal.timeout(opts.timeoutMs),
			});
			await res.arrayBuffer().catch(() => undefined);
			if (res.status >= 200 && res.status < 300) return undefined;
			failure = `callback answered ${res.status}`;
		} catch (err) {
			failure = `callback failed: ${(err as Error).message}`;
		}
		if (attempt < opts.attempts)
			await new Promise((r) =>
				setTimeout(r, opts.retryDelayMs * 2 ** (attempt - 1)).unref(),
			);
	}
	return failure;
}

/** Why a callback URL must not be reached, or undefined when every address it resolves to is public. */
async function privateTarget(url: string): Promise<string | undefined> {
	const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
	let addresses: { address: string }[];
	try {
		addresses = isIP(host)
			? [{ address: host }]
			: await lookup(host, { all: true });
	} catch (err) {
		return `callback host ${host} does not resolve: ${(err as Error).message}`;
	}
	const inside = addresses.find((a) => isPrivateAddress(a.address));
	return inside
		? `callback host ${host} resolves to ${inside.address}, a private or loopback address; the operator allows those with SIGIL_CALLBACK_ALLOW_PRIVATE=1`
		: undefined;
}

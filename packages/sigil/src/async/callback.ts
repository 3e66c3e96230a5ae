/**
 * Delivering an OpenFaaS async result to the caller's `X-Callback-Url`, as OpenFaaS's
 * queue-worker does (a POST of the function's answer with `X-Call-Id`, `X-Function-Status`,
 * `X-Function-Name` and `X-Duration-Seconds`), plus what OpenFaaS lacks: `X-Sigil-Signature:
 * sha256=<hex>`, an HMAC-SHA256 of the exact body under the account's secret `callback-key`,
 * so the receiver can tell Sigil's callback from anyone else's POST (docs/async.md).
 *
 * The target is checked where it is connected to: the host is resolved once, every address it
 * names is checked (callback-address.ts), and the socket is opened to one of those checked
 * addresses through a `lookup` that answers only with them. Letting an HTTP client resolve the
 * name again would leave a DNS-rebinding window (public at the check, loopback at the connect).
 */
import { createHmac } from "node:crypto";
import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import {
	type Address,
	forbiddenReason,
	formatAddress,
	mappedV4,
	parseAddress,
} from "./callback-address.ts";

/** The secret (per account) whose value signs callbacks. The account creates it. */
export const CALLBACK_KEY_SECRET = "callback-key";
export const SIGNATURE_HEADER = "X-Sigil-Signature";
const MAX_URL_CHARS = 2048;
const MAX_ERROR_CHARS = 512;
/** Receiver answers worth another attempt; any other non-2xx (redirects included) is final. */
const RETRY_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

export type CallbackUrlCheck =
	| { readonly ok: true; readonly url: string }
	| { readonly ok: false; readonly reason: string };

/**
 * Refuses obviously wrong callback URLs at enqueue time, so the caller hears about them in the
 * 4xx rather than never: not a URL, not http(s), credentials in the URL, too long. Whether the
 * address is public is decided at delivery, against what the name resolves to then.
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

/**
 * The callback URL as it may be shown and recorded: no user information, query values masked
 * (a receiver's token often rides in the query), no fragment. Scheme, host, port and path stay,
 * so the owner can still tell which receiver it was.
 */
export function redactCallbackUrl(raw: string): string {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return "(not a URL)";
	}
	const query = [...url.searchParams.keys()]
		.map((k) => `${encodeURIComponent(k)}=…`)
		.join("&");
	return `${url.protocol}//${url.host}${url.pathname}${query ? `?${query}` : ""}`;
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

/** One resolved address, as `dns.lookup(…, { all: true })` gives them. */
export interface ResolvedAddress {
	readonly address: string;
	readonly family: number;
}

export interface DeliveryOptions {
	/** Deliver to loopback/private addresses too (SIGIL_CALLBACK_ALLOW_PRIVATE=1). */
	readonly allowPrivate: boolean;
	readonly attempts: number;
	readonly timeoutMs: number;
	/** Pause before the second attempt; doubles after each. */
	readonly retryDelayMs: number;
	/** Resolves a host name (default: the system resolver, `dns.lookup`); tests stand in a fake DNS. */
	readonly resolve?: (host: string) => Promise<readonly ResolvedAddress[]>;
}

/** How one delivery ended: what the worker records on the job (no secret in it). */
export interface CallbackOutcome {
	/** `delivered`: a 2xx; `refused`: nothing sent; `failed`: sent (or tried) without a 2xx. */
	readonly outcome: "delivered" | "refused" | "failed";
	/** {@link redactCallbackUrl} of the URL. */
	readonly target: string;
	/** The address the last attempt connected (or tried to connect) to. */
	readonly address: string | null;
	/** The receiver's last HTTP status, when it answered. */
	readonly httpStatus: number | null;
	/** POSTs attempted (0 when refused). */
	readonly attempts: number;
	readonly error: string | null;
}

export type TargetCheck =
	| { readonly ok: true; readonly addresses: readonly ResolvedAddress[] }
	| { readonly ok: false; readonly reason: string };

const systemResolve = async (host: string) =>
	await dnsLookup(host, { all: true, order: "verbatim" });

/** The address a socket is given: an IPv4-mapped IPv6 address is dialled as the IPv4 it is. */
function dialable(a: Address): ResolvedAddress {
	const v4 = mappedV4(a);
	return v4 === undefined
		? { address: formatAddress(a), family: a.family }
		: { address: formatAddress({ family: 4, value: v4 }), family: 4 };
}

/**
 * Resolves the callback's host once and checks every address: one non-public address refuses the
 * whole target (a name that also points inside is not a public receiver). An IP literal is not
 * resolved at all; it is parsed in every spelling the URL parser or a resolver would accept.
 */
export async function resolveCallbackTarget(
	url: URL,
	opts: Pick<DeliveryOptions, "allowPrivate" | "resolve"> & {
		/** Longest wait for the resolver (the system's may retry for many seconds). */
		readonly timeoutMs?: number;
	},
): Promise<TargetCheck> {
	const hostname = url.hostname.replace(/^\[|\]$/g, "");
	const literal = parseAddress(hostname);
	let found: Address[];
	if (literal) found = [literal];
	else {
		// A trailing dot names the same (fully qualified) host; the resolver is given it without.
		const name = hostname.replace(/\.$/, "");
		let answers: readonly ResolvedAddress[];
		try {
			answers = await withTimeout(
				(opts.resolve ?? systemResolve)(name),
				opts.timeoutMs ?? 10_000,
				`no answer from the resolver within ${opts.timeoutMs ?? 10_000} ms`,
			);
		} catch (err) {
			return {
				ok: false,
				reason: `callback host ${name} does not resolve: ${(err as Error).message}`,
			};
		}
		found = [];
		for (const answer of answers) {
			const parsed = parseAddress(answer.address);
			if (!parsed)
				return {
					ok: false,
					reason: `callback host ${name} resolves to ${answer.address}, which is not an IP address`,
				};
			found.push(parsed);
		}
		if (found.length === 0)
			return {
				ok: false,
				reason: `callback host ${name} resolves to no address`,
			};
	}
	if (!opts.allowPrivate)
		for (const a of found) {
			const why = forbiddenReason(a);
			if (why)
				return {
					ok: false,
					reason: `callback to ${hostname} refused: ${literal ? "" : `it resolves to ${formatAddress(a)}, `}${why}, not a public address (a private or loopback address is reached only when the operator sets SIGIL_CALLBACK_ALLOW_PRIVATE=1)`,
				};
		}
	return { ok: true, addresses: found.map(dialable) };
}

function withTimeout<T>(
	work: Promise<T>,
	ms: number,
	message: string,
): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	return Promise.race([
		work,
		new Promise<never>((_, reject) => {
			timer = setTimeout(() => reject(new Error(message)), ms);
			timer.unref();
		}),
	]).finally(() => clearTimeout(timer));
}

/** A `lookup` for the socket that answers only with the addresses already checked. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
	return (_host, options, callback) => {
		const family =
			options.family === 4 || options.family === 6 ? options.family : 0;
		const usable = family
			? addresses.filter((a) => a.family === family)
			: addresses;
		const first = usable[0];
		if (!first) {
			const err = Object.assign(
				new Error(`no checked IPv${family} address for the callback host`),
				{ code: "ENOTFOUND" },
			);
			callback(err, "", 0);
			return;
		}
		if (options.all)
			(callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, [
				...usable,
			]);
		else callback(null, first.address, first.family);
	};
}

interface Answer {
	readonly status: number;
	readonly address: string | null;
}

/** One POST to a checked target; never follows a redirect (the status is the answer). */
function post(
	url: URL,
	addresses: readonly ResolvedAddress[],
	headers: Record<string, string>,
	body: Buffer,
	timeoutMs: number,
): Promise<Answer> {
	const hostname = url.hostname.replace(/^\[|\]$/g, "");
	const literal = parseAddress(hostname) !== undefined;
	const secure = url.protocol === "https:";
	const first = addresses[0] as ResolvedAddress;
	return new Promise((resolve, reject) => {
		const req = (secure ? httpsRequest : httpRequest)({
			// An IP literal is dialled as its checked, canonical form; a name through the pinned lookup.
			host: literal ? first.address : hostname,
			port: url.port || (secure ? 443 : 80),
			path: `${url.pathname}${url.search}`,
			method: "POST",
			headers: {
				...headers,
				host: url.host,
				"content-length": String(body.length),
			},
			lookup: pinnedLookup(addresses),
			// A fresh connection: a pooled socket would have been checked for another request.
			agent: false,
			...(secure && !literal && { servername: hostname.replace(/\.$/, "") }),
		});
		const timer = setTimeout(
			() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)),
			timeoutMs,
		);
		timer.unref();
		const done = (fn: () => void) => {
			clearTimeout(timer);
			fn();
		};
		req.once("error", (err) => done(() => reject(err)));
		req.once("response", (res: IncomingMessage) => {
			const address = res.socket?.remoteAddress ?? null;
			// The body is discarded: only the status matters, and a receiver must not make us buffer.
			// "close" follows the end of the body, or its abort: the status is the answer either way.
			res.on("error", () => {});
			res.once("close", () =>
				done(() => resolve({ status: res.statusCode ?? 0, address })),
			);
			res.resume();
		});
		req.end(body);
	});
}

function clip(text: string): string {
	return text.length > MAX_ERROR_CHARS
		? `${text.slice(0, MAX_ERROR_CHARS)}…`
		: text;
}

/**
 * POSTs the callback, retrying network errors and the receiver's temporary answers (408, 425,
 * 429, 5xx). Redirects are not followed (a signed body must not be forwarded elsewhere): a 3xx
 * is a final answer like a 4xx. Never throws: the outcome is a value to record on the job.
 */
export async function sendCallback(
	cb: Callback,
	opts: DeliveryOptions,
): Promise<CallbackOutcome> {
	const target = redactCallbackUrl(cb.url);
	let url: URL;
	try {
		url = new URL(cb.url);
	} catch {
		return {
			outcome: "refused",
			target,
			address: null,
			httpStatus: null,
			attempts: 0,
			error: "the stored callback URL is not a URL",
		};
	}
	const checked = await resolveCallbackTarget(url, opts);
	if (!checked.ok)
		return {
			outcome: "refused",
			target,
			address: null,
			httpStatus: null,
			attempts: 0,
			error: clip(checked.reason),
		};
	const headers: Record<string, string> = {
		"content-type": cb.contentType ?? "application/octet-stream",
		"x-call-id": cb.callId,
		"x-function-name": cb.functionName,
		"x-function-status": String(cb.status),
		"x-duration-seconds": cb.durationSeconds.toFixed(6),
	};
	if (cb.key) headers[SIGNATURE_HEADER] = callbackSignature(cb.body, cb.key);
	let last: CallbackOutcome | undefined;
	for (let attempt = 1; attempt <= opts.attempts; attempt++) {
		try {
			const answer = await post(
				url,
				checked.addresses,
				headers,
				cb.body,
				opts.timeoutMs,
			);
			const ok = answer.status >= 200 && answer.status < 300;
			last = {
				outcome: ok ? "delivered" : "failed",
				target,
				address: answer.address ?? checked.addresses[0]?.address ?? null,
				httpStatus: answer.status,
				attempts: attempt,
				error: ok
					? null
					: answer.status >= 300 && answer.status < 400
						? `callback answered ${answer.status} (redirects are not followed)`
						: `callback answered ${answer.status}`,
			};
			if (ok || !RETRY_STATUSES.has(answer.status)) return last;
		} catch (err) {
			last = {
				outcome: "failed",
				target,
				address: checked.addresses[0]?.address ?? null,
				httpStatus: null,
				attempts: attempt,
				error: clip(`callback failed: ${(err as Error).message}`),
			};
		}
		if (attempt < opts.attempts)
			await new Promise((r) =>
				setTimeout(r, opts.retryDelayMs * 2 ** (attempt - 1)).unref(),
			);
	}
	return (
		last ?? {
			outcome: "failed",
			target,
			address: null,
			httpStatus: null,
			attempts: 0,
			error: "no delivery attempt was allowed (callbackAttempts is 0)",
		}
	);
}

/** {@link sendCallback}, answering only the failure's text (undefined when delivered). */
export async function deliverCallback(
	cb: Callback,
	opts: DeliveryOptions,
): Promise<string | undefined> {
	const outcome = await sendCallback(cb, opts);
	return outcome.outcome === "delivered"
		? undefined
		: (outcome.error ?? outcome.outcome);
}

/**
 * The client of the gateway's control-plane API (docs/control-plane.md). Every request but
 * `info` is signed with SigV4, service `sigil`, the gateway's region. Error answers
 * (`{"error": {code, message, requestId}}`) become a `CliError` carrying the server's code and
 * a fix taken from the error registry.
 */
import { ERRORS } from "../errors.ts";
import type { Bundle } from "../functions/bundle.ts";
import { CliError } from "./cli-error.ts";
import { type IncomingResponse, responseHeader, send } from "./http-send.ts";
import type { Credentials } from "./settings.ts";
import { signSigV4Headers } from "./signing.ts";

export const API_PREFIX = "/sigil/v1";

export interface ControlPlaneOptions {
	/** Base URL, e.g. `http://127.0.0.1:8080`. */
	readonly gateway: string;
	readonly region: string;
	readonly credentials: Credentials | undefined;
	/** Clock for the signature date (tests pass a fixed one). */
	readonly now?: () => Date;
}

/** Control-plane API calls, one method per route. */
export class ControlPlaneClient {
	readonly gateway: string;
	readonly region: string;
	readonly #credentials: Credentials | undefined;
	readonly #now: () => Date;

	constructor(options: ControlPlaneOptions) {
		this.gateway = options.gateway.replace(/\/+$/, "");
		this.region = options.region;
		this.#credentials = options.credentials;
		this.#now = options.now ?? (() => new Date());
	}

	/**
	 * Sends one signed API request and returns the parsed JSON answer (undefined for 204).
	 * @example await client.request("GET", "/functions")
	 */
	async request<T = unknown>(
		method: string,
		path: string,
		body?: unknown,
		options: {
			signed?: boolean;
			onProgress?: (sent: number, total: number) => void;
		} = {},
	): Promise<T> {
		const url = new URL(this.gateway);
		const target = `${url.pathname.replace(/\/+$/, "")}${API_PREFIX}${path}`;
		const bytes =
			body === undefined ? new Uint8Array() : Buffer.from(JSON.stringify(body));
		let headers: Record<string, string> = {
			host: url.host,
			accept: "application/json",
			"user-agent": "sigil-cli/0.1.0",
		};
		if (body !== undefined) headers["content-type"] = "application/json";
		if (options.signed !== false) {
			const credentials = this.#credentials;
			if (!credentials)
				throw new CliError(
					"CREDENTIALS_MISSING",
					"no access key to sign the request with",
					"run `sigil up` once (it writes the profile) or `sigil configure`, or set SIGIL_ACCESS_KEY_ID and SIGIL_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or pass --profile NAME",
				);
			headers = signSigV4Headers(
				{ method, host: url.host, target, headers, body: bytes },
				credentials,
				this.region,
				"sigil",
				this.#now(),
			);
		}
		let res: IncomingResponse;
		try {
			res = await send({
				method,
				origin: url.origin,
				target,
				headers,
				body: bytes,
				...(options.onProgress && { onProgress: options.onProgress }),
			});
		} catch (error) {
			throw new CliError(
				"GATEWAY_UNREACHABLE",
				`cannot reach the gateway at ${this.gateway}: ${(error as Error).message}`,
				"start it with `sigil up`, or point the CLI at it with --gateway URL or SIGIL_URL",
			);
		}
		return decodeAnswer<T>(res, method, target);
	}

	/**
	 * One call of the IAM or STS query API (`POST /`, form-encoded, signed for `service`), as the
	 * AWS CLI makes it; returns the XML answer. An `<ErrorResponse>` becomes a CliError with its code.
	 */
	async queryAction(
		service: "iam" | "sts",
		action: string,
		params: Record<string, string> = {},
	): Promise<string> {
		const url = new URL(this.gateway);
		const target = `${url.pathname.replace(/\/+$/, "")}/`;
		const body = Buffer.from(
			new URLSearchParams({
				Action: action,
				Version: QUERY_VERSIONS[service],
				...params,
			}).toString(),
		);
		const credentials = this.#credentials;
		if (!credentials)
			throw new CliError(
				"CREDENTIALS_MISSING",
				"no access key to sign the request with",
				"run `sigil up` once (it writes the profile) or `sigil configure`, or pass --profile NAME",
			);
		const headers = signSigV4Headers(
			{
				method: "POST",
				host: url.host,
				target,
				headers: {
					host: url.host,
					"content-type": "application/x-www-form-urlencoded; charset=utf-8",
					"user-agent": "sigil-cli/0.1.0",
				},
				body,
			},
			credentials,
			this.region,
			service,
			this.#now(),
		);
		let res: IncomingResponse;
		try {
			res = await send({
				method: "POST",
				origin: url.origin,
				target,
				headers,
				body,
			});
		} catch (error) {
			throw new CliError(
				"GATEWAY_UNREACHABLE",
				`cannot reach the gateway at ${this.gateway}: ${(error as Error).message}`,
				"start it with `sigil up`, or point the CLI at it with --gateway URL or SIGIL_URL",
			);
		}
		const text = res.body.toString("utf8");
		if (res.status >= 200 && res.status < 300) return text;
		const code = xmlValues(text, "Code")[0] ?? `HTTP_${res.status}`;
		const message =
			xmlValues(text, "Message")[0] ?? `${action} answered ${res.status}`;
		const requestId = xmlValues(text, "RequestId")[0];
		throw new CliError(
			code,
			message,
			fixFor(code),
			requestId ? { requestId } : {},
		);
	}

	info(): Promise<{ name: string; version: string; region: string }> {
		return this.request("GET", "/info", undefined, { signed: false });
	}
	whoami(): Promise<{
		Account: string;
		Arn: string;
		UserId: string;
		AccessKeyId: string;
	}> {
		return this.request("GET", "/whoami");
	}
	listFunctions(): Promise<{ functions: Record<string, unknown>[] }> {
		return this.request("GET", "/functions");
	}
	/** Deploys; without `code` the gateway keeps the live code and applies the config only. */
	putFunction(
		name: string,
		config: unknown,
		code: Bundle | undefined,
		onProgress?: (sent: number, total: number) => void,
	): Promise<{ function: Record<string, unknown> }> {
		return this.request(
			"PUT",
			`/functions/${encodeURIComponent(name)}`,
			{ config, ...(code !== undefined && { code }) },
			onProgress ? { onProgress } : {},
		);
	}
	getFunction(name: string): Promise<{ function: Record<string, unknown> }> {
		return this.request("GET", `/functions/${encodeURIComponent(name)}`);
	}
	deleteFunction(name: string): Promise<void> {
		return this.request("DELETE", `/functions/${encodeURIComponent(name)}`);
	}
	listKeys(): Promise<{ AccessKeyMetadata: Record<string, unknown>[] }> {
		return this.request("GET", "/keys");
	}
	createKey(): Promise<{
		AccessKey: {
			AccessKeyId: string;
			SecretAccessKey: string;
			Status: string;
			CreateDate: string | number;
		};
	}> {
		return this.request("POST", "/keys", {});
	}
	setKeyStatus(
		id: string,
		action: "disable" | "enable",
	): Promise<{ AccessKeyId: string; Status: string }> {
		return this.request("POST", `/keys/${encodeURIComponent(id)}/${action}`);
	}
	deleteKey(id: string): Promise<void> {
		return this.request("DELETE", `/keys/${encodeURIComponent(id)}`);
	}
	listSecrets(): Promise<{
		secrets: { name: string; createdAt: number; updatedAt: number }[];
	}> {
		return this.request("GET", "/secrets");
	}
	/** Stores a secret's exact bytes (sent base64, so any byte survives JSON). */
	putSecret(
		name: string,
		value: Uint8Array,
	): Promise<{ name: string; createdAt: number; updatedAt: number }> {
		return this.request("PUT", `/secrets/${encodeURIComponent(name)}`, {
			value: Buffer.from(value).toString("base64"),
		});
	}
	/** A secret's exact bytes, shown again to its owner (audited by the gateway). */
	async getSecret(name: string): Promise<Buffer> {
		const answer: { value: string } = await this.request(
			"GET",
			`/secrets/${encodeURIComponent(name)}`,
		);
		return Buffer.from(answer.value, "base64");
	}
	deleteSecret(name: string): Promise<void> {
		return this.request("DELETE", `/secrets/${encodeURIComponent(name)}`);
	}
	logs(query: {
		function?: string;
		after?: string;
		limit?: number;
		/** ISO 8601 time: only records at or after it. */
		since?: string;
		requestId?: string;
		/** One access key's records. */
		key?: string;
		/** `ok`, `failed` or an outcome code. */
		outcome?: string;
	}): Promise<{
		records: Record<string, unknown>[];
		next?: string | number | null;
	}> {
		const params = new URLSearchParams();
		if (query.function) params.set("function", query.function);
		if (query.after !== undefined) params.set("after", query.after);
		if (query.limit !== undefined) params.set("limit", String(query.limit));
		if (query.since !== undefined) params.set("since", query.since);
		if (query.requestId !== undefined) params.set("requestId", query.requestId);
		if (query.key !== undefined) params.set("key", query.key);
		if (query.outcome !== undefined) params.set("outcome", query.outcome);
		const qs = params.toString();
		return this.request("GET", `/logs${qs ? `?${qs}` : ""}`);
	}
}

/** The API versions the query protocol's callers name (the AWS CLI sends the same). */
const QUERY_VERSIONS = { iam: "2010-05-08", sts: "2011-06-15" } as const;

/**
 * The text of every `<tag>` element of a query-API answer, entities decoded. Enough for the
 * flat members the CLI reads (names, ARNs); not a general XML parser.
 */
export function xmlValues(xml: string, tag: string): string[] {
	const out: string[] = [];
	for (const m of xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g")))
		out.push(
			(m[1] as string)
				.replaceAll("&lt;", "<")
				.replaceAll("&gt;", ">")
				.replaceAll("&quot;", '"')
				.replaceAll("&apos;", "'")
				.replaceAll("&amp;", "&"),
		);
	return out;
}

/** Turns an API answer into its JSON, or into a CliError with the server's code. */
export function decodeAnswer<T>(
	res: IncomingResponse,
	method: string,
	target: string,
): T {
	const text = res.body.toString("utf8");
	let json: unknown;
	if (text.length > 0) {
		try {
			json = JSON.parse(text);
		} catch {
			json = undefined;
		}
	}
	if (res.status >= 200 && res.status < 300) {
		if (res.status !== 204 && text.length > 0 && json === undefined)
			throw new CliError(
				"BAD_ANSWER",
				`${method} ${target} answered ${res.status} with a body that is not JSON`,
				"check that --gateway points at a Sigil gateway",
			);
		return json as T;
	}
	const requestId = responseHeader(res, "x-sigil-request-id");
	const error = (
		json as
			| { error?: { code?: unknown; message?: unknown; requestId?: unknown } }
			| undefined
	)?.error;
	// AWS-dialect answers (e.g. a signature rejected before the API route) carry `message`/`Message`.
	const aws = json as { message?: unknown; Message?: unknown } | undefined;
	const code =
		typeof error?.code === "string"
			? error.code
			: (responseHeader(res, "x-amzn-errortype")?.split(":")[0] ??
				`HTTP_${res.status}`);
	const message =
		typeof error?.message === "string"
			? error.message
			: typeof aws?.message === "string"
				? aws.message
				: typeof aws?.Message === "string"
					? aws.Message
					: `${method} ${target} answered ${res.status} ${res.statusText}`.trim();
	const id = typeof error?.requestId === "string" ? error.requestId : requestId;
	throw new CliError(code, message, fixFor(code), id ? { requestId: id } : {});
}

/** How to fix a server error: the registry's sentence when it knows the code. */
export function fixFor(code: string): string {
	// A policy denial (any dialect): the signature was fine, a permission is missing — say so, and
	// how to see who the caller is and why, rather than anything about signatures.
	if (
		code === "ACCESS_DENIED" ||
		code === "AccessDeniedException" ||
		code === "AccessDenied"
	)
		return `${(ERRORS as Record<string, { doc: string }>).ACCESS_DENIED?.doc ?? "Not allowed."} \`sigil whoami\` shows who you are; \`sigil policy simulate\` explains the decision.`;
	const known = (ERRORS as Record<string, { doc: string }>)[code];
	if (known) return known.doc;
	if (
		code === "SIGNATURE_MISMATCH" ||
		code === "InvalidSignatureException" ||
		code === "SignatureDoesNotMatch"
	)
		return "the secret key does not match the access key id: check the profile (or SIGIL_SECRET_ACCESS_KEY) and the region (--region)";
	if (code.startsWith("HTTP_"))
		return "check that --gateway points at a Sigil gateway and see its log";
	return `see docs/errors.md for ${code}`;
}

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { splitTarget } from "../shared/percent-encoding.ts";
import { acs3CanonicalHeaders } from "./canonical-headers.ts";
import { acs3CanonicalQuery, wireQueryMap } from "./canonical-query.ts";
import {
	acs3CanonicalRequest,
	acs3Signature,
	acs3StringToSign,
} from "./canonical-request.ts";
import { acs3CanonicalUri } from "./canonical-uri.ts";
import {
	ACS3_ALGORITHM,
	ACS3_CONTENT_SHA256,
	ACS3_DATE,
	ACS3_SECURITY_TOKEN,
} from "./constants.ts";
import { formatAcsDate } from "./date.ts";
import type { Acs3Mode } from "./mode.ts";

/** What {@link signAcs3} needs: the request as it will be sent, the credentials and the time. */
export interface SignAcs3Input {
	readonly method: string;
	/** Path plus optional `?query`, exactly as it will go on the wire. */
	readonly target: string;
	/** Headers to send. Every `x-acs-*`, `host` and `content-type` among them is signed, as the SDK does. */
	readonly headers?: Readonly<Record<string, string>>;
	readonly body?: Uint8Array | string;
	readonly accessKeyId: string;
	readonly accessKeySecret: string;
	/** STS token; sent and signed as x-acs-security-token. */
	readonly securityToken?: string;
	/** Signing time, epoch milliseconds. */
	readonly now: number;
	/** Sign the body through x-acs-content-sha256 (default true; FC's sample leaves it unsigned). */
	readonly signBody?: boolean;
	/** Canonicalisation the receiving verifier uses; default `compatible` (same as Alibaba's SDK). */
	readonly mode?: Acs3Mode;
}

/** The headers to send (input headers plus x-acs-date, token, body hash and authorization). */
export interface SignedAcs3 {
	readonly headers: Record<string, string>;
	readonly authorization: string;
	readonly canonicalRequest: string;
	readonly stringToSign: string;
}

const SIGNED_BY_SDK = (name: string) =>
	name.startsWith("x-acs-") || name === "host" || name === "content-type";

/**
 * Sign a request with ACS3-HMAC-SHA256. The canonical request is derived from `target` with the
 * same rules the verifier applies, so what this signs, {@link parseAcs3} accepts; in
 * `compatible` mode the Authorization equals `@alicloud/openapi-util`'s `getAuthorization`.
 * @example
 * const { headers } = signAcs3({ method: "POST", target: "/hello?foo=bar", body: "hi",
 *   headers: { host: "fn.example.test" }, accessKeyId, accessKeySecret, now: Date.now() });
 */
export function signAcs3(input: SignAcs3Input): SignedAcs3 {
	const mode = input.mode ?? "compatible";
	const headers: Record<string, string> = {};
	for (const [k, v] of Object.entries(input.headers ?? {})) {
		const lower = k.toLowerCase();
		if (lower !== "authorization" && lower !== ACS3_DATE) headers[k] = v;
	}
	headers[ACS3_DATE] = formatAcsDate(input.now);
	if (input.securityToken !== undefined)
		headers[ACS3_SECURITY_TOKEN] = input.securityToken;
	let payload = "";
	if (input.signBody ?? true) {
		const body =
			typeof input.body === "string"
				? Buffer.from(input.body, "utf8")
				: (input.body ?? new Uint8Array());
		payload = createHash("sha256").update(body).digest("hex");
		headers[ACS3_CONTENT_SHA256] = payload;
	}
	const rawHeaders = Object.entries(headers).flat();
	const names = [
		...new Set(Object.keys(headers).map((k) => k.toLowerCase())),
	].filter(SIGNED_BY_SDK);
	const { path, query } = splitTarget(input.target);
	const canonicalHeaders = acs3CanonicalHeaders(rawHeaders, names);
	const canonicalRequest = acs3CanonicalRequest({
		method: input.method,
		uri: acs3CanonicalUri(path, mode),
		query: acs3CanonicalQuery(wireQueryMap(query), mode),
		headers: canonicalHeaders,
		payload,
	});
	const stringToSign = acs3StringToSign(canonicalRequest);
	const signature = Buffer.from(
		acs3Signature(input.accessKeySecret, stringToSign),
	).toString("hex");
	const authorization = `${ACS3_ALGORITHM} Credential=${input.accessKeyId},SignedHeaders=${canonicalHeaders.map(([n]) => n).join(";")},Signature=${signature}`;
	headers.authorization = authorization;
	return { headers, authorization, canonicalRequest, stringToSign };
}

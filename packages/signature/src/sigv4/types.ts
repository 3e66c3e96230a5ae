import type { WireRequest } from "../request.ts";

/** What a SigV4 trigger accepts; validated by the caller once, passed on every request. */
export interface SigV4VerifyOptions {
	/** The region every credential scope must name, e.g. `us-east-1`. */
	readonly region: string;
	/** Accepted service names in the scope, e.g. `["lambda"]` or `["execute-api"]`. */
	readonly services: readonly string[];
	/** The server clock, milliseconds since the epoch. */
	readonly now: number;
	/** Allowed distance between the request date and `now` (default 5 minutes). */
	readonly maxSkewMs?: number;
	/** Accept `x-amz-content-sha256: UNSIGNED-PAYLOAD` (default false: the body must be signed). */
	readonly allowUnsignedPayload?: boolean;
	/**
	 * Remove dot segments and empty segments before signing (default true, as every non-S3 AWS
	 * client does). Only the conformance suite's `*-unnormalized` cases turn it off.
	 */
	readonly normalizePath?: boolean;
}

/** The credential scope of a request: `date/region/service/aws4_request`. */
export interface SigV4Scope {
	/** `YYYYMMDD`. */
	readonly date: string;
	readonly region: string;
	readonly service: string;
}

/** Everything about a SigV4 request that can be known without the secret. */
export interface ParsedSigV4 {
	/** `header`: `Authorization: AWS4-HMAC-SHA256 …`; `query`: presigned URL. */
	readonly form: "header" | "query";
	readonly accessKeyId: string;
	/** `X-Amz-Security-Token` (header or query) when the caller uses temporary credentials. */
	readonly securityToken?: string;
	readonly scope: SigV4Scope;
	/** `date/region/service/aws4_request`, as it enters the string to sign. */
	readonly credentialScope: string;
	/** The request time in ISO 8601 basic format, as it enters the string to sign. */
	readonly amzDate: string;
	/** The request time, milliseconds since the epoch. */
	readonly requestTime: number;
	/** Request time minus the server clock at parse time, in milliseconds. */
	readonly clockOffsetMs: number;
	/**
	 * End of a presigned URL's validity (ms since the epoch): X-Amz-Date + X-Amz-Expires, or
	 * + the allowed skew when the URL has no X-Amz-Expires. Absent for the header form.
	 */
	readonly expiresAt?: number;
	/** Signed header names, lower-case and sorted. */
	readonly signedHeaders: readonly string[];
	/** The decoded, normalised path that the signature covers: route on this (or on `pathSegments`). */
	readonly canonicalPath: string;
	/** `canonicalPath` split into decoded segments (an encoded `/` stays inside its segment). */
	readonly pathSegments: readonly string[];
	/** The payload hash that enters the canonical request. */
	readonly payloadHash: string;
	/** The canonical request's parts, ready for verify. */
	readonly canonical: {
		readonly method: string;
		readonly uri: string;
		readonly query: string;
		readonly headers: string;
		readonly signedHeaders: string;
		/** See `CanonicalHeaders.width`. */
		readonly headerWidth: 0 | 1 | 2;
	};
	/** The received signature as 32 bytes; absent when it was not 64 lower-case hex digits. */
	readonly signature?: Buffer;
	/** The request as received, kept for the mismatch diagnosis. */
	readonly wire: WireRequest;
	readonly normalizePath: boolean;
}

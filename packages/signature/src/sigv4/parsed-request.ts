import type { WireRequest } from "../request.ts";
import { decodedPath } from "./canonical-path.ts";
import type { ParsedSigV4, SigV4Scope } from "./types.ts";

/** Every field of `ParsedSigV4` except the decoded path, which `ParsedRequest` derives on demand. */
export type ParsedFields = Omit<ParsedSigV4, "canonicalPath" | "pathSegments">;

/**
 * `ParsedSigV4` as `parseSigV4` returns it. The decoded path (`canonicalPath`, `pathSegments`)
 * is computed on first read and kept: the gateway routes before it verifies and never reads it,
 * so decoding on every parse was wasted work. The two are prototype getters (a class's getters
 * cost nothing until read; getters on an object literal slowed every parse down), so they are
 * not own enumerable properties: spreading or serialising the result leaves them out.
 */
export class ParsedRequest implements ParsedSigV4 {
	readonly form: "header" | "query";
	readonly accessKeyId: string;
	readonly securityToken?: string;
	readonly scope: SigV4Scope;
	readonly credentialScope: string;
	readonly amzDate: string;
	readonly requestTime: number;
	readonly clockOffsetMs: number;
	readonly expiresAt?: number;
	readonly signedHeaders: readonly string[];
	readonly payloadHash: string;
	readonly canonical: ParsedSigV4["canonical"];
	readonly signature?: Buffer;
	readonly wire: WireRequest;
	readonly normalizePath: boolean;
	readonly #rawPath: string;
	#path: { path: string; segments: string[] } | undefined;

	/** @param rawPath the request target's path as sent, still percent-encoded. */
	constructor(f: ParsedFields, rawPath: string) {
		this.form = f.form;
		this.accessKeyId = f.accessKeyId;
		this.securityToken = f.securityToken;
		this.scope = f.scope;
		this.credentialScope = f.credentialScope;
		this.amzDate = f.amzDate;
		this.requestTime = f.requestTime;
		this.clockOffsetMs = f.clockOffsetMs;
		this.expiresAt = f.expiresAt;
		this.signedHeaders = f.signedHeaders;
		this.payloadHash = f.payloadHash;
		this.canonical = f.canonical;
		this.signature = f.signature;
		this.wire = f.wire;
		this.normalizePath = f.normalizePath;
		this.#rawPath = rawPath;
	}

	#decoded(): { path: string; segments: string[] } {
		this.#path ??= decodedPath(this.#rawPath, this.normalizePath);
		return this.#path;
	}

	/** The decoded, normalised path that the signature covers: route on this (or on `pathSegments`). */
	get canonicalPath(): string {
		return this.#decoded().path;
	}

	/** `canonicalPath` split into decoded segments (an encoded `/` stays inside its segment). */
	get pathSegments(): readonly string[] {
		return this.#decoded().segments;
	}
}

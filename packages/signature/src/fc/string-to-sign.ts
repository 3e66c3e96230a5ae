import { createHmac } from "node:crypto";
import { headerValues } from "../request.ts";
import {
	parseFormEncoded,
	percentDecode,
	splitTarget,
} from "../shared/percent-encoding.ts";

/** The `x-fc-` prefix of headers that FC's legacy scheme signs. */
export const FC_HEADER_PREFIX = "x-fc-";

/**
 * CanonicalizedFCHeaders: every header whose lower-cased name starts with `x-fc-`, sorted by
 * name, one `name:value\n` each. Clients sign a header map (one value per name); a name sent
 * twice is read the way Node's `req.headers` reads it, values joined with `", "`.
 */
export function fcCanonicalHeaders(rawHeaders: readonly string[]): string {
	const names = new Set<string>();
	for (let i = 0; i < rawHeaders.length; i += 2) {
		const name = (rawHeaders[i] as string).toLowerCase().trim();
		if (name.startsWith(FC_HEADER_PREFIX)) names.add(name);
	}
	return [...names]
		.sort()
		.map((n) => `${n}:${headerValues(rawHeaders, n).join(", ")}\n`)
		.join("");
}

/**
 * CanonicalizedResource of a signature-authenticated HTTP trigger: the percent-decoded path,
 * `\n`, then every query parameter as decoded `key=value` (repeats kept), sorted, joined with
 * `\n` — just `path\n` when there is no query (FC "signature authentication", HTTP trigger case).
 */
export function fcCanonicalResource(target: string): string {
	const { path, query } = splitTarget(target);
	const params = parseFormEncoded(query).map(([k, v]) => `${k}=${v}`);
	params.sort();
	return `${percentDecode(path)}\n${params.join("\n")}`;
}

/** The signed fields of one request. */
export interface FcStringToSignParts {
	readonly method: string;
	readonly contentMd5: string;
	readonly contentType: string;
	readonly date: string;
	readonly rawHeaders: readonly string[];
	readonly target: string;
}

/** METHOD\nContent-MD5\nContent-Type\nDate\n + CanonicalizedFCHeaders + CanonicalizedResource. */
export function fcStringToSign(p: FcStringToSignParts): string {
	return `${p.method}\n${p.contentMd5}\n${p.contentType}\n${p.date}\n${fcCanonicalHeaders(p.rawHeaders)}${fcCanonicalResource(p.target)}`;
}

/** HMAC-SHA256 under the AccessKey secret (base64 on the wire). */
export function fcSignature(
	accessKeySecret: string,
	stringToSign: string,
): Uint8Array {
	return createHmac("sha256", accessKeySecret)
		.update(stringToSign, "utf8")
		.digest();
}

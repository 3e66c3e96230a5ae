import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { fcSignature, fcStringToSign } from "./string-to-sign.ts";

/** Input of {@link signFcSignature}. */
export interface SignFcInput {
	readonly method: string;
	/** Path plus optional `?query`, as sent. */
	readonly target: string;
	readonly headers?: Readonly<Record<string, string>>;
	readonly body?: Uint8Array | string;
	readonly accessKeyId: string;
	readonly accessKeySecret: string;
	/** Sent and signed as x-fc-security-token. */
	readonly securityToken?: string;
	/** Epoch milliseconds, written as the `Date` header. */
	readonly now: number;
	/** Add Content-MD5 so the body is covered too (default true). */
	readonly contentMd5?: boolean;
}

/**
 * Sign with FC's legacy `Authorization: FC id:signature` scheme.
 * @example signFcSignature({ method: "GET", target: "/2016-08-15/proxy/s/f/", accessKeyId, accessKeySecret, now: Date.now() })
 */
export function signFcSignature(input: SignFcInput): {
	headers: Record<string, string>;
	stringToSign: string;
} {
	const headers: Record<string, string> = {};
	for (const [k, v] of Object.entries(input.headers ?? {})) {
		if (!["authorization", "date", "content-md5"].includes(k.toLowerCase()))
			headers[k] = v;
	}
	headers.date = new Date(input.now).toUTCString();
	if (input.securityToken !== undefined)
		headers["x-fc-security-token"] = input.securityToken;
	if (input.contentMd5 ?? true) {
		const body =
			typeof input.body === "string"
				? Buffer.from(input.body, "utf8")
				: (input.body ?? new Uint8Array());
		headers["content-md5"] = createHash("md5").update(body).digest("base64");
	}
	const contentType =
		Object.entries(headers).find(
			([k]) => k.toLowerCase() === "content-type",
		)?.[1] ?? "";
	const stringToSign = fcStringToSign({
		method: input.method,
		contentMd5: headers["content-md5"] ?? "",
		contentType,
		date: headers.date,
		rawHeaders: Object.entries(headers).flat(),
		target: input.target,
	});
	const signature = Buffer.from(
		fcSignature(input.accessKeySecret, stringToSign),
	).toString("base64");
	headers.authorization = `FC ${input.accessKeyId}:${signature}`;
	return { headers, stringToSign };
}

/**
 * Maps what a function returned to the HTTP response a function URL caller sees.
 * Reference: AWS Lambda developer guide, "Invoking Lambda function URLs" → "Response payload
 * format". Pure.
 */
import type { HttpResult } from "./types.ts";

export type FunctionUrlResponseMapping =
	| { readonly ok: true; readonly result: HttpResult }
	| {
			readonly ok: false;
			readonly code: "INVALID_FUNCTION_RESPONSE";
			readonly detail: string;
	  };

function isRecord(v: unknown): v is Record<string, unknown> {
	return typeof v === "object" && v !== null && !Array.isArray(v);
}

function invalid(detail: string): FunctionUrlResponseMapping {
	return { ok: false, code: "INVALID_FUNCTION_RESPONSE", detail };
}

function headerValue(v: unknown): string | undefined {
	if (typeof v === "string") return v;
	if (typeof v === "number" || typeof v === "boolean") return String(v);
	if (Array.isArray(v)) return v.map((x) => String(x)).join(",");
	return undefined;
}

/**
 * Maps the function's result, given as the JSON text the runtime serialized it to.
 *
 * 1. An object with `statusCode` is a response description: statusCode, headers, body
 *    (base64-decoded when `isBase64Encoded`), cookies (each becomes a `set-cookie` header).
 * 2. Anything else — a string, a number, an object without `statusCode`, null — is "valid JSON
 *    without statusCode": Lambda answers 200, `content-type: application/json`, and the JSON of
 *    the value as body. So a returned string arrives quoted (`"Hello, world!"`), as AWS documents.
 */
export function mapFunctionUrlResponse(
	resultJson: string,
): FunctionUrlResponseMapping {
	let value: unknown;
	try {
		value = JSON.parse(resultJson);
	} catch {
		return invalid("the function's result is not valid JSON");
	}
	if (!isRecord(value) || !("statusCode" in value)) {
		return {
			ok: true,
			result: {
				status: 200,
				headers: ["content-type", "application/json"],
				body: Buffer.from(resultJson, "utf8"),
			},
		};
	}
	const status = value.statusCode;
	if (
		typeof status !== "number" ||
		!Number.isInteger(status) ||
		status < 100 ||
		status > 599
	) {
		return invalid(
			`statusCode must be an integer from 100 to 599, got ${JSON.stringify(status)}`,
		);
	}
	const headers: string[] = [];
	let hasContentType = false;
	if (value.headers !== undefined && value.headers !== null) {
		if (!isRecord(value.headers))
			return invalid("headers must be an object of name → value");
		for (const [name, raw] of Object.entries(value.headers)) {
			const v = headerValue(raw);
			if (v === undefined)
				return invalid(`header ${JSON.stringify(name)} has a non-scalar value`);
			const lower = name.toLowerCase();
			if (lower === "content-type") hasContentType = true;
			headers.push(lower, v);
		}
	}
	if (value.cookies !== undefined && value.cookies !== null) {
		if (
			!Array.isArray(value.cookies) ||
			!value.cookies.every((c) => typeof c === "string")
		) {
			return invalid("cookies must be an array of strings");
		}
		for (const c of value.cookies) headers.push("set-cookie", c);
	}
	let body: Buffer;
	const rawBody = value.body;
	if (rawBody === undefined || rawBody === null) body = Buffer.alloc(0);
	else if (typeof rawBody === "string") {
		body =
			value.isBase64Encoded === true
				? Buffer.from(rawBody, "base64")
				: Buffer.from(rawBody, "utf8");
	} else {
		// Lambda expects a string; a structured body is sent as its JSON rather than refused.
		body = Buffer.from(JSON.stringify(rawBody), "utf8");
	}
	// A response without content-type is JSON by default, as for the inferred format.
	if (!hasContentType && body.length > 0)
		headers.push("content-type", "application/json");
	return { ok: true, result: { status, headers, body } };
}

/**
 * Writing answers. Errors speak the caller's dialect (DESIGN.md "Errors speak the caller's
 * dialect"): AWS JSON with `x-amzn-ErrorType` for SigV4 callers, Function Compute JSON with
 * `x-fc-request-id` for ACS3 callers, Sigil's `{"error": {code, message, requestId}}` otherwise.
 * Every answer carries the request id.
 */
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ERRORS, type ErrorCode } from "../errors.ts";
import type { Exchange } from "./exchange.ts";

export interface WireError {
	/** Sigil's stable code (docs/errors.md). */
	readonly code: string;
	readonly status: number;
	readonly message: string;
	/** The dialect's own name when it differs from the registry's (signature failures carry theirs). */
	readonly wireCode?: string;
}

export function fromCode(code: ErrorCode, message: string): WireError {
	return { code, status: ERRORS[code].status, message };
}

function idHeaders(ex: Exchange): Record<string, string> {
	const h: Record<string, string> = { "x-sigil-request-id": ex.id };
	if (ex.dialect === "aws" || ex.dialect === "aws-lambda")
		h["x-amzn-RequestId"] = ex.id;
	if (ex.dialect === "fc") h["x-fc-request-id"] = ex.id;
	return h;
}

export function sendJson(
	ex: Exchange,
	status: number,
	value: unknown,
	extra: Record<string, string> = {},
): void {
	send(ex, status, Buffer.from(JSON.stringify(value)), {
		"content-type": "application/json",
		...extra,
	});
}

export function send(
	ex: Exchange,
	status: number,
	body: Buffer,
	headers: Record<string, string | string[]> = {},
): void {
	const { res } = ex;
	if (res.headersSent || res.destroyed) return;
	res.statusCode = status;
	for (const [k, v] of Object.entries({ ...idHeaders(ex), ...headers }))
		res.setHeader(k, v);
	res.setHeader("content-length", body.length);
	res.end(ex.method === "HEAD" ? undefined : body);
}

/**
 * Forwards a streamed body (chunked). If the stream fails midway — the function's size or time
 * limit, a broken upstream — the connection is cut, so the client cannot take a truncated body
 * for a whole one.
 */
export function sendStream(
	ex: Exchange,
	status: number,
	body: Readable,
	headers: Record<string, string | string[]> = {},
): void {
	const { res } = ex;
	if (res.headersSent || res.destroyed) {
		body.destroy();
		return;
	}
	res.statusCode = status;
	for (const [k, v] of Object.entries({ ...idHeaders(ex), ...headers }))
		res.setHeader(k, v);
	if (ex.method === "HEAD") {
		body.destroy();
		res.end();
		return;
	}
	pipeline(body, res).catch(() => res.destroy());
}

export function sendError(
	ex: Exchange,
	error: WireError,
	extraHeaders: Record<string, string> = {},
): void {
	const spec = (
		ERRORS as Record<string, (typeof ERRORS)[ErrorCode] | undefined>
	)[error.code];
	switch (ex.dialect) {
		case "aws":
		case "aws-lambda": {
			const type = error.wireCode ?? spec?.aws ?? "ServiceException";
			// API Gateway and Lambda's front door answer authentication failures as {"message"};
			// the Lambda service itself answers {"Type", "message"}.
			const body =
				ex.dialect === "aws-lambda" && error.status < 500 && !error.wireCode
					? { Type: "User", message: error.message }
					: { message: error.message };
			sendJson(ex, error.status, body, {
				"x-amzn-ErrorType": type,
				...extraHeaders,
			});
			return;
		}
		case "fc":
			sendJson(
				ex,
				error.status,
				{
					ErrorCode: error.wireCode ?? spec?.fc ?? "InternalServerError",
					ErrorMessage: error.message,
				},
				extraHeaders,
			);
			return;
		default:
			sendJson(
				ex,
				error.status,
				{
					error: { code: error.code, message: error.message, requestId: ex.id },
				},
				extraHeaders,
			);
	}
}

/**
 * A streaming handler's answer on a function URL (InvokeMode RESPONSE_STREAM): Lambda's HTTP
 * streaming integration contract. When the stream's content type is
 * `application/vnd.awslambda.http-integration-response` (what `HttpResponseStream.from` sets),
 * the stream begins with the prelude's JSON (`{statusCode, headers, cookies}`), then 8 null
 * bytes, then the body; otherwise the whole stream is the body of a 200 with that content type.
 *
 * The prelude is read with a bound: a stream that never sends the delimiter is refused once it
 * passes {@link MAX_PRELUDE_BYTES}, never buffered without end.
 */
import { validateHeaderName, validateHeaderValue } from "node:http";
import type { Readable } from "node:stream";
import { mapFunctionUrlResponse } from "./function-url-response.ts";
import {
	HTTP_INTEGRATION_CONTENT_TYPE,
	PRELUDE_DELIMITER_BYTES,
} from "./stream-response.ts";
import { type HttpResult, RuntimeError } from "./types.ts";

export const MAX_PRELUDE_BYTES = 64 * 1024;
const DELIMITER = Buffer.alloc(PRELUDE_DELIMITER_BYTES);

/** Reads up to the delimiter; resolves with the prelude's bytes and the body (paused, rest unshifted). */
function readPrelude(body: Readable, functionName: string): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		let seen = Buffer.alloc(0);
		const cleanup = () => {
			body.off("data", onData);
			body.off("end", onEnd);
			body.off("error", onError);
		};
		const refuse = (why: string) => {
			cleanup();
			body.destroy();
			reject(
				new RuntimeError(
					"FUNCTION_ERROR",
					`function ${functionName} returned an invalid response`,
					why,
				),
			);
		};
		const onData = (chunk: Buffer) => {
			seen = Buffer.concat([seen, chunk]);
			const at = seen.indexOf(DELIMITER);
			if (at === -1) {
				if (seen.length > MAX_PRELUDE_BYTES + PRELUDE_DELIMITER_BYTES)
					refuse(
						`the HttpResponseStream prelude is longer than ${MAX_PRELUDE_BYTES} bytes or lacks its 8-null-byte delimiter`,
					);
				return;
			}
			cleanup();
			body.pause();
			const rest = seen.subarray(at + PRELUDE_DELIMITER_BYTES);
			if (rest.length > 0) body.unshift(rest);
			resolve(seen.subarray(0, at));
		};
		const onEnd = () =>
			refuse("the stream ended before the prelude's 8-null-byte delimiter");
		const onError = (err: Error) => {
			cleanup();
			reject(err);
		};
		body.on("data", onData);
		body.once("end", onEnd);
		body.once("error", onError);
	});
}

/** The status and headers a prelude describes (Lambda's function URL response rules). */
function headOf(prelude: Buffer, functionName: string): HttpResult {
	let value: unknown;
	try {
		value = JSON.parse(prelude.toString("utf8"));
	} catch {
		value = undefined;
	}
	const invalid = (detail: string) =>
		new RuntimeError(
			"FUNCTION_ERROR",
			`function ${functionName} returned an invalid response`,
			detail,
		);
	if (typeof value !== "object" || value === null || Array.isArray(value))
		throw invalid("the HttpResponseStream prelude is not a JSON object");
	const p = value as Record<string, unknown>;
	const mapped = mapFunctionUrlResponse(
		JSON.stringify({
			statusCode: p.statusCode ?? 200,
			headers: p.headers,
			cookies: p.cookies,
		}),
	);
	if (!mapped.ok) throw invalid(mapped.detail);
	// The prelude is the function's: a name or value Node would refuse to send (CR/LF smuggling
	// a header) is the function's invalid response, not the gateway's failure.
	const h = mapped.result.headers;
	for (let i = 0; i + 1 < h.length; i += 2) {
		try {
			validateHeaderName(h[i] as string);
			validateHeaderValue(h[i] as string, h[i + 1] as string);
		} catch {
			throw invalid(
				`header ${JSON.stringify((h[i] as string).slice(0, 64))} has a name or value HTTP cannot carry`,
			);
		}
	}
	return mapped.result;
}

/**
 * The HTTP answer of a streamed invocation: status and headers now, `stream` the body as it
 * arrives (it errors when the invocation fails midway, so the caller cuts the connection).
 */
export async function functionUrlStreamResult(
	functionName: string,
	contentType: string,
	body: Readable,
): Promise<HttpResult> {
	if (contentType !== HTTP_INTEGRATION_CONTENT_TYPE)
		return {
			status: 200,
			headers: ["content-type", contentType],
			body: Buffer.alloc(0),
			stream: body,
		};
	const prelude = await readPrelude(body, functionName);
	let head: HttpResult;
	try {
		head = headOf(prelude, functionName);
	} catch (err) {
		body.destroy();
		throw err;
	}
	const headers = [...head.headers];
	if (!headers.some((h, i) => i % 2 === 0 && h === "content-type"))
		headers.push("content-type", "application/octet-stream");
	return { status: head.status, headers, body: Buffer.alloc(0), stream: body };
}

/**
 * Reads a request body into memory, refusing it as soon as it is known to be over the limit:
 * from Content-Length before a byte is read, or mid-stream for chunked bodies. Signatures cover
 * the body, so it must be whole before authentication; the limit keeps that safe.
 */
import { SigilError } from "../errors.ts";
import type { Exchange } from "./exchange.ts";

const EMPTY = Buffer.alloc(0);

export async function readBody(ex: Exchange, limit: number): Promise<Buffer> {
	const { req } = ex;
	const declared = req.headers["content-length"];
	if (declared !== undefined && Number(declared) > limit) {
		req.resume();
		throw tooLarge(limit);
	}
	// Most triggered requests (GET, HEAD) carry no body: skip the stream machinery entirely.
	if (
		(declared === undefined || declared === "0") &&
		req.headers["transfer-encoding"] === undefined
	)
		return EMPTY;
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size > limit) {
			req.resume();
			throw tooLarge(limit);
		}
		chunks.push(chunk);
	}
	return chunks.length === 1
		? (chunks[0] as Buffer)
		: Buffer.concat(chunks, size);
}

function tooLarge(limit: number): SigilError {
	return new SigilError(
		"BODY_TOO_LARGE",
		`the request body is larger than this endpoint accepts (${limit} bytes)`,
	);
}

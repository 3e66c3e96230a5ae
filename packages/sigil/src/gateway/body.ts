/**
 * Reads a request body into memory, refusing it as soon as it is known to be over the limit:
 * from Content-Length before a byte is read, or mid-stream for chunked bodies. Signatures cover
 * the body, so it must be whole before authentication; the limit keeps that safe.
 */
import { SigilError } from "../errors.ts";
import type { Exchange } from "./exchange.ts";

export async function readBody(ex: Exchange, limit: number): Promise<Buffer> {
	const { req } = ex;
	const declared = req.headers["content-length"];
	if (declared !== undefined && Number(declared) > limit) {
		req.resume();
		throw tooLarge(limit);
	}
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

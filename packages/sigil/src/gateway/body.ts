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
	// The client may have gone while the trigger was looked up: its 'close' is past, so no
	// listener below would ever hear of it.
	if (req.destroyed) throw aborted();
	// Events, not `for await`: the async iterator costs a promise and a microtask per chunk, and
	// this runs on every request that has a body.
	return new Promise<Buffer>((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		const done = () => {
			req.off("data", onData);
			req.off("end", onEnd);
			req.off("error", onError);
			req.off("close", onClose);
		};
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) {
				done();
				req.resume();
				reject(tooLarge(limit));
				return;
			}
			chunks.push(chunk);
		};
		const onEnd = () => {
			done();
			resolve(
				chunks.length === 1
					? (chunks[0] as Buffer)
					: Buffer.concat(chunks, size),
			);
		};
		const onError = (err: Error) => {
			done();
			reject(err);
		};
		// A client that goes away mid-body: 'close' without 'end' (and usually an 'error' first).
		const onClose = () => {
			done();
			reject(aborted());
		};
		req.on("data", onData);
		req.on("end", onEnd);
		req.on("error", onError);
		req.on("close", onClose);
	});
}

function aborted(): Error {
	return Object.assign(new Error("aborted"), { code: "ECONNRESET" });
}

function tooLarge(limit: number): SigilError {
	return new SigilError(
		"BODY_TOO_LARGE",
		`the request body is larger than this endpoint accepts (${limit} bytes)`,
	);
}

/**
 * One HTTP exchange over `node:http(s)`, with the request-target sent exactly as given. `fetch`
 * would normalise the path (dot segments, percent-encoding) after we signed it, and forbids a
 * body on GET; a signature is over bytes, so the CLI sends the bytes it signed.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface OutgoingRequest {
	readonly method: string;
	/** Origin only, e.g. `http://127.0.0.1:8080`. */
	readonly origin: string;
	/** Path and query exactly as they go on the wire, e.g. `/function/hello?a=1`. */
	readonly target: string;
	/** Header name → value, sent in this order with this case. */
	readonly headers: Readonly<Record<string, string>>;
	readonly body: Uint8Array;
	readonly timeoutMs?: number;
	/** Called as the body is handed to the socket (bytes so far, total), for progress lines. */
	readonly onProgress?: (sent: number, total: number) => void;
}

/** Body slices for progress: small enough to move the line, large enough to stay cheap. */
const CHUNK = 64 * 1024;

export interface IncomingResponse {
	readonly status: number;
	readonly statusText: string;
	/** Flat list as Node's rawHeaders: name, value, … */
	readonly rawHeaders: readonly string[];
	readonly body: Buffer;
}

/** The response header `name` (case-insensitive), first occurrence. */
export function responseHeader(
	res: IncomingResponse,
	name: string,
): string | undefined {
	const wanted = name.toLowerCase();
	for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
		if (res.rawHeaders[i]?.toLowerCase() === wanted)
			return res.rawHeaders[i + 1];
	return undefined;
}

/** Sends the request and buffers the answer. Rejects only on network failure or timeout. */
export function send(req: OutgoingRequest): Promise<IncomingResponse> {
	const url = new URL(req.origin);
	const request = url.protocol === "https:" ? httpsRequest : httpRequest;
	return new Promise((resolve, reject) => {
		const headers: Record<string, string> = { ...req.headers };
		if (
			req.body.length > 0 ||
			!["GET", "HEAD", "DELETE", "OPTIONS"].includes(req.method)
		)
			headers["content-length"] = String(req.body.length);
		const outgoing = request(
			{
				protocol: url.protocol,
				hostname: url.hostname,
				port: url.port,
				method: req.method,
				path: req.target,
				headers,
				timeout: req.timeoutMs ?? 120_000,
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on("data", (chunk: Buffer) => chunks.push(chunk));
				res.on("error", reject);
				res.on("end", () =>
					resolve({
						status: res.statusCode ?? 0,
						statusText: res.statusMessage ?? "",
						rawHeaders: res.rawHeaders,
						body: Buffer.concat(chunks),
					}),
				);
			},
		);
		outgoing.on("timeout", () =>
			outgoing.destroy(
				new Error(`no answer within ${(req.timeoutMs ?? 120_000) / 1000}s`),
			),
		);
		outgoing.on("error", reject);
		const onProgress = req.onProgress;
		if (!onProgress || req.body.length <= CHUNK) {
			outgoing.end(req.body, () =>
				onProgress?.(req.body.length, req.body.length),
			);
			return;
		}
		// Written slice by slice, waiting for the socket to drain, so progress is what was sent.
		const total = req.body.length;
		let offset = 0;
		let sent = 0;
		const pump = () => {
			while (offset < total) {
				const chunk = req.body.subarray(offset, offset + CHUNK);
				offset += chunk.length;
				const more = outgoing.write(chunk, () => {
					sent += chunk.length;
					onProgress(sent, total);
				});
				if (!more) {
					outgoing.once("drain", pump);
					return;
				}
			}
			outgoing.end();
		};
		pump();
	});
}

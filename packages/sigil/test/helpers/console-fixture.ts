/**
 * A fake console build for the gateway's console tests: an index.html, a hashed asset, a public
 * file, and the traps a hostile path would reach for — a secret file beside dist, a symlink in
 * dist to it, a symlinked folder leading out, a dot-file.
 */

import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const INDEX_HTML =
	'<!doctype html><html><head><script type="module" src="/console/assets/index-AbCd1234.js"></script></head><body><div id="app"></div></body></html>';
export const APP_JS = "console.log('the app');";
/** What no console path may ever answer with. */
export const OUTSIDE_SECRET = "top-secret-outside-dist-3f9a";

export interface ConsoleFixture {
	readonly root: string;
	readonly dist: string;
}

export async function makeConsoleFixture(): Promise<ConsoleFixture> {
	const root = await mkdtemp(join(tmpdir(), "sigil-console-"));
	const dist = join(root, "dist");
	await mkdir(join(dist, "assets"), { recursive: true });
	await writeFile(join(dist, "index.html"), INDEX_HTML);
	await writeFile(join(dist, "assets", "index-AbCd1234.js"), APP_JS);
	await writeFile(join(dist, "assets", "index-AbCd1234.css"), "body{}");
	await writeFile(join(dist, "favicon.svg"), "<svg/>");
	await writeFile(join(dist, ".env"), OUTSIDE_SECRET);
	await writeFile(join(root, "secret.txt"), OUTSIDE_SECRET);
	await mkdir(join(root, "outside"));
	await writeFile(join(root, "outside", "secret.txt"), OUTSIDE_SECRET);
	await symlink(join(root, "secret.txt"), join(dist, "link-out.txt"));
	await symlink(join(root, "outside"), join(dist, "linkdir"));
	return { root, dist };
}

export interface RawAnswer {
	readonly status: number;
	readonly headers: Record<string, string | string[] | undefined>;
	readonly body: string;
}

/** A request whose path goes on the wire exactly as given (fetch would normalise it). */
export function rawRequest(
	baseUrl: string,
	method: string,
	path: string,
	headers: Record<string, string> = {},
	body?: string,
): Promise<RawAnswer> {
	const u = new URL(baseUrl);
	return new Promise((resolve, reject) => {
		const req = request(
			{
				host: u.hostname,
				port: Number(u.port),
				method,
				path,
				headers: {
					...headers,
					...(body !== undefined && {
						"content-length": String(Buffer.byteLength(body)),
					}),
				},
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on("data", (c: Buffer) => chunks.push(c));
				res.on("end", () =>
					resolve({
						status: res.statusCode ?? 0,
						headers: res.headers,
						body: Buffer.concat(chunks).toString("utf8"),
					}),
				);
				res.on("error", reject);
			},
		);
		req.on("error", reject);
		req.end(body);
	});
}

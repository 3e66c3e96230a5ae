/**
 * The content type of a console file, by extension. Only what a Vite build emits; anything
 * else is `application/octet-stream`, which with `nosniff` a browser will neither render nor run.
 */
const TYPES: Readonly<Record<string, string>> = {
	".html": "text/html; charset=utf-8",
	".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".json": "application/json",
	".map": "application/json",
	".webmanifest": "application/manifest+json",
	".svg": "image/svg+xml",
	".png": "image/png",
	".jpg": "image/jpeg",
	".jpeg": "image/jpeg",
	".gif": "image/gif",
	".webp": "image/webp",
	".avif": "image/avif",
	".ico": "image/x-icon",
	".woff": "font/woff",
	".woff2": "font/woff2",
	".txt": "text/plain; charset=utf-8",
	".wasm": "application/wasm",
};

export function contentTypeOf(fileName: string): string {
	const dot = fileName.lastIndexOf(".");
	if (dot <= 0) return "application/octet-stream";
	return TYPES[fileName.slice(dot).toLowerCase()] ?? "application/octet-stream";
}

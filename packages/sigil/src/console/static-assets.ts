/**
 * The console's built files (packages/console/dist), looked up safely from a request path.
 * Public: anyone may fetch the app, everything behind it is signed. So the only question here
 * is which file a path names, and the answer must never be a file outside dist:
 *   - the path is judged as sent: dot segments and `//` (which routing would normalise away),
 *     encoded slashes or backslashes, NUL and other control characters, dot-files: not found;
 *   - each segment is percent-decoded once, then the file is resolved with realpath and must
 *     still be inside dist's own realpath, so a symlink in dist cannot lead out of it;
 *   - a path that names no file is the app's own route (client-side routing) and gets
 *     index.html — unless its last segment has an extension: a missing `x.js` is a 404, never
 *     HTML that a `<script>` would then try to run.
 */
import { createHash } from "node:crypto";
import { readFile, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { contentTypeOf } from "./content-type.ts";

/** Where `npm run build:console` puts the app, from this file (packages/sigil/src/console). */
export const DEFAULT_CONSOLE_DIR = join(
	import.meta.dirname,
	"..",
	"..",
	"..",
	"console",
	"dist",
);

/** The command that builds dist, as the 503 names it. */
export const BUILD_COMMAND = "npm run build:console";

/** Larger files are not served (a Vite build's largest chunk is a few hundred KB). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Files kept in memory; a build has a few dozen. */
const MAX_CACHED_FILES = 256;
/**
 * How long a path's answer is reused before the files are looked at again (realpath and stat
 * of dist and the file: four trips to the thread pool that cost more than the answer itself).
 * A rebuild shows within this; a symlink swapped into dist is re-checked within it too.
 */
const LOOKUP_TTL_MS = 1000;
const MAX_CACHED_LOOKUPS = 1024;

/** Vite's content-hashed names in `assets/` (`index-BQ3x5a7K.js`): safe to cache for a year. */
const HASHED_ASSET =
	/^assets\/(?:[^/]+\/)*[^/]+-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$/;
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

export interface ConsoleFile {
	readonly kind: "file";
	readonly body: Buffer;
	readonly contentType: string;
	readonly cacheControl: string;
	readonly etag: string;
}

export type ConsoleAnswer =
	| ConsoleFile
	| { readonly kind: "redirect"; readonly location: string }
	| { readonly kind: "not-found"; readonly why: string }
	| { readonly kind: "not-built"; readonly dir: string };

interface Cached {
	readonly mtimeMs: number;
	readonly size: number;
	readonly file: ConsoleFile;
}

export class ConsoleAssets {
	readonly dir: string;
	readonly #cache = new Map<string, Cached>();
	readonly #lookups = new Map<
		string,
		{ until: number; answer: ConsoleAnswer }
	>();

	constructor(dir: string = DEFAULT_CONSOLE_DIR) {
		this.dir = dir;
	}

	/**
	 * The answer for `/console` + `rest`. `rawPath` is the path as sent (before routing
	 * normalised it); `rest` is what follows `/console` in the routed path (`""`, `/`, `/a/b`).
	 */
	async lookup(rawPath: string, rest: string): Promise<ConsoleAnswer> {
		if (rest === "") return { kind: "redirect", location: "/console/" };
		if (/\/\.|\/%2e|\/\//i.test(rawPath))
			return notFound("dot segments and empty segments are not console paths");
		const now = performance.now();
		const seen = this.#lookups.get(rest);
		if (seen && seen.until > now) return seen.answer;
		const answer = await this.#lookup(rest);
		if (this.#lookups.size >= MAX_CACHED_LOOKUPS) this.#lookups.clear();
		this.#lookups.set(rest, { until: now + LOOKUP_TTL_MS, answer });
		return answer;
	}

	async #lookup(rest: string): Promise<ConsoleAnswer> {
		const segments = decodeSegments(rest.slice(1).split("/"));
		if (typeof segments === "string") return notFound(segments);
		const root = await this.#root();
		if (root === undefined) return { kind: "not-built", dir: this.dir };
		const relative = segments.filter((s) => s !== "").join("/");
		if (relative !== "") {
			const file = await this.#file(root, relative);
			if (file) return file;
			const last = segments.at(-1) ?? "";
			if (/\.[^.]+$/.test(last))
				return notFound(`${relative} is not a file of the console`);
		}
		// The app's own routes (/console/functions/hello) are the app.
		return (
			(await this.#file(root, "index.html")) ?? {
				kind: "not-built",
				dir: this.dir,
			}
		);
	}

	/** dist's realpath, or `undefined` when there is no build (no index.html). */
	async #root(): Promise<string | undefined> {
		try {
			const root = await realpath(this.dir);
			return (await stat(join(root, "index.html"))).isFile() ? root : undefined;
		} catch {
			return undefined;
		}
	}

	/** The regular file at `relative` if it resolves inside `root`; else `undefined`. */
	async #file(
		root: string,
		relative: string,
	): Promise<ConsoleFile | undefined> {
		let real: string;
		try {
			real = await realpath(join(root, relative));
		} catch {
			return undefined;
		}
		// A symlink that leads out of dist (or a path that somehow does) is no console file.
		if (!real.startsWith(root + sep)) return undefined;
		const info = await stat(real).catch(() => undefined);
		if (!info?.isFile() || info.size > MAX_FILE_BYTES) return undefined;
		const cached = this.#cache.get(real);
		if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size)
			return cached.file;
		const body = await readFile(real).catch(() => undefined);
		if (!body) return undefined;
		const file: ConsoleFile = {
			kind: "file",
			body,
			contentType: contentTypeOf(relative),
			cacheControl: HASHED_ASSET.test(relative) ? IMMUTABLE : REVALIDATE,
			etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
		};
		if (this.#cache.size >= MAX_CACHED_FILES) this.#cache.clear();
		this.#cache.set(real, {
			mtimeMs: info.mtimeMs,
			size: info.size,
			file,
		});
		return file;
	}
}

function notFound(why: string): ConsoleAnswer {
	return { kind: "not-found", why };
}

/**
 * Each segment percent-decoded once, or why the path is refused. Refused before decoding:
 * encoded `/` or `\` (a second way to spell a separator); after: control characters (NUL
 * among them), separators, and names starting with `.` (`..`, dot-files).
 */
function decodeSegments(raw: readonly string[]): string[] | string {
	const out: string[] = [];
	for (const segment of raw) {
		if (/%2f|%5c|\\/i.test(segment))
			return "encoded slashes and backslashes are not console paths";
		let decoded: string;
		try {
			decoded = decodeURIComponent(segment);
		} catch {
			return "the path is not valid percent-encoding";
		}
		// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
		if (/[\u0000-\u001f\u007f/\\]/.test(decoded))
			return "control characters are not console paths";
		if (decoded.startsWith(".")) return "dot-files are not console files";
		out.push(decoded);
	}
	return out;
}

/** Whether an `If-None-Match` value names `etag` (RFC 9110 §13.1.2: weak comparison). */
export function matchesEtag(
	ifNoneMatch: string | undefined,
	etag: string,
): boolean {
	if (ifNoneMatch === undefined) return false;
	return ifNoneMatch
		.split(",")
		.map((t) => t.trim().replace(/^W\//, ""))
		.some((t) => t === "*" || t === etag);
}

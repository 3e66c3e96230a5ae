/**
 * A function's code travels from the CLI to the gateway, and lives in the store, as a bundle:
 * the handler folder's files with their modes. JSON with base64 data keeps the wire format
 * readable and dependency-free; the 50 MB bound keeps it honest.
 */
import { createHash, randomUUID } from "node:crypto";
import {
	access,
	chmod,
	lstat,
	mkdir,
	readdir,
	readFile,
	rename,
	rm,
	writeFile,
} from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";

export interface BundleFile {
	readonly path: string;
	readonly mode: number;
	readonly data: string;
}
export interface Bundle {
	readonly files: readonly BundleFile[];
}

export const MAX_BUNDLE_BYTES = 50 * 1024 * 1024;
export const MAX_BUNDLE_FILES = 10_000;
const SKIP = new Set(["node_modules/.cache", ".git", ".sigil"]);

export class BundleError extends Error {
	readonly code = "BUNDLE_INVALID";
}

/** Reads a folder into a bundle (symlinks are refused: they could point anywhere). */
export async function packDirectory(dir: string): Promise<Bundle> {
	const files: BundleFile[] = [];
	let total = 0;
	async function walk(current: string): Promise<void> {
		for (const entry of await readdir(current, { withFileTypes: true })) {
			const full = join(current, entry.name);
			const rel = relative(dir, full).split(sep).join("/");
			if (SKIP.has(rel)) continue;
			if (entry.isDirectory()) await walk(full);
			else if (entry.isFile()) {
				const data = await readFile(full);
				total += data.length;
				if (total > MAX_BUNDLE_BYTES)
					throw new BundleError(
						`${dir} holds more than ${MAX_BUNDLE_BYTES / 1024 / 1024} MB: a function's code must be smaller`,
					);
				if (files.length >= MAX_BUNDLE_FILES)
					throw new BundleError(
						`${dir} holds more than ${MAX_BUNDLE_FILES} files`,
					);
				const { mode } = await lstat(full);
				files.push({
					path: rel,
					mode: mode & 0o777,
					data: data.toString("base64"),
				});
			} else if (entry.isSymbolicLink())
				throw new BundleError(
					`${full} is a symbolic link: copy the file into the handler folder instead`,
				);
		}
	}
	await walk(dir);
	files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
	return { files };
}

/** Checks a bundle from the wire: shape, relative paths only, size bound. Returns its decoded files. */
export function decodeBundle(
	input: unknown,
): { path: string; mode: number; data: Buffer }[] {
	if (
		!input ||
		typeof input !== "object" ||
		!Array.isArray((input as Bundle).files)
	)
		throw new BundleError('code must be {"files": [{"path", "mode", "data"}]}');
	const files = (input as Bundle).files;
	if (files.length > MAX_BUNDLE_FILES)
		throw new BundleError(`code holds more than ${MAX_BUNDLE_FILES} files`);
	let total = 0;
	const seen = new Set<string>();
	return files.map((f, i) => {
		if (
			!f ||
			typeof f.path !== "string" ||
			typeof f.data !== "string" ||
			typeof f.mode !== "number"
		)
			throw new BundleError(`code.files[${i}] must have path, mode and data`);
		const parts = f.path.split("/");
		if (
			f.path.length === 0 ||
			f.path.length > 1024 ||
			f.path.startsWith("/") ||
			f.path.includes("\\") ||
			f.path.includes("\0") ||
			parts.some((p) => p === "" || p === "." || p === "..")
		)
			throw new BundleError(
				`code.files[${i}].path ${JSON.stringify(f.path)} must be a plain relative path`,
			);
		if (seen.has(f.path))
			throw new BundleError(
				`code.files[${i}].path ${JSON.stringify(f.path)} appears twice`,
			);
		seen.add(f.path);
		const data = Buffer.from(f.data, "base64");
		total += data.length;
		if (total > MAX_BUNDLE_BYTES)
			throw new BundleError(
				`code is larger than ${MAX_BUNDLE_BYTES / 1024 / 1024} MB`,
			);
		return { path: f.path, mode: f.mode & 0o755, data };
	});
}

/** Serialises a checked bundle for the store, with its SHA-256 (the cache key of unpacked code). */
export function bundleBytes(
	files: readonly { path: string; mode: number; data: Buffer }[],
): { bytes: Buffer; sha256: string } {
	const bytes = Buffer.from(
		JSON.stringify({
			files: files.map((f) => ({
				path: f.path,
				mode: f.mode,
				data: f.data.toString("base64"),
			})),
		}),
	);
	return { bytes, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** Writes a checked bundle into `dir` (which must be new or empty). */
export async function unpackBundle(
	files: readonly { path: string; mode: number; data: Buffer }[],
	dir: string,
): Promise<void> {
	await mkdir(dir, { recursive: true, mode: 0o700 });
	for (const f of files) {
		const target = join(dir, ...f.path.split("/"));
		await mkdir(dirname(target), { recursive: true, mode: 0o700 });
		await writeFile(target, f.data, { mode: f.mode | 0o400 });
		await chmod(target, f.mode | 0o400);
	}
}

/** Written last into an unpacked folder: its presence means every file is in place. */
const COMPLETE = ".sigil-complete";

async function isComplete(dir: string): Promise<boolean> {
	try {
		await access(join(dir, COMPLETE));
		return true;
	} catch {
		return false;
	}
}

/**
 * The folder `root/SHA256` holding the bundle whose serialised bytes hash to `sha256`, unpacked
 * on first use. Atomic and idempotent, so any number of deploys (and processes) may ask at once:
 * each unpacks into its own temporary folder beside the target and renames it into place; a
 * rename that finds the target already there lost a race to an identical bundle (same hash, same
 * files) and simply uses it. A complete folder is never removed or rewritten here, since live
 * runtimes read from it.
 */
export async function materialiseBundle(
	root: string,
	sha256: string,
	loadBytes: () => Promise<Buffer>,
): Promise<string> {
	if (!/^[0-9a-f]{64}$/.test(sha256))
		throw new BundleError(`${JSON.stringify(sha256)} is not a SHA-256 in hex`);
	const dir = join(root, sha256);
	if (await isComplete(dir)) return dir;
	const bytes = await loadBytes();
	if (createHash("sha256").update(bytes).digest("hex") !== sha256)
		throw new BundleError(`code bundle ${sha256} does not match its checksum`);
	const files = decodeBundle(JSON.parse(bytes.toString("utf8")));
	await mkdir(root, { recursive: true, mode: 0o700 });
	// Dot-prefixed and unique per attempt: never mistaken for a bundle, never shared by two writers.
	const tmp = join(root, `.tmp-${sha256}-${process.pid}-${randomUUID()}`);
	try {
		await unpackBundle(files, tmp);
		await writeFile(join(tmp, COMPLETE), "");
		for (let attempt = 0; ; attempt++) {
			try {
				await rename(tmp, dir);
				return dir;
			} catch (err) {
				const code = (err as NodeJS.ErrnoException).code;
				if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
				if (await isComplete(dir)) return dir; // a racing identical deploy won: same content
				// A folder without the marker: left by a Sigil that unpacked in place before this
				// one. Move it aside (renames are atomic) and try once more.
				if (attempt > 0) throw err;
				const stale = join(root, `.stale-${sha256}-${randomUUID()}`);
				await rename(dir, stale).catch(() => {});
				await rm(stale, { recursive: true, force: true });
			}
		}
	} finally {
		await rm(tmp, { recursive: true, force: true });
	}
}

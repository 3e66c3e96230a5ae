/**
 * A deliberately small zip reader for Lambda's `ZipFile` (CreateFunction, UpdateFunctionCode):
 * the archive becomes the files of a code bundle (bundle.ts), or is refused whole. No dependency:
 * Node's zlib inflates with a hard output bound (`maxOutputLength`) and checks CRC-32, and what is
 * left — reading the central directory — is short enough to read in full here.
 *
 * What is refused, each with a message naming the entry:
 *   - anything but a single-disk archive whose central directory lies inside the buffer;
 *     ZIP64, encryption and methods other than stored (0) and deflate (8);
 *   - paths that are absolute, contain `\`, NUL, a drive letter, an empty, `.` or `..` segment,
 *     or appear twice (so nothing is written outside the code folder, nothing is overwritten);
 *   - symbolic links and any other non-regular file (devices, FIFOs): a link could point anywhere;
 *   - more than MAX_BUNDLE_FILES entries, or more than MAX_BUNDLE_BYTES once inflated. The
 *     budget is checked against each entry's declared size BEFORE inflating, and inflation is
 *     capped at that declared size, so a lying header (a zip bomb) stops at the bound instead of
 *     filling memory; the output must then have exactly the declared size and CRC-32.
 * Directory entries are skipped (folders are implied by file paths).
 */
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";
import { BundleError, MAX_BUNDLE_BYTES, MAX_BUNDLE_FILES } from "./bundle.ts";

export interface ZipEntryFile {
	readonly path: string;
	readonly mode: number;
	readonly data: Buffer;
}

export interface ZipLimits {
	/** Total bytes once inflated (default MAX_BUNDLE_BYTES). */
	readonly maxBytes?: number;
	/** Files at most (default MAX_BUNDLE_FILES). */
	readonly maxFiles?: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function fail(message: string): never {
	throw new BundleError(`Could not unzip uploaded file: ${message}`);
}

/** Finds the end-of-central-directory record: the last 22 + 65535 bytes hold it. */
function findEocd(buf: Buffer): number {
	const stop = Math.max(0, buf.length - 22 - 0xffff);
	for (let i = buf.length - 22; i >= stop; i--)
		if (
			buf.readUInt32LE(i) === EOCD &&
			i + 22 + buf.readUInt16LE(i + 20) === buf.length
		)
			return i;
	return fail("it is not a zip archive (no end of central directory)");
}

/** A path safe to write under the code folder, or the reason it is not. */
function checkPath(name: string): string | undefined {
	if (name.length === 0 || name.length > 1024)
		return "an empty or overlong path";
	if (name.includes("\0")) return "a NUL in its path";
	if (name.includes("\\")) return "a backslash in its path";
	if (name.startsWith("/")) return "an absolute path";
	if (/^[A-Za-z]:/.test(name)) return "a drive letter";
	const parts = name.replace(/\/$/, "").split("/");
	if (parts.some((p) => p === "" || p === "." || p === ".."))
		return "an empty, '.' or '..' path segment";
	return undefined;
}

/** The files of a zip archive, bounded and checked as the header says. */
export function readZip(buf: Buffer, limits: ZipLimits = {}): ZipEntryFile[] {
	const maxBytes = limits.maxBytes ?? MAX_BUNDLE_BYTES;
	const maxFiles = limits.maxFiles ?? MAX_BUNDLE_FILES;
	if (buf.length < 22) fail("it is not a zip archive (too short)");
	const eocd = findEocd(buf);
	const disk = buf.readUInt16LE(eocd + 4);
	const cdDisk = buf.readUInt16LE(eocd + 6);
	const entriesHere = buf.readUInt16LE(eocd + 8);
	const entries = buf.readUInt16LE(eocd + 10);
	const cdSize = buf.readUInt32LE(eocd + 12);
	const cdOffset = buf.readUInt32LE(eocd + 16);
	if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
		fail(
			"ZIP64 archives are not supported (a function's code is far below 4 GB)",
		);
	if (disk !== 0 || cdDisk !== 0 || entriesHere !== entries)
		fail("multi-disk archives are not supported");
	if (cdOffset + cdSize > eocd)
		fail("the central directory lies outside the file");
	if (entries > maxFiles)
		fail(`it holds ${entries} entries, more than ${maxFiles}`);

	const files: ZipEntryFile[] = [];
	const seen = new Set<string>();
	let total = 0;
	let p = cdOffset;
	for (let i = 0; i < entries; i++) {
		if (p + 46 > cdOffset + cdSize || buf.readUInt32LE(p) !== CENTRAL)
			fail(`central directory entry ${i} is malformed`);
		const madeBy = buf.readUInt16LE(p + 4);
		const flags = buf.readUInt16LE(p + 8);
		const method = buf.readUInt16LE(p + 10);
		const crc = buf.readUInt32LE(p + 16);
		const compressed = buf.readUInt32LE(p + 20);
		const size = buf.readUInt32LE(p + 24);
		const nameLen = buf.readUInt16LE(p + 28);
		const extraLen = buf.readUInt16LE(p + 30);
		const commentLen = buf.readUInt16LE(p + 32);
		const external = buf.readUInt32LE(p + 38);
		const localOffset = buf.readUInt32LE(p + 42);
		const next = p + 46 + nameLen + extraLen + commentLen;
		if (next > cdOffset + cdSize)
			fail(`central directory entry ${i} is truncated`);
		// Bit 11: UTF-8 names. Without it the name is CP437, whose printable ASCII is the same;
		// anything beyond ASCII there is refused rather than guessed at.
		const rawName = buf.subarray(p + 46, p + 46 + nameLen);
		if (!(flags & 0x800) && rawName.some((b) => b > 0x7e || b < 0x20))
			fail(`entry ${i} has a non-ASCII name without the UTF-8 flag`);
		const name = rawName.toString("utf8");
		const shown = JSON.stringify(name.slice(0, 200));
		p = next;

		const why = checkPath(name);
		if (why) fail(`entry ${shown} has ${why}`);
		if (flags & 0x1) fail(`entry ${shown} is encrypted`);
		if (compressed === 0xffffffff || size === 0xffffffff)
			fail(`entry ${shown} uses ZIP64 sizes`);
		// Unix file types live in the high 16 bits of the external attributes (made by Unix: 3).
		const unixMode = madeBy >> 8 === 3 ? external >>> 16 : 0;
		const type = unixMode & S_IFMT;
		const isDir = name.endsWith("/") || type === S_IFDIR;
		if (type === S_IFLNK) fail(`entry ${shown} is a symbolic link`);
		if (type !== 0 && type !== S_IFREG && type !== S_IFDIR)
			fail(`entry ${shown} is not a regular file`);
		if (isDir) {
			if (size !== 0) fail(`directory entry ${shown} has content`);
			continue;
		}
		if (seen.has(name)) fail(`entry ${shown} appears twice`);
		seen.add(name);
		if (files.length >= maxFiles) fail(`it holds more than ${maxFiles} files`);
		if (total + size > maxBytes)
			fail(
				`it inflates to more than ${maxBytes} bytes (at entry ${shown}); a function's unzipped code must be smaller`,
			);

		if (localOffset + 30 > cdOffset || buf.readUInt32LE(localOffset) !== LOCAL)
			fail(`entry ${shown} has no local header where the directory says`);
		const localName = buf.readUInt16LE(localOffset + 26);
		const localExtra = buf.readUInt16LE(localOffset + 28);
		const start = localOffset + 30 + localName + localExtra;
		if (start + compressed > cdOffset)
			fail(`entry ${shown} runs past its data`);
		const raw = buf.subarray(start, start + compressed);
		let data: Buffer;
		if (method === 0) {
			if (compressed !== size) fail(`stored entry ${shown} has two sizes`);
			data = Buffer.from(raw);
		} else if (method === 8) {
			try {
				// Capped at the declared size: a header that lies stops here, not in memory.
				data = inflateRawSync(raw, { maxOutputLength: Math.max(1, size) });
			} catch {
				fail(`entry ${shown} does not inflate to its declared ${size} bytes`);
			}
		} else
			fail(
				`entry ${shown} uses compression method ${method} (only stored and deflate)`,
			);
		if (data.length !== size)
			fail(
				`entry ${shown} inflates to ${data.length} bytes, not the declared ${size}`,
			);
		if (crc32(data) >>> 0 !== crc)
			fail(`entry ${shown} fails its CRC-32 check`);
		total += size;
		// Keep the owner's execute bit; everything is readable, nothing else is writable.
		const mode = unixMode & 0o111 ? 0o755 : 0o644;
		files.push({ path: name, mode, data });
	}
	if (files.length === 0) fail("it holds no files");
	return files;
}

/** The bundle (bundle.ts's wire shape) holding a zip's files, ready for the registry. */
export function zipToBundle(buf: Buffer, limits?: ZipLimits) {
	return {
		files: readZip(buf, limits).map((f) => ({
			path: f.path,
			mode: f.mode,
			data: f.data.toString("base64"),
		})),
	};
}

/** Writes a zip (stored or deflated entries). For tests and tools; the gateway only reads. */
export function writeZip(
	entries: readonly {
		path: string;
		data?: Buffer | string;
		/** Unix mode including the file type (default a regular 0644 file). */
		mode?: number;
		/** Stored instead of deflated. */
		store?: boolean;
		/** Declared uncompressed size, when a test wants a lying header. */
		declaredSize?: number;
	}[],
): Buffer {
	const locals: Buffer[] = [];
	const centrals: Buffer[] = [];
	let offset = 0;
	for (const e of entries) {
		const data = Buffer.from(e.data ?? "");
		const body = e.store ? data : deflateRawSync(data);
		const name = Buffer.from(e.path, "utf8");
		const size = e.declaredSize ?? data.length;
		const crc = crc32(data) >>> 0;
		const local = Buffer.alloc(30);
		local.writeUInt32LE(LOCAL, 0);
		local.writeUInt16LE(20, 4);
		local.writeUInt16LE(0x800, 6);
		local.writeUInt16LE(e.store ? 0 : 8, 8);
		local.writeUInt16LE(0x21, 12); // 1980-01-01
		local.writeUInt32LE(crc, 14);
		local.writeUInt32LE(body.length, 18);
		local.writeUInt32LE(size, 22);
		local.writeUInt16LE(name.length, 26);
		const central = Buffer.alloc(46);
		central.writeUInt32LE(CENTRAL, 0);
		central.writeUInt16LE((3 << 8) | 20, 4);
		central.writeUInt16LE(20, 6);
		central.writeUInt16LE(0x800, 8);
		central.writeUInt16LE(e.store ? 0 : 8, 10);
		central.writeUInt16LE(0x21, 14);
		central.writeUInt32LE(crc, 16);
		central.writeUInt32LE(body.length, 20);
		central.writeUInt32LE(size, 24);
		central.writeUInt16LE(name.length, 28);
		central.writeUInt32LE(((e.mode ?? S_IFREG | 0o644) << 16) >>> 0, 38);
		central.writeUInt32LE(offset, 42);
		locals.push(local, name, body);
		centrals.push(central, name);
		offset += local.length + name.length + body.length;
	}
	const cd = Buffer.concat(centrals);
	const end = Buffer.alloc(22);
	end.writeUInt32LE(EOCD, 0);
	end.writeUInt16LE(entries.length, 8);
	end.writeUInt16LE(entries.length, 10);
	end.writeUInt32LE(cd.length, 12);
	end.writeUInt32LE(offset, 16);
	return Buffer.concat([...locals, cd, end]);
}

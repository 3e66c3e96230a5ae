/**
 * Where the master key comes from: `SIGIL_MASTER_KEY` (base64 or hex of 32 bytes), or a file
 * `<dataDir>/master.key` generated once with owner-only permissions. Like ssh with a private key,
 * a key file that other users can read is refused rather than used.
 */
import { randomBytes } from "node:crypto";
import {
	chmod,
	link,
	mkdir,
	readFile,
	stat,
	unlink,
	writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { StoreError } from "./errors.ts";

export const MASTER_KEY_FILE = "master.key";
export const MASTER_KEY_ENV = "SIGIL_MASTER_KEY";

export interface MasterKey {
	readonly key: Buffer;
	/** `env`: from SIGIL_MASTER_KEY; `file`: read from master.key; `generated`: written just now. */
	readonly source: "env" | "file" | "generated";
	/** The key file, when one was read or written. */
	readonly path?: string;
}

const HEX_64 = /^[0-9a-fA-F]{64}$/;
const BASE64_32 = /^[A-Za-z0-9+/]{43}=?$/;
const BASE64URL_32 = /^[A-Za-z0-9_-]{43}=?$/;

/**
 * Parses 32 bytes written as 64 hex digits or as base64 / base64url (43 characters, optional
 * `=`). Anything else throws `STORE_MASTER_KEY_INVALID`; `where` names the source, never the value.
 */
export function parseMasterKey(text: string, where: string): Buffer {
	const value = text.trim();
	let key: Buffer | undefined;
	if (HEX_64.test(value)) key = Buffer.from(value, "hex");
	else if (BASE64_32.test(value)) key = Buffer.from(value, "base64");
	else if (BASE64URL_32.test(value)) key = Buffer.from(value, "base64url");
	if (key?.length !== 32) {
		throw new StoreError(
			"STORE_MASTER_KEY_INVALID",
			`${where} must hold a 32-byte key as 64 hex digits or 44 base64 characters (generate one with: openssl rand -base64 32)`,
		);
	}
	return key;
}

/**
 * Returns the master key: from `env.SIGIL_MASTER_KEY` when set, else from `<dataDir>/master.key`,
 * creating the directory (0700) and a fresh random key file (0600) on first use.
 */
export async function loadOrCreateMasterKey(
	dataDir: string,
	env: Record<string, string | undefined>,
): Promise<MasterKey> {
	const fromEnv = env[MASTER_KEY_ENV];
	if (fromEnv !== undefined && fromEnv !== "")
		return { key: parseMasterKey(fromEnv, MASTER_KEY_ENV), source: "env" };
	await mkdir(dataDir, { recursive: true, mode: 0o700 });
	const path = join(dataDir, MASTER_KEY_FILE);
	const existing = await readKeyFile(path);
	if (existing) return { key: existing, source: "file", path };
	// Write to a private temporary name, then link it into place: link() fails if another
	// process won the race, and nobody ever reads a half-written key file.
	const key = randomBytes(32);
	const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
	await writeFile(temp, `${key.toString("base64")}\n`, {
		mode: 0o600,
		flag: "wx",
	});
	await chmod(temp, 0o600); // the mode above is filtered by umask; this states it exactly
	try {
		await link(temp, path);
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
		const winner = await readKeyFile(path);
		if (winner) return { key: winner, source: "file", path };
		throw err;
	} finally {
		await unlink(temp);
	}
	return { key, source: "generated", path };
}

async function readKeyFile(path: string): Promise<Buffer | undefined> {
	let info: Awaited<ReturnType<typeof stat>>;
	try {
		info = await stat(path);
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
		throw err;
	}
	if (!info.isFile())
		throw new StoreError(
			"STORE_MASTER_KEY_INVALID",
			`${path} is not a regular file`,
		);
	if ((info.mode & 0o077) !== 0) {
		throw new StoreError(
			"STORE_MASTER_KEY_PERMISSIONS",
			`${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}): run chmod 600 ${path} if the key was not exposed, or rotate it`,
		);
	}
	const uid = process.getuid?.();
	if (uid !== undefined && info.uid !== uid) {
		throw new StoreError(
			"STORE_MASTER_KEY_PERMISSIONS",
			`${path} belongs to another user (uid ${info.uid}): run Sigil as its owner`,
		);
	}
	return parseMasterKey(await readFile(path, "utf8"), path);
}

// Where the master key comes from: the environment (hex or base64), or master.key created 0600.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
	chmod,
	mkdtemp,
	readFile,
	rm,
	stat,
	writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isStoreError } from "../src/store/errors.ts";
import {
	loadOrCreateMasterKey,
	parseMasterKey,
} from "../src/store/master-key.ts";

const dirs: string[] = [];
after(async () => {
	await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), "sigil-key-"));
	dirs.push(dir);
	return join(dir, "data");
}

test("first use generates master.key (0600, directory 0700); later uses read the same key", async () => {
	const dataDir = await tempDir();
	const first = await loadOrCreateMasterKey(dataDir, {});
	assert.equal(first.source, "generated");
	assert.equal(first.key.length, 32);
	const path = join(dataDir, "master.key");
	assert.equal((await stat(path)).mode & 0o777, 0o600);
	assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
	assert.equal(
		(await readFile(path, "utf8")).trim(),
		first.key.toString("base64"),
	);
	const second = await loadOrCreateMasterKey(dataDir, {});
	assert.equal(second.source, "file");
	assert.deepEqual(second.key, first.key);
});

test("concurrent first uses agree on one key", async () => {
	const dataDir = await tempDir();
	const keys = await Promise.all(
		Array.from({ length: 8 }, () => loadOrCreateMasterKey(dataDir, {})),
	);
	for (const k of keys) assert.deepEqual(k.key, keys[0]?.key);
	assert.equal(keys.filter((k) => k.source === "generated").length, 1);
});

test("a key file readable by others is refused with a clear error", async () => {
	const dataDir = await tempDir();
	await loadOrCreateMasterKey(dataDir, {});
	const path = join(dataDir, "master.key");
	for (const mode of [0o644, 0o640, 0o604]) {
		await chmod(path, mode);
		await assert.rejects(loadOrCreateMasterKey(dataDir, {}), (err: Error) => {
			assert.ok(isStoreError(err, "STORE_MASTER_KEY_PERMISSIONS"));
			assert.match(err.message, /chmod 600/);
			return true;
		});
	}
});

test("SIGIL_MASTER_KEY in hex or base64 wins and writes no file", async () => {
	const dataDir = await tempDir();
	const key = randomBytes(32);
	for (const text of [
		key.toString("hex"),
		key.toString("base64"),
		key.toString("base64url"),
		` ${key.toString("hex").toUpperCase()}\n`,
	]) {
		const got = await loadOrCreateMasterKey(dataDir, {
			SIGIL_MASTER_KEY: text,
		});
		assert.equal(got.source, "env");
		assert.deepEqual(got.key, key);
	}
	await assert.rejects(stat(join(dataDir, "master.key")), { code: "ENOENT" });
});

test("anything but 32 bytes in hex or base64 is refused, without echoing the value", async () => {
	const bad = [
		"",
		"abc",
		randomBytes(16).toString("hex"),
		randomBytes(31).toString("base64"),
		randomBytes(33).toString("base64"),
		`${"zz".repeat(32)}`,
		"not a key at all, just words!",
	];
	for (const text of bad.filter((t) => t !== "")) {
		assert.throws(
			() => parseMasterKey(text, "SIGIL_MASTER_KEY"),
			(err: Error) =>
				isStoreError(err, "STORE_MASTER_KEY_INVALID") &&
				!err.message.includes(text),
		);
	}
	const dataDir = await tempDir();
	await loadOrCreateMasterKey(dataDir, {});
	await writeFile(join(dataDir, "master.key"), "garbage\n", { mode: 0o600 });
	await assert.rejects(loadOrCreateMasterKey(dataDir, {}), (err) =>
		isStoreError(err, "STORE_MASTER_KEY_INVALID"),
	);
});

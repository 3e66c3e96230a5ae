// The SQLite adapter: the shared contract, plus what only a file on disk can show — ciphertext at
// rest, refusal of wrong keys and foreign or damaged files, permissions, a real kill -9.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, test } from "node:test";
import { Worker } from "node:worker_threads";
import { openSqliteStore } from "../src/store/sqlite/open.ts";
import type { Store } from "../src/store/store.ts";
import {
	type MakeStore,
	rejectsWith,
	runStoreContract,
	type StoreHarness,
} from "./store-contract.ts";

const dirs: string[] = [];
after(async () => {
	await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), "sigil-store-"));
	dirs.push(dir);
	return join(dir, "data");
}

const makeSqlite: MakeStore = async (options) => {
	const dataDir = await tempDir();
	const masterKey = randomBytes(32);
	const open = () => openSqliteStore({ dataDir, masterKey, ...options });
	const h: StoreHarness = {
		store: await open(),
		reopen: open,
		async cleanup() {
			await h.store.close();
		},
	};
	return h;
};

runStoreContract("sqlite", makeSqlite);

/** Every text and blob value of every table, as one buffer to search. */
function everyValue(path: string): Buffer {
	const db = new DatabaseSync(path, { readOnly: true });
	try {
		const parts: Buffer[] = [];
		const tables = db
			.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
			.all() as { name: string }[];
		for (const { name } of tables) {
			for (const row of db.prepare(`SELECT * FROM "${name}"`).all()) {
				for (const value of Object.values(row)) {
					if (typeof value === "string") parts.push(Buffer.from(value));
					else if (value instanceof Uint8Array) parts.push(Buffer.from(value));
				}
			}
		}
		return Buffer.concat(parts);
	} finally {
		db.close();
	}
}

describe("SQLite store on disk", () => {
	test("secrets are ciphertext at rest, and a ciphertext moved to another row fails to decrypt", async () => {
		const dataDir = await tempDir();
		const masterKey = randomBytes(32);
		let store: Store = await openSqliteStore({ dataDir, masterKey });
		const { accountId } = await store.accounts.create({ name: "root" });
		const k1 = await store.accessKeys.create({ accountId });
		const k2 = await store.accessKeys.create({ accountId });
		const secretValue = "correct horse battery staple 0123456789";
		await store.secrets.put(accountId, "one", Buffer.from(secretValue));
		await store.secrets.put(
			accountId,
			"two",
			Buffer.from("another secret value"),
		);
		await store.close();

		const path = join(dataDir, "sigil.db");
		const values = everyValue(path);
		const file = await readFile(path);
		for (const clear of [k1.secretAccessKey, k2.secretAccessKey, secretValue]) {
			assert.equal(
				values.includes(Buffer.from(clear)),
				false,
				"no secret in any column",
			);
			assert.equal(
				file.includes(Buffer.from(clear)),
				false,
				"no secret anywhere in the file",
			);
		}
		assert.ok(
			values.includes(Buffer.from(k1.accessKeyId)),
			"the search itself finds what is stored in clear",
		);

		// Swap ciphertexts between rows with a second connection.
		const db = new DatabaseSync(path);
		db.exec(
			`UPDATE access_keys SET secret = (SELECT secret FROM access_keys WHERE access_key_id = '${k2.accessKeyId}') WHERE access_key_id = '${k1.accessKeyId}'`,
		);
		db.exec(
			"UPDATE secrets SET value = (SELECT value FROM secrets WHERE name = 'two') WHERE name = 'one'",
		);
		db.close();
		store = await openSqliteStore({ dataDir, masterKey });
		try {
			await rejectsWith(
				store.accessKeys.get(k1.accessKeyId),
				"STORE_DECRYPT_FAILED",
			);
			await rejectsWith(
				store.secrets.get(accountId, "one"),
				"STORE_DECRYPT_FAILED",
			);
			assert.equal(
				(await store.accessKeys.get(k2.accessKeyId))?.secretAccessKey,
				k2.secretAccessKey,
				"untouched rows still open",
			);
			await assert.rejects(
				store.secrets.get(accountId, "one"),
				(err: Error) =>
					!err.message.includes(secretValue) &&
					!err.message.includes("another secret"),
			);
		} finally {
			await store.close();
		}
	});

	test("the decrypt cache never hides a change made by another connection", async () => {
		const dataDir = await tempDir();
		const store = await openSqliteStore({
			dataDir,
			masterKey: randomBytes(32),
		});
		try {
			const { accountId } = await store.accounts.create({ name: "root" });
			const k1 = await store.accessKeys.create({ accountId });
			const k2 = await store.accessKeys.create({ accountId });
			await store.secrets.put(accountId, "a", Buffer.from("value-a"));
			await store.secrets.put(accountId, "b", Buffer.from("value-b"));
			assert.equal(
				(await store.accessKeys.get(k1.accessKeyId))?.secretAccessKey,
				k1.secretAccessKey,
			);
			const warm = await store.secrets.get(accountId, "a");
			warm?.fill(0); // a caller scribbling on its copy does not reach the cache
			assert.equal(
				(await store.secrets.get(accountId, "a"))?.toString(),
				"value-a",
			);
			const db = new DatabaseSync(join(dataDir, "sigil.db"));
			db.exec(
				`UPDATE access_keys SET secret = (SELECT secret FROM access_keys WHERE access_key_id = '${k2.accessKeyId}') WHERE access_key_id = '${k1.accessKeyId}'`,
			);
			db.exec(
				"UPDATE secrets SET value = (SELECT value FROM secrets WHERE name = 'b') WHERE name = 'a'",
			);
			db.exec(
				`UPDATE access_keys SET status = 'Inactive' WHERE access_key_id = '${k2.accessKeyId}'`,
			);
			db.close();
			await rejectsWith(
				store.accessKeys.get(k1.accessKeyId),
				"STORE_DECRYPT_FAILED",
			);
			await rejectsWith(
				store.secrets.get(accountId, "a"),
				"STORE_DECRYPT_FAILED",
			);
			assert.equal(
				(await store.accessKeys.get(k2.accessKeyId))?.status,
				"Inactive",
				"status is read from the row every time",
			);
		} finally {
			await store.close();
		}
	});

	test("re-pointing a key at another owner breaks its ciphertext", async () => {
		const dataDir = await tempDir();
		const masterKey = randomBytes(32);
		let store = await openSqliteStore({ dataDir, masterKey });
		const { accountId } = await store.accounts.create({ name: "root" });
		await store.users.create({ accountId, userName: "alice" });
		const key = await store.accessKeys.create({ accountId, userName: "alice" });
		await store.close();
		const db = new DatabaseSync(join(dataDir, "sigil.db"));
		db.exec("UPDATE access_keys SET user_name = NULL");
		db.close();
		store = await openSqliteStore({ dataDir, masterKey });
		try {
			await rejectsWith(
				store.accessKeys.get(key.accessKeyId),
				"STORE_DECRYPT_FAILED",
			);
		} finally {
			await store.close();
		}
	});

	test("a different master key is refused, and the data stays intact", async () => {
		const dataDir = await tempDir();
		const masterKey = randomBytes(32);
		const store = await openSqliteStore({ dataDir, masterKey });
		await store.accounts.create({ name: "root", accountId: "123456789012" });
		await store.close();
		await assert.rejects(
			openSqliteStore({ dataDir, masterKey: randomBytes(32) }),
			(err: Error & { code?: string }) => {
				assert.equal(err.code, "STORE_MASTER_KEY_MISMATCH");
				assert.match(
					err.message,
					/this data directory was created with a different master key/,
				);
				return true;
			},
		);
		const again = await openSqliteStore({ dataDir, masterKey });
		assert.equal((await again.accounts.root())?.accountId, "123456789012");
		await again.close();
	});

	test("a file that is not SQLite, or another program's database, is refused as foreign", async () => {
		const textDir = await tempDir();
		await openSqliteStore({
			dataDir: textDir,
			masterKey: randomBytes(32),
		}).then((s) => s.close());
		await writeFile(
			join(textDir, "sigil.db"),
			"these are my notes, not a database\n".repeat(10),
		);
		await rejectsWith(
			openSqliteStore({ dataDir: textDir, masterKey: randomBytes(32) }),
			"STORE_FOREIGN",
		);
		assert.match(
			await readFile(join(textDir, "sigil.db"), "utf8"),
			/my notes/,
			"the file is left alone",
		);

		const otherDir = await tempDir();
		await openSqliteStore({
			dataDir: otherDir,
			masterKey: randomBytes(32),
		}).then((s) => s.close());
		await rm(join(otherDir, "sigil.db"));
		const other = new DatabaseSync(join(otherDir, "sigil.db"));
		other.exec(
			"CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('hi')",
		);
		other.close();
		await rejectsWith(
			openSqliteStore({ dataDir: otherDir, masterKey: randomBytes(32) }),
			"STORE_FOREIGN",
		);
		const check = new DatabaseSync(join(otherDir, "sigil.db"));
		assert.equal(
			(
				check.prepare("SELECT count(*) AS n FROM sqlite_master").get() as {
					n: number;
				}
			).n,
			1,
			"nothing was added",
		);
		check.close();
	});

	test("a damaged file is refused as corrupt, never re-initialised", async () => {
		const dataDir = await tempDir();
		const masterKey = randomBytes(32);
		const store = await openSqliteStore({ dataDir, masterKey });
		const { accountId } = await store.accounts.create({ name: "root" });
		for (let i = 0; i < 40; i++)
			await store.secrets.put(accountId, `s${i}`, randomBytes(2000));
		await store.close();
		const path = join(dataDir, "sigil.db");
		const bytes = await readFile(path);
		assert.ok(bytes.length > 8 * 4096, "enough pages to damage");
		randomBytes(4096 * 4).copy(bytes, 4096 * 2);
		await writeFile(path, bytes);
		await rejectsWith(openSqliteStore({ dataDir, masterKey }), "STORE_CORRUPT");
		assert.equal(
			(await readFile(path)).length,
			bytes.length,
			"the damaged file is kept for recovery",
		);
	});

	test("a schema newer than the code, or missing meta rows, is refused", async () => {
		const dataDir = await tempDir();
		const masterKey = randomBytes(32);
		await openSqliteStore({ dataDir, masterKey }).then((s) => s.close());
		const path = join(dataDir, "sigil.db");
		let db = new DatabaseSync(path);
		db.exec("UPDATE sigil_meta SET value = '999' WHERE key = 'schema_version'");
		db.close();
		await rejectsWith(
			openSqliteStore({ dataDir, masterKey }),
			"STORE_SCHEMA_TOO_NEW",
		);
		db = new DatabaseSync(path);
		db.exec(
			"UPDATE sigil_meta SET value = '1' WHERE key = 'schema_version'; DELETE FROM sigil_meta WHERE key = 'master_key_check'",
		);
		db.close();
		await rejectsWith(openSqliteStore({ dataDir, masterKey }), "STORE_CORRUPT");
	});

	test("the database file is owner-only", async () => {
		const dataDir = await tempDir();
		await openSqliteStore({ dataDir, masterKey: randomBytes(32) }).then((s) =>
			s.close(),
		);
		assert.equal((await stat(join(dataDir, "sigil.db"))).mode & 0o777, 0o600);
		assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
	});

	test("two connections on one file (worker threads) never claim the same job", async () => {
		const dataDir = await tempDir();
		const masterKey = randomBytes(32);
		const store = await openSqliteStore({ dataDir, masterKey });
		const { accountId } = await store.accounts.create({ name: "root" });
		const ids = new Set<string>();
		for (let i = 0; i < 200; i++)
			ids.add(
				(
					await store.jobs.enqueue({
						accountId,
						functionName: "f",
						payload: Buffer.from(String(i)),
						notBefore: 0,
					})
				).id,
			);
		await store.close();
		const module = new URL("../src/store/sqlite/open.ts", import.meta.url).href;
		const code = `
			const { workerData, parentPort } = require("node:worker_threads");
			import(workerData.module).then(async ({ openSqliteStore }) => {
				const store = await openSqliteStore({ dataDir: workerData.dataDir, masterKey: Buffer.from(workerData.key, "hex"), integrityCheck: false });
				const got = [];
				for (;;) {
					const jobs = await store.jobs.claim(1, 3, 60000);
					if (jobs.length === 0) break;
					for (const j of jobs) got.push(j.id);
				}
				await store.close();
				parentPort.postMessage(got);
			});`;
		const run = () =>
			new Promise<string[]>((resolve, reject) => {
				const worker = new Worker(code, {
					eval: true,
					workerData: { module, dataDir, key: masterKey.toString("hex") },
				});
				worker.once("message", resolve);
				worker.once("error", reject);
			});
		const results = await Promise.all([run(), run(), run()]);
		const all = results.flat();
		assert.equal(new Set(all).size, all.length, "no job claimed twice");
		assert.deepEqual(new Set(all), ids, "every job claimed once");
	});

	test("a worker process killed with SIGKILL mid-job loses nothing", async () => {
		const dataDir = await tempDir();
		const masterKey = randomBytes(32);
		const module = new URL("../src/store/sqlite/open.ts", import.meta.url).href;
		const script = `
			const { openSqliteStore } = await import(${JSON.stringify(module)});
			const store = await openSqliteStore({ dataDir: ${JSON.stringify(dataDir)}, masterKey: Buffer.from(${JSON.stringify(masterKey.toString("hex"))}, "hex") });
			const { accountId } = await store.accounts.create({ name: "root" });
			const job = await store.jobs.enqueue({ id: "job-1", accountId, functionName: "f", payload: Buffer.from("payload"), notBefore: 0 });
			await store.jobs.claim(1000, 1, 5000);
			process.kill(process.pid, "SIGKILL");`;
		const child = spawnSync(
			process.execPath,
			["--input-type=module", "-e", script],
			{ encoding: "utf8" },
		);
		assert.equal(child.signal, "SIGKILL", child.stderr);
		const store = await openSqliteStore({ dataDir, masterKey });
		try {
			const seen = await store.jobs.get("job-1");
			assert.deepEqual(
				[seen?.status, seen?.attempts, seen?.payload.toString()],
				["running", 1, "payload"],
			);
			assert.deepEqual(await store.jobs.claim(5999, 1, 5000), []);
			const [again] = await store.jobs.claim(6000, 1, 5000);
			assert.deepEqual([again?.id, again?.attempts], ["job-1", 2]);
		} finally {
			await store.close();
		}
	});
});

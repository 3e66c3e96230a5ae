// Function names as a hostile tenant sees them: one URL namespace shared by every account.
// Two accounts racing for a name, a burst of identical deploys, a flood of names that do not
// exist, and an old database that already holds a duplicate. Each case was shown to fail on the
// code before the fix (both racers won; identical deploys answered 500 ENOTEMPTY; every unknown
// name scanned all accounts; the migration did not exist).
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import { bundleBytes, materialiseBundle } from "../../src/functions/bundle.ts";
import { FunctionRegistry } from "../../src/functions/registry.ts";
import { SecretBox } from "../../src/store/secret-box.ts";
import { MIGRATIONS } from "../../src/store/sqlite/migrations.ts";
import { openSqliteStore } from "../../src/store/sqlite/open.ts";
import type { Store } from "../../src/store/store.ts";
import {
	signedFetch,
	startTestGateway,
	type TestGateway,
} from "../helpers/gateway.ts";
import { callUrl, createAccount, type Keys } from "../helpers/iam.ts";

const handler = (says: string) =>
	`export const handler = async () => ({ statusCode: 200, headers: { "content-type": "text/plain" }, body: ${JSON.stringify(says)} });`;

function deployBody(says: string): string {
	return JSON.stringify({
		config: { runtime: "node", trigger: { auth: "aws_iam" } },
		code: {
			files: [
				{
					path: "index.mjs",
					mode: 0o644,
					data: Buffer.from(handler(says)).toString("base64"),
				},
			],
		},
	});
}

function deploy(
	gw: TestGateway,
	name: string,
	keys: Keys,
	says: string,
): Promise<Response> {
	return signedFetch(gw.url, "PUT", `/sigil/v1/functions/${name}`, {
		credentials: keys,
		body: deployBody(says),
		headers: { "content-type": "application/json" },
	});
}

let gw: TestGateway;
let a: { accountId: string; keys: Keys };
let b: { accountId: string; keys: Keys };

before(async () => {
	gw = await startTestGateway();
	a = await createAccount(gw, "tenant-a");
	b = await createAccount(gw, "tenant-b");
});
after(() => gw.stop());

describe("two accounts racing for one function name", () => {
	test("exactly one deploy wins, the other gets 409, and the URL serves the winner", async () => {
		// Several rounds: a check-then-insert race needs only one lucky interleaving to show.
		for (let round = 0; round < 6; round++) {
			const name = `contested-${round}`;
			const [ra, rb] = await Promise.all([
				deploy(gw, name, a.keys, "A"),
				deploy(gw, name, b.keys, "B"),
			]);
			const answers = [
				{ who: "A", res: ra, text: await ra.text(), keys: a.keys, acct: a },
				{ who: "B", res: rb, text: await rb.text(), keys: b.keys, acct: b },
			];
			const won = answers.filter((x) => x.res.status < 300);
			const lost = answers.filter((x) => x.res.status >= 300);
			assert.equal(
				won.length,
				1,
				`round ${round}: ${answers.map((x) => `${x.who} ${x.res.status} ${x.text}`).join(" | ")}`,
			);
			const winner = won[0] as (typeof answers)[number];
			const loser = lost[0] as (typeof answers)[number];
			assert.equal(winner.res.status, 201);
			assert.equal(loser.res.status, 409, loser.text);
			assert.match(loser.text, /taken by another account/);
			assert.ok(
				!loser.text.includes(winner.acct.accountId),
				"the conflict does not say which account holds the name",
			);
			const served = await callUrl(gw, name, winner.keys);
			assert.equal(served.status, 200);
			assert.equal(await served.text(), winner.who);
			// The store holds the name once, in the winner's account only.
			const store = gw.gateway.store;
			assert.ok(await store.functions.get(winner.acct.accountId, name));
			assert.equal(
				await store.functions.get(loser.acct.accountId, name),
				undefined,
			);
		}
	});

	test("the owner may redeploy its name; the other account still may not", async () => {
		const name = "owned-once";
		assert.equal((await deploy(gw, name, a.keys, "A1")).status, 201);
		assert.equal((await deploy(gw, name, a.keys, "A2")).status, 200);
		const refused = await deploy(gw, name, b.keys, "B");
		assert.equal(refused.status, 409);
		assert.equal(await (await callUrl(gw, name, a.keys)).text(), "A2");
	});
});

describe("identical code deployed many times at once", () => {
	test("N concurrent deploys of one function with identical code all succeed", async () => {
		const answers = await Promise.all(
			Array.from({ length: 12 }, () => deploy(gw, "burst", a.keys, "same")),
		);
		const statuses = await Promise.all(
			answers.map(
				async (r) => `${r.status} ${r.status >= 300 ? await r.text() : ""}`,
			),
		);
		assert.ok(
			answers.every((r) => r.status === 200 || r.status === 201),
			statuses.join("\n"),
		);
		assert.equal(answers.filter((r) => r.status === 201).length, 1);
		assert.equal(await (await callUrl(gw, "burst", a.keys)).text(), "same");
	});

	test("N concurrent deploys of different functions sharing one bundle all succeed", async () => {
		const answers = await Promise.all(
			Array.from({ length: 12 }, (_, i) =>
				deploy(gw, `twin-${i}`, b.keys, "twin"),
			),
		);
		const statuses = await Promise.all(
			answers.map(
				async (r) => `${r.status} ${r.status >= 300 ? await r.text() : ""}`,
			),
		);
		assert.ok(
			answers.every((r) => r.status === 201),
			statuses.join("\n"),
		);
		for (let i = 0; i < 12; i++)
			assert.equal(
				await (await callUrl(gw, `twin-${i}`, b.keys)).text(),
				"twin",
			);
		// One content-addressed folder, no temporary folder left behind.
		const code = await readdir(join(gw.dataDir, "code"));
		assert.deepEqual(
			code.filter((f) => f.includes("tmp")),
			[],
			code.join(", "),
		);
	});
});

describe("unpacking one bundle many times at once", () => {
	test("50 concurrent unpackings of one bundle all get the same complete folder", async () => {
		const root = await mkdtemp(join(tmpdir(), "sigil-unpack-"));
		try {
			const files = Array.from({ length: 40 }, (_, i) => ({
				path: `lib/part-${i}.mjs`,
				mode: 0o644,
				data: Buffer.from(`export const n = ${i};`),
			}));
			const { bytes, sha256 } = bundleBytes(files);
			let loads = 0;
			const dirs = await Promise.all(
				Array.from({ length: 50 }, () =>
					materialiseBundle(root, sha256, async () => {
						loads++;
						return bytes;
					}),
				),
			);
			assert.equal(new Set(dirs).size, 1);
			const dir = dirs[0] as string;
			assert.equal((await readdir(join(dir, "lib"))).length, 40);
			assert.deepEqual(
				await readdir(root),
				[sha256],
				"no temporary folder left",
			);
			// Already there: no load, same folder, untouched (a live runtime may be reading it).
			const again = await materialiseBundle(root, sha256, async () => {
				throw new Error("must not load an unpacked bundle again");
			});
			assert.equal(again, dir);
			assert.ok(loads >= 1);
			// A folder without the completion marker (an interrupted unpack of an older Sigil) is
			// replaced, not trusted.
			const other = bundleBytes([
				{ path: "index.mjs", mode: 0o644, data: Buffer.from("x") },
			]);
			await mkdir(join(root, other.sha256, "junk"), { recursive: true });
			const fixed = await materialiseBundle(
				root,
				other.sha256,
				async () => other.bytes,
			);
			assert.deepEqual((await readdir(fixed)).sort(), [
				".sigil-complete",
				"index.mjs",
			]);
		} finally {
			await rm(root, { recursive: true, force: true });
		}
	});
});

describe("a flood of names that do not exist", () => {
	test("over HTTP every unknown name gets the same answer, never a 5xx", async () => {
		const statuses = new Set<number>();
		for (let i = 0; i < 10; i++) {
			const batch = await Promise.all(
				Array.from({ length: 30 }, () =>
					fetch(`${gw.url}/function/nope-${randomUUID()}/`),
				),
			);
			for (const r of batch) {
				statuses.add(r.status);
				await r.body?.cancel();
			}
		}
		assert.equal(statuses.size, 1, [...statuses].join(", "));
		assert.ok(([...statuses][0] as number) < 500);
	});

	test("the registry probes the name index once per name per TTL, and its negative cache stays bounded", async () => {
		const dir = await mkdtemp(join(tmpdir(), "sigil-names-"));
		const store = await openSqliteStore({
			dataDir: join(dir, "data"),
			masterKey: randomBytes(32),
		});
		try {
			const { accountId } = await store.accounts.create({ name: "root" });
			for (let i = 0; i < 5; i++)
				await store.accounts.create({ name: `other-${i}` });
			const { counted, calls } = countingStore(store);
			const registry = new FunctionRegistry({
				store: counted,
				dataDir: join(dir, "data"),
				region: "us-east-1",
				negativeCacheMax: 100,
				negativeCacheTtlMs: 60_000,
			});
			try {
				// The same unknown name, many times, some at once: one index probe in all.
				await Promise.all(
					Array.from({ length: 20 }, () => registry.lookup("ghost")),
				);
				for (let i = 0; i < 20; i++)
					assert.equal(await registry.lookup("ghost"), undefined);
				assert.equal(calls.findByName, 1, JSON.stringify(calls));
				assert.equal(calls.accountsList, 0, "no scan of all accounts");
				assert.equal(calls.get, 0, "no per-account probe");

				// A flood of random names: one probe each, and the cache never passes its bound.
				for (let i = 0; i < 1_000; i++) {
					assert.equal(await registry.lookup(`r-${i}`), undefined);
					assert.ok(
						registry.negativeCacheSize <= 100,
						`negative cache at ${registry.negativeCacheSize}`,
					);
				}
				assert.equal(calls.findByName, 1_001);
				assert.equal(calls.accountsList, 0);

				// Deploying a name on this gateway drops its negative entry at once.
				assert.equal(await registry.lookup("soon"), undefined);
				await registry.deploy(
					accountId,
					"soon",
					{ runtime: "node", trigger: { auth: "none" } },
					{
						files: [
							{
								path: "index.mjs",
								mode: 0o644,
								data: Buffer.from(handler("soon")).toString("base64"),
							},
						],
					},
				);
				assert.equal((await registry.lookup("soon"))?.name, "soon");
			} finally {
				await registry.close(0);
			}
		} finally {
			await store.close();
			await rm(dir, { recursive: true, force: true });
		}
	});
});

describe("an existing database with a duplicate name", () => {
	test("the migration stops with a clear message and drops no row", async () => {
		const dir = await mkdtemp(join(tmpdir(), "sigil-dup-"));
		const masterKey = randomBytes(32);
		try {
			const path = join(dir, "sigil.db");
			// A database exactly as schema version 1 left it: names unique per account only.
			const raw = new DatabaseSync(path);
			raw.exec(`PRAGMA application_id = ${0x5349474c}`);
			raw.exec(
				"CREATE TABLE sigil_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT",
			);
			const meta = raw.prepare(
				"INSERT INTO sigil_meta (key, value) VALUES (?, ?)",
			);
			meta.run("installation_id", randomUUID());
			meta.run(
				"master_key_check",
				new SecretBox(masterKey).checkValue().toString("hex"),
			);
			meta.run("created_at", String(Date.now()));
			raw.exec((MIGRATIONS[0] as { sql: string }).sql);
			meta.run("schema_version", "1");
			const acct = raw.prepare(
				"INSERT INTO accounts (account_id, name, is_root, created_at) VALUES (?, ?, ?, 0)",
			);
			acct.run("111111111111", "one", 1);
			acct.run("222222222222", "two", 0);
			const fn = raw.prepare(
				"INSERT INTO functions (account_id, name, config, revision, code_sha256, code_size, created_at, updated_at) VALUES (?, ?, '{}', 1, 'x', 1, 0, 0)",
			);
			fn.run("111111111111", "twice");
			fn.run("222222222222", "twice");
			fn.run("111111111111", "alone");
			raw.close();

			await assert.rejects(
				openSqliteStore({ dataDir: dir, masterKey }),
				(err: Error) => {
					assert.match(err.message, /twice/);
					assert.match(err.message, /more than one account/);
					assert.doesNotMatch(err.message, /alone/);
					return true;
				},
			);
			const check = new DatabaseSync(path, { readOnly: true });
			try {
				const rows = check
					.prepare("SELECT account_id, name FROM functions ORDER BY rowid")
					.all();
				assert.equal(rows.length, 3, "no row was dropped");
			} finally {
				check.close();
			}
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});

/** The store with counters on the calls a name lookup could make. */
function countingStore(store: Store): {
	counted: Store;
	calls: { findByName: number; get: number; accountsList: number };
} {
	const calls = { findByName: 0, get: 0, accountsList: 0 };
	const functions = new Proxy(store.functions, {
		get(target, prop) {
			const value = Reflect.get(target, prop, target);
			if (typeof value !== "function") return value;
			return (...args: unknown[]) => {
				if (prop === "findByName") calls.findByName++;
				if (prop === "get") calls.get++;
				return value.apply(target, args);
			};
		},
	});
	const accounts = new Proxy(store.accounts, {
		get(target, prop) {
			const value = Reflect.get(target, prop, target);
			if (typeof value !== "function") return value;
			return (...args: unknown[]) => {
				if (prop === "list") calls.accountsList++;
				return value.apply(target, args);
			};
		},
	});
	const counted = new Proxy(store, {
		get(target, prop) {
			if (prop === "functions") return functions;
			if (prop === "accounts") return accounts;
			const value = Reflect.get(target, prop, target);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
	return { counted, calls };
}

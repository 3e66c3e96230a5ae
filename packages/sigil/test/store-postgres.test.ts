// The PostgreSQL adapter: the shared contract in a fresh schema per store, plus what only a shared
// server can show — ciphertext at rest, refusal of a newer schema, a wrong key or a foreign
// schema, and several stores (as several gateways) racing one database.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import pg from "pg";
import { isStoreError } from "../src/store/errors.ts";
import { AUDIT_LOCK } from "../src/store/postgres/audit.ts";
import {
	LATEST_VERSION,
	MIGRATIONS,
} from "../src/store/postgres/migrations.ts";
import { openPostgresStore } from "../src/store/postgres/open.ts";
import { SecretBox } from "../src/store/secret-box.ts";
import { openSqliteStore } from "../src/store/sqlite/open.ts";
import type { AuditQuery, Store } from "../src/store/store.ts";
import { plainAuditRecord } from "./helpers/audit.ts";
import {
	adminQuery,
	dropSchema,
	freshSchema,
	PG_URL,
	pgSkip,
	startPgProxy,
} from "./pg-harness.ts";
import {
	type MakeStore,
	rejectsWith,
	runStoreContract,
	type StoreHarness,
} from "./store-contract.ts";

const skip = await pgSkip();
const schemas = new Set<string>();
after(async () => {
	await Promise.all([...schemas].map((s) => dropSchema(s).catch(() => {})));
});

function newSchema(): string {
	const schema = freshSchema();
	schemas.add(schema);
	return schema;
}

const makePostgres: MakeStore = async (options) => {
	const schema = newSchema();
	const masterKey = randomBytes(32);
	const open = () =>
		openPostgresStore({
			connectionString: PG_URL,
			masterKey,
			schema,
			...options,
		});
	const h: StoreHarness = {
		store: await open(),
		reopen: open,
		async cleanup() {
			await h.store.close();
			await dropSchema(schema);
			schemas.delete(schema);
		},
	};
	return h;
};

if (skip) describe("Store contract: postgres", { skip }, () => {});
else runStoreContract("postgres", makePostgres);

/** Every text and bytea value of every table of `schema`, as one buffer to search. */
async function everyValue(schema: string): Promise<Buffer> {
	const tables = await adminQuery<{ table_name: string }>(
		"SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
		[schema],
	);
	const parts: Buffer[] = [];
	for (const { table_name } of tables) {
		for (const row of await adminQuery(
			`SELECT * FROM ${schema}."${table_name}"`,
		)) {
			for (const value of Object.values(row)) {
				if (typeof value === "string") parts.push(Buffer.from(value));
				else if (Buffer.isBuffer(value)) parts.push(value);
			}
		}
	}
	return Buffer.concat(parts);
}

describe("PostgreSQL store", { skip }, () => {
	test("secrets, keys and job contents are ciphertext at rest; a ciphertext moved to another row fails", async () => {
		const schema = newSchema();
		const masterKey = randomBytes(32);
		const store = await openPostgresStore({
			connectionString: PG_URL,
			masterKey,
			schema,
		});
		try {
			const { accountId } = await store.accounts.create({ name: "root" });
			const k1 = await store.accessKeys.create({ accountId });
			const k2 = await store.accessKeys.create({ accountId });
			const secretValue = "correct horse battery staple 0123456789";
			await store.secrets.put(accountId, "one", Buffer.from(secretValue));
			await store.secrets.put(accountId, "two", Buffer.from("another value"));
			const job = await store.jobs.enqueue({
				accountId,
				functionName: "f",
				payload: Buffer.from("job payload sentinel 4242"),
				headers: { hmac: "sha256=header-sentinel-4343" },
				callbackUrl: "https://cb.example/?token=callback-sentinel-4444",
				notBefore: 0,
			});
			const [claimed] = await store.jobs.claim(1, 1, 1000);
			await store.jobs.complete(
				job.id,
				claimed?.leaseToken as string,
				Buffer.from("result sentinel 4545"),
				2,
			);
			const values = await everyValue(schema);
			for (const clear of [
				k1.secretAccessKey,
				k2.secretAccessKey,
				secretValue,
				"job payload sentinel 4242",
				"header-sentinel-4343",
				"callback-sentinel-4444",
				"result sentinel 4545",
			])
				assert.equal(
					values.includes(Buffer.from(clear)),
					false,
					`${clear} is nowhere in clear`,
				);
			assert.ok(
				values.includes(Buffer.from(k1.accessKeyId)),
				"the search itself finds what is stored in clear",
			);
			await adminQuery(
				`UPDATE ${schema}.access_keys SET secret = (SELECT secret FROM ${schema}.access_keys WHERE access_key_id = $1) WHERE access_key_id = $2`,
				[k2.accessKeyId, k1.accessKeyId],
			);
			await adminQuery(
				`UPDATE ${schema}.secrets SET value = (SELECT value FROM ${schema}.secrets WHERE name = 'two') WHERE name = 'one'`,
			);
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
			);
		} finally {
			await store.close();
		}
	});

	test("a schema of a newer Sigil, another master key and a foreign schema are refused", async () => {
		const schema = newSchema();
		const masterKey = randomBytes(32);
		const open = (key = masterKey, s = schema) =>
			openPostgresStore({
				connectionString: PG_URL,
				masterKey: key,
				schema: s,
			});
		await (await open()).close();
		await rejectsWith(open(randomBytes(32)), "STORE_MASTER_KEY_MISMATCH");
		await adminQuery(
			`UPDATE ${schema}.sigil_meta SET value = '999' WHERE key = 'schema_version'`,
		);
		await assert.rejects(open(), (err: unknown) => {
			assert.ok(isStoreError(err, "STORE_SCHEMA_TOO_NEW"), String(err));
			assert.match(err.message, /schema version 999/);
			assert.match(err.message, new RegExp(`knows up to ${LATEST_VERSION}`));
			return true;
		});
		const foreign = newSchema();
		await adminQuery(`CREATE SCHEMA ${foreign}`);
		await adminQuery(`CREATE TABLE ${foreign}.orders (id int)`);
		await rejectsWith(open(masterKey, foreign), "STORE_FOREIGN");
		await rejectsWith(open(masterKey, "Bad-Schema"), "STORE_INVALID");
	});

	test("an unreachable server is STORE_BUSY naming the server, not a hang", async () => {
		const started = Date.now();
		await assert.rejects(
			openPostgresStore({
				connectionString: "postgres://root@127.0.0.1:1/test",
				masterKey: randomBytes(32),
				schema: newSchema(),
				connectionTimeoutMs: 2000,
			}),
			(err: unknown) => {
				assert.ok(isStoreError(err, "STORE_BUSY"), String(err));
				assert.match(err.message, /127\.0\.0\.1:1\/test/);
				return true;
			},
		);
		assert.ok(Date.now() - started < 5000);
	});

	test("two gateways migrating one schema at once: it is migrated once, both open", async () => {
		const schema = newSchema();
		const masterKey = randomBytes(32);
		const stores = await Promise.all(
			Array.from({ length: 4 }, () =>
				openPostgresStore({ connectionString: PG_URL, masterKey, schema }),
			),
		);
		try {
			assert.equal(
				new Set(stores.map((s) => s.meta.installationId)).size,
				1,
				"one installation",
			);
			for (const s of stores)
				assert.equal(s.meta.schemaVersion, LATEST_VERSION);
			const meta = await adminQuery<{ key: string; value: string }>(
				`SELECT key, value FROM ${schema}.sigil_meta ORDER BY key`,
			);
			assert.deepEqual(
				meta.map((r) => r.key),
				["created_at", "installation_id", "master_key_check", "schema_version"],
			);
			const { accountId } = await (stores[0] as Store).accounts.create({
				name: "root",
			});
			assert.equal(
				(await (stores[3] as Store).accounts.root())?.accountId,
				accountId,
				"every store sees one database",
			);
		} finally {
			await Promise.all(stores.map((s) => s.close()));
		}
	});

	test("two gateways racing for function names: exactly one wins each, the other gets STORE_CONFLICT", async () => {
		const schema = newSchema();
		const masterKey = randomBytes(32);
		const open = () =>
			openPostgresStore({ connectionString: PG_URL, masterKey, schema });
		const [s1, s2] = [await open(), await open()] as [Store, Store];
		try {
			const a = await s1.accounts.create({ name: "a" });
			const b = await s2.accounts.create({ name: "b" });
			const code = Buffer.from("export const handler = () => 1;");
			const names = Array.from({ length: 25 }, (_, i) => `raced-${i}`);
			const results = await Promise.all(
				names.map(async (name) => {
					const outcomes = await Promise.allSettled([
						s1.functions.put({
							accountId: a.accountId,
							name,
							config: {},
							code,
						}),
						s2.functions.put({
							accountId: b.accountId,
							name,
							config: {},
							code,
						}),
					]);
					return { name, outcomes };
				}),
			);
			for (const { name, outcomes } of results) {
				const won = outcomes.filter((o) => o.status === "fulfilled");
				assert.equal(won.length, 1, `${name}: one winner`);
				const lost = outcomes.find((o) => o.status === "rejected");
				assert.ok(
					lost && isStoreError(lost.reason, "STORE_CONFLICT"),
					`${name}: the loser gets STORE_CONFLICT (${String(lost?.status === "rejected" && lost.reason)})`,
				);
				const holder = await s1.functions.findByName(name);
				const winner = outcomes[0]?.status === "fulfilled" ? a : b;
				assert.equal(holder?.accountId, winner.accountId);
				assert.equal(holder?.revision, 1);
			}
			// Same account, two gateways at once: both deploys land, as revisions 1 and 2.
			const same = await Promise.all([
				s1.functions.put({
					accountId: a.accountId,
					name: "twice",
					config: {},
					code,
				}),
				s2.functions.put({
					accountId: a.accountId,
					name: "twice",
					config: {},
					code,
				}),
			]);
			assert.deepEqual(same.map((r) => r.revision).sort(), [1, 2]);
		} finally {
			await Promise.all([s1.close(), s2.close()]);
		}
	});

	test("many concurrent claims from three gateways: every job is claimed exactly once", async () => {
		const schema = newSchema();
		const masterKey = randomBytes(32);
		const open = () =>
			openPostgresStore({ connectionString: PG_URL, masterKey, schema });
		const stores = [await open(), await open(), await open()];
		try {
			const { accountId } = await (stores[0] as Store).accounts.create({
				name: "root",
			});
			const ids = new Set<string>();
			await Promise.all(
				Array.from({ length: 300 }, async (_, i) => {
					const job = await (stores[i % 3] as Store).jobs.enqueue({
						accountId,
						functionName: "f",
						payload: Buffer.from(String(i)),
						notBefore: 0,
					});
					ids.add(job.id);
				}),
			);
			const claimed: string[] = [];
			// 3 gateways × 8 workers, each claiming up to 5 at a time until the queue is empty.
			await Promise.all(
				stores.flatMap((store) =>
					Array.from({ length: 8 }, async () => {
						for (;;) {
							const batch = await store.jobs.claim(1, 5, 60_000);
							if (batch.length === 0) return;
							for (const job of batch) claimed.push(job.id);
						}
					}),
				),
			);
			assert.equal(claimed.length, 300, "no job claimed twice, none missed");
			assert.equal(new Set(claimed).size, 300);
			assert.deepEqual([...claimed].sort(), [...ids].sort());
			assert.equal(await (stores[1] as Store).jobs.countQueued(), 0);
		} finally {
			await Promise.all(stores.map((s) => s.close()));
		}
	});

	test("statements and lock waits are bounded: a row held elsewhere costs STORE_BUSY after the timeout, not a hang", async () => {
		const schema = newSchema();
		const store = await openPostgresStore({
			connectionString: PG_URL,
			masterKey: randomBytes(32),
			schema,
			statementTimeoutMs: 300,
		});
		const holder = new pg.Client({ connectionString: PG_URL });
		await holder.connect();
		try {
			const { accountId } = await store.accounts.create({ name: "root" });
			const key = await store.accessKeys.create({ accountId });
			await holder.query("BEGIN");
			await holder.query(
				`SELECT 1 FROM ${schema}.access_keys WHERE access_key_id = $1 FOR UPDATE`,
				[key.accessKeyId],
			);
			const started = Date.now();
			await rejectsWith(
				store.accessKeys.setStatus(key.accessKeyId, "Inactive"),
				"STORE_BUSY",
			);
			const waited = Date.now() - started;
			assert.ok(waited >= 250 && waited < 3000, `waited ${waited} ms`);
			await holder.query("ROLLBACK");
			await store.accessKeys.setStatus(key.accessKeyId, "Inactive");
		} finally {
			await holder.end();
			await store.close();
		}
	});

	test("the pool is bounded, and connections killed by the server are replaced by themselves", async () => {
		const applicationName = `sigil-test-${randomBytes(4).toString("hex")}`;
		const store = await openPostgresStore({
			connectionString: PG_URL,
			masterKey: randomBytes(32),
			schema: newSchema(),
			maxConnections: 3,
			applicationName,
			onBackgroundError: () => {},
		});
		const sessions = async () =>
			(
				await adminQuery<{ n: number }>(
					"SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
					[applicationName],
				)
			)[0]?.n ?? 0;
		try {
			const { accountId } = await store.accounts.create({ name: "root" });
			let peak = 0;
			let running = true;
			const sampler = (async () => {
				while (running) {
					peak = Math.max(peak, await sessions());
					await new Promise((r) => setTimeout(r, 5));
				}
			})();
			await Promise.all(
				Array.from({ length: 60 }, (_, i) =>
					store.replay.firstSighting("s", `id-${i}`, 2000, 1000),
				),
			);
			running = false;
			await sampler;
			assert.ok(peak >= 1 && peak <= 3, `peak ${peak} sessions`);
			await adminQuery(
				"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
				[applicationName],
			);
			await new Promise((r) => setTimeout(r, 100));
			// Killed while idle: the pool has dropped them; the next statements get new sessions.
			assert.equal((await store.accounts.get(accountId))?.name, "root");
			assert.equal(await store.jobs.countQueued(), 0);
		} finally {
			await store.close();
		}
	});

	test("a schema of an older version is upgraded step by step, its rows kept", async () => {
		const schema = newSchema();
		const masterKey = randomBytes(32);
		const v1 = MIGRATIONS.find((m) => m.version === 1);
		assert.ok(v1);
		// A database as the first release left it: meta rows at version 1 and its tables.
		const client = new pg.Client({ connectionString: PG_URL });
		await client.connect();
		try {
			await client.query(`CREATE SCHEMA ${schema}`);
			await client.query(`SET search_path TO ${schema}`);
			await client.query(
				"CREATE TABLE sigil_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
			);
			for (const [key, value] of [
				["installation_id", "00000000-0000-4000-8000-000000000001"],
				[
					"master_key_check",
					new SecretBox(masterKey).checkValue().toString("hex"),
				],
				["created_at", "1700000000000"],
				["schema_version", "1"],
			])
				await client.query("INSERT INTO sigil_meta VALUES ($1, $2)", [
					key,
					value,
				]);
			await client.query(v1.sql);
			await client.query(
				"INSERT INTO accounts VALUES ('123456789012', 'root', true, 1700000000000)",
			);
			await client.query(
				"INSERT INTO users VALUES ('123456789012', 'alice', 'Alice', 'AIDAAAAAAAAAAAAAAAAAA', '/', 1700000000000)",
			);
		} finally {
			await client.end();
		}
		const store = await openPostgresStore({
			connectionString: PG_URL,
			masterKey,
			schema,
		});
		try {
			assert.equal(store.meta.schemaVersion, LATEST_VERSION);
			assert.equal(
				store.meta.installationId,
				"00000000-0000-4000-8000-000000000001",
			);
			assert.equal(
				(await store.users.get("123456789012", "alice"))?.userName,
				"Alice",
			);
			// The later steps' tables work.
			await store.managedPolicies.create({
				accountId: "123456789012",
				policyName: "p",
				document: JSON.stringify({ Version: "2012-10-17", Statement: [] }),
			});
			await store.managedPolicies.attach("123456789012", "user", "alice", "p");
			assert.equal(
				(
					await store.managedPolicies.listAttached(
						"123456789012",
						"user",
						"ALICE",
					)
				).length,
				1,
			);
		} finally {
			await store.close();
		}
	});

	test("two gateways tagging one user at once cannot pass the 50-tag quota together", async () => {
		const schema = newSchema();
		const masterKey = randomBytes(32);
		const open = () =>
			openPostgresStore({ connectionString: PG_URL, masterKey, schema });
		const [s1, s2] = [await open(), await open()] as [Store, Store];
		try {
			const { accountId } = await s1.accounts.create({ name: "root" });
			await s1.users.create({ accountId, userName: "alice" });
			const tags = (prefix: string) =>
				Array.from({ length: 30 }, (_, i) => ({
					key: `${prefix}${i}`,
					value: "v",
				}));
			const outcomes = await Promise.allSettled([
				s1.tags.put(accountId, "user", "alice", tags("a")),
				s2.tags.put(accountId, "user", "ALICE", tags("b")),
			]);
			assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1);
			const lost = outcomes.find((o) => o.status === "rejected");
			assert.ok(lost && isStoreError(lost.reason, "STORE_TOO_LARGE"));
			assert.equal((await s2.tags.list(accountId, "user", "alice")).length, 30);
		} finally {
			await Promise.all([s1.close(), s2.close()]);
		}
	});

	test("the same operations give the same answers as the SQLite adapter (orders, case folding, errors)", async () => {
		const doc = JSON.stringify({ Version: "2012-10-17", Statement: [] });
		const script = async (s: Store): Promise<string> => {
			const out: unknown[] = [];
			const strip = (v: unknown) =>
				v === undefined
					? null
					: JSON.parse(
							JSON.stringify(v, (k, x) =>
								/(At|Id|Sha256)$/.test(k) ? "*" : x,
							),
						);
			const step = async (f: () => Promise<unknown>) => {
				try {
					out.push(strip(await f()));
				} catch (err) {
					out.push(`error ${(err as { code?: string }).code}`);
				}
			};
			const a = "123456789012";
			await s.accounts.create({ name: "root", accountId: a });
			const names = [
				"Zed",
				"alice",
				"Bob",
				"_x",
				"a.b",
				"A-b",
				"bob2",
				"ALPHA",
			];
			for (const n of names)
				await step(() => s.users.create({ accountId: a, userName: n }));
			await step(() => s.users.create({ accountId: a, userName: "ZED" }));
			for (const n of names)
				await step(() =>
					s.roles.create({ accountId: a, roleName: n, trustPolicy: doc }),
				);
			for (const n of names)
				await step(() => s.groups.create({ accountId: a, groupName: n }));
			for (const n of ["Pol", "apol", "_p", "Apol2"])
				await step(() =>
					s.managedPolicies.create({
						accountId: a,
						policyName: n,
						document: doc,
					}),
				);
			for (const n of ["Pol", "apol", "_p"]) {
				await step(() => s.managedPolicies.attach(a, "user", "zed", n));
				await step(() => s.managedPolicies.attach(a, "group", "BOB", n));
			}
			for (const n of ["x", "X", "Y", "_"])
				await step(() => s.policies.put(a, "user", "ALICE", n, doc));
			for (const n of ["gB", "ga", "GA"])
				await step(() => s.groups.putPolicy(a, "bob", n, doc));
			for (const n of ["Zed", "alice", "a.b"])
				await step(() => s.groups.addUser(a, "bob", n));
			await step(() =>
				s.tags.put(a, "user", "alice", [
					{ key: "Team", value: "1" },
					{ key: "env", value: "2" },
					{ key: "Ärger", value: "3" },
					{ key: "ärger", value: "4" },
					{ key: "_", value: "5" },
				]),
			);
			await step(() =>
				s.tags.put(a, "user", "alice", [{ key: "TEAM", value: "6" }]),
			);
			await step(() => s.tags.remove(a, "user", "alice", ["ENV"]));
			for (const n of ["zeta", "Alpha", "beta", "_f", "B-2"])
				await step(() =>
					s.functions.put({
						accountId: a,
						name: n,
						config: {},
						code: Buffer.from(n),
					}),
				);
			for (const n of ["s.b", "S_a", "a", "B"])
				await step(() => s.secrets.put(a, n, Buffer.from(n)));
			out.push(strip(await s.users.list(a)));
			out.push(strip(await s.roles.list(a)));
			out.push(strip(await s.groups.list(a)));
			out.push(strip(await s.groups.listUsers(a, "BOB")));
			out.push(strip(await s.groups.listGroupsForUser(a, "ZED")));
			out.push(strip(await s.groups.listPolicies(a, "bob")));
			out.push(strip(await s.groups.policiesForUser(a, "alice")));
			out.push(strip(await s.managedPolicies.list(a)));
			out.push(strip(await s.managedPolicies.listAttached(a, "user", "Zed")));
			out.push(strip(await s.managedPolicies.listEntities(a, "POL")));
			out.push(
				strip(await s.managedPolicies.groupDocumentsForUser(a, "alice")),
			);
			out.push(strip(await s.policies.list(a, "user", "alice")));
			out.push(strip(await s.tags.list(a, "user", "ALICE")));
			out.push(strip(await s.functions.list(a)));
			out.push(strip(await s.secrets.list(a)));
			await step(() => s.users.delete(a, "zed"));
			out.push(strip(await s.managedPolicies.list(a)));
			return JSON.stringify(out, null, 1);
		};
		const dataDir = join(await mkdtemp(join(tmpdir(), "sigil-diff-")), "data");
		const sqlite = await openSqliteStore({
			dataDir,
			masterKey: randomBytes(32),
		});
		const postgres = await openPostgresStore({
			connectionString: PG_URL,
			masterKey: randomBytes(32),
			schema: newSchema(),
		});
		try {
			assert.equal(await script(postgres), await script(sqlite));
		} finally {
			await Promise.all([sqlite.close(), postgres.close()]);
			await rm(dirname(dataDir), { recursive: true, force: true });
		}
	});

	test("a job whose sealed payload was moved from another row fails visibly at claim; the rest run", async () => {
		const schema = newSchema();
		const store = await openPostgresStore({
			connectionString: PG_URL,
			masterKey: randomBytes(32),
			schema,
		});
		try {
			const { accountId } = await store.accounts.create({ name: "root" });
			const a = await store.jobs.enqueue({
				accountId,
				functionName: "f",
				payload: Buffer.from("a"),
				notBefore: 0,
			});
			const b = await store.jobs.enqueue({
				accountId,
				functionName: "f",
				payload: Buffer.from("b"),
				notBefore: 0,
			});
			await adminQuery(
				`UPDATE ${schema}.jobs SET payload = (SELECT payload FROM ${schema}.jobs WHERE id = $1) WHERE id = $2`,
				[b.id, a.id],
			);
			const claimed = await store.jobs.claim(1, 10, 1000);
			assert.deepEqual(
				claimed.map((j) => [j.id, j.payload.toString()]),
				[[b.id, "b"]],
			);
			const failed = await store.jobs.list({ accountId, status: "failed" });
			assert.deepEqual(
				failed.map((j) => j.id),
				[a.id],
			);
			assert.match(failed[0]?.lastError ?? "", /cannot be read/);
			await rejectsWith(store.jobs.get(a.id), "STORE_DECRYPT_FAILED");
		} finally {
			await store.close();
		}
	});

	test("through a server outage: statements fail fast with STORE_BUSY, and work again by themselves once it is back", async () => {
		const proxy = await startPgProxy();
		const store = await openPostgresStore({
			connectionString: proxy.url,
			masterKey: randomBytes(32),
			schema: newSchema(),
			connectionTimeoutMs: 1000,
			onBackgroundError: () => {},
		});
		try {
			const { accountId } = await store.accounts.create({ name: "root" });
			proxy.down();
			const started = Date.now();
			await assert.rejects(store.accounts.get(accountId), (err: unknown) => {
				assert.ok(isStoreError(err, "STORE_BUSY"), String(err));
				assert.doesNotMatch(err.message, /root@/, "no user in the message");
				return true;
			});
			await rejectsWith(
				store.jobs.enqueue({
					accountId,
					functionName: "f",
					payload: Buffer.from("x"),
				}),
				"STORE_BUSY",
			);
			assert.ok(Date.now() - started < 5000, "fails fast, does not hang");
			proxy.up();
			assert.equal((await store.accounts.get(accountId))?.name, "root");
			const job = await store.jobs.enqueue({
				accountId,
				functionName: "f",
				payload: Buffer.from("y"),
			});
			assert.equal((await store.jobs.get(job.id))?.payload.toString(), "y");
		} finally {
			await store.close();
			await proxy.close();
		}
	});

	test("a NUL in free text (function logs, an error) is written as U+FFFD instead of failing the batch", async () => {
		const store = await openPostgresStore({
			connectionString: PG_URL,
			masterKey: randomBytes(32),
			schema: newSchema(),
		});
		try {
			const { accountId } = await store.accounts.create({ name: "root" });
			const record = {
				requestId: "r\0",
				time: 1,
				accountId,
				functionName: "f",
				principalArn: null,
				accessKeyId: null,
				scheme: "sigv4",
				outcome: "ALLOWED",
				httpStatus: 200,
				durationMs: 1,
				detail: { note: "a\0b" },
				logs: "binary\0output",
			};
			await store.audit.append(record);
			await store.audit.append({ ...record, requestId: "r2", logs: "fine" });
			const { records } = await store.audit.query({ accountId, after: 0 });
			assert.deepEqual(
				records.map((r) => [r.requestId, r.logs, r.detail]),
				[
					["r\uFFFD", "binary\uFFFDoutput", { note: "a\0b" }],
					["r2", "fine", { note: "a\0b" }],
				],
			);
			await store.jobs.enqueue({
				accountId,
				functionName: "f",
				payload: Buffer.from("\0"),
				notBefore: 0,
			});
			const [job] = await store.jobs.claim(1, 1, 1000);
			assert.equal(
				job?.payload.toString(),
				"\0",
				"payloads are bytes: kept as they are",
			);
			assert.equal(
				await store.jobs.fail(
					job?.id as string,
					job?.leaseToken as string,
					{ error: "bad\0" },
					2,
				),
				"failed",
			);
			assert.equal(
				(await store.jobs.get(job?.id as string))?.lastError,
				"bad\uFFFD",
			);
			await store.users.create({ accountId, userName: "alice" });
			await rejectsWith(
				store.tags.put(accountId, "user", "alice", [
					{ key: "k", value: "v\0" },
				]),
				"STORE_INVALID",
			);
		} finally {
			await store.close();
		}
	});

	test("an audit batch the server refuses for its data is dropped and reported, not retried forever", async () => {
		const errors: unknown[] = [];
		const store = await openPostgresStore({
			connectionString: PG_URL,
			masterKey: randomBytes(32),
			schema: newSchema(),
			onBackgroundError: (err) => errors.push(err),
		});
		try {
			const { accountId } = await store.accounts.create({ name: "root" });
			const record = {
				requestId: "bad",
				time: 1,
				accountId,
				functionName: null,
				principalArn: null,
				accessKeyId: null,
				scheme: "sigv4",
				outcome: "ALLOWED",
				httpStatus: 200.5, // not an INTEGER: the whole batch is refused
				durationMs: 1,
				detail: null,
				logs: "",
			};
			await store.audit.append(record);
			await rejectsWith(store.audit.flush(), "STORE_INVALID");
			await store.audit.append({
				...record,
				requestId: "good",
				httpStatus: 200,
			});
			await store.audit.flush();
			const { records } = await store.audit.query({ accountId, after: 0 });
			assert.deepEqual(
				records.map((r) => r.requestId),
				["good"],
			);
			assert.ok(
				errors.some((e) =>
					/1 audit record\(s\) could not be written/.test(String(e)),
				),
				String(errors),
			);
		} finally {
			await store.close();
		}
	});

	test("a full pool makes the next caller wait at most the connect timeout, then STORE_BUSY saying why", async () => {
		const schema = newSchema();
		const store = await openPostgresStore({
			connectionString: PG_URL,
			masterKey: randomBytes(32),
			schema,
			maxConnections: 1,
			connectionTimeoutMs: 300,
			statementTimeoutMs: 3000,
		});
		const holder = new pg.Client({ connectionString: PG_URL });
		await holder.connect();
		try {
			const { accountId } = await store.accounts.create({ name: "root" });
			const key = await store.accessKeys.create({ accountId });
			await holder.query("BEGIN");
			await holder.query(
				`SELECT 1 FROM ${schema}.access_keys WHERE access_key_id = $1 FOR UPDATE`,
				[key.accessKeyId],
			);
			// The one connection waits on the row lock...
			const waiting = store.accessKeys.setStatus(key.accessKeyId, "Inactive");
			await new Promise((r) => setTimeout(r, 50));
			// ...so the next statement finds no free connection.
			await assert.rejects(store.accounts.get(accountId), (err: unknown) => {
				assert.ok(isStoreError(err, "STORE_BUSY"), String(err));
				assert.match(err.message, /every pooled connection is busy/);
				return true;
			});
			await holder.query("ROLLBACK");
			await waiting;
			assert.equal(
				(await store.accessKeys.get(key.accessKeyId))?.status,
				"Inactive",
			);
		} finally {
			await holder.end();
			await store.close();
		}
	});

	test("audit batches of several gateways commit in id order: a follow cursor never skips a late commit", async () => {
		const schema = newSchema();
		const masterKey = randomBytes(32);
		const open = () =>
			openPostgresStore({ connectionString: PG_URL, masterKey, schema });
		const [writer, reader] = [await open(), await open()] as [Store, Store];
		const holder = new pg.Client({ connectionString: PG_URL });
		await holder.connect();
		try {
			const { accountId } = await writer.accounts.create({ name: "root" });
			const record = (requestId: string) => ({
				requestId,
				time: 1,
				accountId,
				functionName: null,
				principalArn: null,
				accessKeyId: null,
				scheme: "sigv4",
				outcome: "ALLOWED",
				httpStatus: 200,
				durationMs: 1,
				detail: null,
				logs: "",
			});
			// Another gateway's batch is in flight: it holds the audit lock, uncommitted.
			await holder.query(`SET search_path TO ${schema}`);
			await holder.query("BEGIN");
			await holder.query(AUDIT_LOCK);
			await writer.audit.append(record("later"));
			const flushed = writer.audit.flush();
			await new Promise((r) => setTimeout(r, 200));
			const { records } = await reader.audit.query({ accountId, after: 0 });
			assert.deepEqual(
				records,
				[],
				"the batch waits for the one before it to commit",
			);
			await holder.query("COMMIT");
			await flushed;
			const after = await reader.audit.query({ accountId, after: 0 });
			assert.deepEqual(
				after.records.map((r) => r.requestId),
				["later"],
			);
		} finally {
			await holder.end();
			await Promise.all([writer.close(), reader.close()]);
		}
	});

	test("audit queries filter by since and requestId as the SQLite store does", async () => {
		const run = async (s: Store) => {
			const { accountId } = await s.accounts.create({ name: "root" });
			for (let i = 0; i < 12; i++)
				await s.audit.append({
					requestId: `req-${i % 4}`,
					time: 1000 + i * 10,
					accountId,
					functionName: i % 2 ? "odd" : "even",
					principalArn: null,
					accessKeyId: null,
					scheme: "sigv4",
					outcome: "ALLOWED",
					httpStatus: 200,
					durationMs: 1,
					detail: { i },
					logs: "",
				});
			const ids = async (q: Omit<AuditQuery, "accountId">) =>
				(await s.audit.query({ accountId, ...q })).records.map(
					(r) => `${r.requestId}@${r.time}`,
				);
			return [
				await ids({ since: 1050 }),
				await ids({ since: 1049.5, after: 0, limit: 3 }),
				await ids({ requestId: "req-2" }),
				await ids({ requestId: "req-1", functionName: "odd", since: 1020 }),
				await ids({ requestId: "nope" }),
			];
		};
		const dataDir = join(await mkdtemp(join(tmpdir(), "sigil-since-")), "data");
		const sqlite = await openSqliteStore({
			dataDir,
			masterKey: randomBytes(32),
		});
		const postgres = await openPostgresStore({
			connectionString: PG_URL,
			masterKey: randomBytes(32),
			schema: newSchema(),
		});
		try {
			const [p, q] = [await run(postgres), await run(sqlite)];
			assert.deepEqual(p, q);
			assert.deepEqual(p[2], ["req-2@1020", "req-2@1060", "req-2@1100"]);
		} finally {
			await Promise.all([sqlite.close(), postgres.close()]);
			await rm(dirname(dataDir), { recursive: true, force: true });
		}
	});

	test("audit retention by age and by bytes per account, as the SQLite store keeps it", async () => {
		const now = 10_000_000;
		const bounds = {
			auditMaxAgeMs: 60_000,
			auditMaxBytes: 50_000,
			now: () => now,
		};
		const run = async (s: Store) => {
			const { accountId } = await s.accounts.create({ name: "r" });
			const record = (i: number, time: number, logs: string) =>
				plainAuditRecord({
					accountId,
					requestId: `req-${i}`,
					time,
					logs,
					outcome: "ALLOWED",
				});
			await s.audit.append(record(0, now - 120_000, "old"));
			for (let i = 1; i <= 10; i++)
				await s.audit.append(record(i, now, "x".repeat(10_000)));
			await s.audit.prune();
			return (await s.audit.query({ accountId, limit: 100 })).records.map(
				(r) => r.requestId,
			);
		};
		const dataDir = join(
			await mkdtemp(join(tmpdir(), "sigil-bounds-")),
			"data",
		);
		const sqlite = await openSqliteStore({
			dataDir,
			masterKey: randomBytes(32),
			...bounds,
		});
		const postgres = await openPostgresStore({
			connectionString: PG_URL,
			masterKey: randomBytes(32),
			schema: newSchema(),
			...bounds,
		});
		try {
			const ids = await run(postgres);
			assert.deepEqual(ids, ["req-7", "req-8", "req-9", "req-10"]);
			assert.deepEqual(ids, await run(sqlite));
		} finally {
			await Promise.all([sqlite.close(), postgres.close()]);
			await rm(dirname(dataDir), { recursive: true, force: true });
		}
	});
});

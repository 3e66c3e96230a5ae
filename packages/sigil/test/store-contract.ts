/**
 * The contract every `Store` adapter passes: SQLite today, PostgreSQL later. A library of tests
 * (no `.test.ts` suffix): an adapter's test file calls `runStoreContract` with a factory.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isStoreError, type StoreErrorCode } from "../src/store/errors.ts";
import type { Store } from "../src/store/store.ts";
import type {
	AttachmentKind,
	AuditInput,
	PrincipalKind,
} from "../src/store/types.ts";
import { runVersionContract } from "./store-contract-versions.ts";

/** A fresh, empty store; `reopen` closes nothing itself and opens the same data again. */
export interface StoreHarness {
	store: Store;
	cleanup(): Promise<void>;
	reopen?(): Promise<Store>;
}

export type MakeStore = (options?: {
	auditRetention?: number;
}) => Promise<StoreHarness>;

/** Asserts that `promise` rejects with a `StoreError` of `code`. */
export async function rejectsWith(
	promise: Promise<unknown>,
	code: StoreErrorCode,
): Promise<void> {
	await assert.rejects(promise, (err: unknown) => {
		assert.ok(isStoreError(err), `expected a StoreError, got ${String(err)}`);
		assert.equal(err.code, code, err.message);
		return true;
	});
}

const POLICY = JSON.stringify({
	Version: "2012-10-17",
	Statement: [
		{ Effect: "Allow", Action: "lambda:InvokeFunctionUrl", Resource: "*" },
	],
});
const TRUST = JSON.stringify({
	Version: "2012-10-17",
	Statement: [
		{
			Effect: "Allow",
			Principal: { Service: "lambda.amazonaws.com" },
			Action: "sts:AssumeRole",
		},
	],
});

/** Opens a store, runs `fn`, always cleans up. */
async function withStore(
	makeStore: MakeStore,
	fn: (store: Store, h: StoreHarness) => Promise<void>,
	options?: { auditRetention?: number },
): Promise<void> {
	const h = await makeStore(options);
	try {
		await fn(h.store, h);
	} finally {
		await h.cleanup();
	}
}

function auditInput(
	accountId: string,
	i: number,
	over: Partial<AuditInput> = {},
): AuditInput {
	return {
		requestId: `req-${i}`,
		time: 1_700_000_000_000 + i,
		accountId,
		functionName: i % 2 === 0 ? "even" : "odd",
		principalArn: `arn:aws:iam::${accountId}:root`,
		accessKeyId: null,
		scheme: "sigv4",
		outcome: "ALLOWED",
		httpStatus: 200,
		durationMs: 1.5,
		detail: { n: i },
		logs: `line ${i}\n`,
		...over,
	};
}

export function runStoreContract(name: string, makeStore: MakeStore): void {
	describe(`Store contract: ${name}`, () => {
		runVersionContract(makeStore);
		test("meta and accounts: the first account is the root, ids are 12 digits", async () => {
			await withStore(makeStore, async (store) => {
				assert.ok(store.meta.schemaVersion >= 1);
				assert.match(store.meta.installationId, /^[0-9a-f-]{36}$/);
				assert.equal(await store.accounts.root(), undefined);
				const root = await store.accounts.create({ name: "root" });
				assert.match(root.accountId, /^\d{12}$/);
				assert.equal(root.isRoot, true);
				const other = await store.accounts.create({
					name: "team",
					accountId: "000000000002",
				});
				assert.equal(other.isRoot, false);
				assert.deepEqual(await store.accounts.root(), root);
				assert.deepEqual(await store.accounts.get("000000000002"), other);
				assert.equal(await store.accounts.get("999999999999"), undefined);
				assert.equal((await store.accounts.list()).length, 2);
				await rejectsWith(
					store.accounts.create({ name: "dup", accountId: "000000000002" }),
					"STORE_CONFLICT",
				);
				await rejectsWith(
					store.accounts.create({ name: "bad", accountId: "12345" }),
					"STORE_INVALID",
				);
			});
		});

		test("a principal or attachment kind outside the adapter's map is refused, never looked up", async () => {
			// Table names come from fixed maps keyed by kind: `toString` and `__proto__` are keys of
			// every object's prototype, and must not reach the SQL as a table name.
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				for (const kind of ["toString", "__proto__", "group", "constructor"]) {
					const k = kind as PrincipalKind;
					await rejectsWith(
						store.tags.list(accountId, k, "x"),
						"STORE_INVALID",
					);
					await rejectsWith(
						store.tags.put(accountId, k, "x", [{ key: "a", value: "b" }]),
						"STORE_INVALID",
					);
					await rejectsWith(
						store.policies.list(accountId, k, "x"),
						"STORE_INVALID",
					);
					await rejectsWith(
						store.managedPolicies.getBoundary(accountId, k, "x"),
						"STORE_INVALID",
					);
				}
				for (const kind of ["toString", "__proto__"])
					await rejectsWith(
						store.managedPolicies.listAttached(
							accountId,
							kind as AttachmentKind,
							"x",
						),
						"STORE_INVALID",
					);
			});
		});

		test("users: AWS shapes, case-insensitive names, not-found paths", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({
					name: "root",
					accountId: "123456789012",
				});
				const alice = await store.users.create({
					accountId,
					userName: "alice",
				});
				assert.match(alice.userId, /^AIDA[A-Z0-9]{17}$/);
				assert.equal(alice.arn, "arn:aws:iam::123456789012:user/alice");
				assert.equal(alice.path, "/");
				const bob = await store.users.create({
					accountId,
					userName: "bob",
					path: "/ops/",
				});
				assert.equal(bob.arn, "arn:aws:iam::123456789012:user/ops/bob");
				await rejectsWith(
					store.users.create({ accountId, userName: "ALICE" }),
					"STORE_CONFLICT",
				);
				await rejectsWith(
					store.users.create({ accountId, userName: "no spaces" }),
					"STORE_INVALID",
				);
				await rejectsWith(
					store.users.create({ accountId, userName: "x", path: "ops" }),
					"STORE_INVALID",
				);
				await rejectsWith(
					store.users.create({ accountId: "000000000009", userName: "carol" }),
					"STORE_NOT_FOUND",
				);
				assert.deepEqual(await store.users.get(accountId, "alice"), alice);
				assert.deepEqual(
					(await store.users.list(accountId)).map((u) => u.userName),
					["alice", "bob"],
				);
				await store.users.delete(accountId, "bob");
				assert.equal(await store.users.get(accountId, "bob"), undefined);
				await rejectsWith(
					store.users.delete(accountId, "bob"),
					"STORE_NOT_FOUND",
				);
			});
		});

		test("roles: trust policy, session bound, update, delete", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({
					name: "root",
					accountId: "123456789012",
				});
				const role = await store.roles.create({
					accountId,
					roleName: "deployer",
					trustPolicy: TRUST,
				});
				assert.match(role.roleId, /^AROA[A-Z0-9]{17}$/);
				assert.equal(role.arn, "arn:aws:iam::123456789012:role/deployer");
				assert.equal(role.maxSessionDuration, 3600);
				await rejectsWith(
					store.roles.create({
						accountId,
						roleName: "Deployer",
						trustPolicy: TRUST,
					}),
					"STORE_CONFLICT",
				);
				await rejectsWith(
					store.roles.create({
						accountId,
						roleName: "r2",
						trustPolicy: "not json",
					}),
					"STORE_INVALID",
				);
				await rejectsWith(
					store.roles.create({
						accountId,
						roleName: "r3",
						trustPolicy: TRUST,
						maxSessionDuration: 60,
					}),
					"STORE_INVALID",
				);
				const updated = JSON.stringify({
					Version: "2012-10-17",
					Statement: [],
				});
				await store.roles.setTrustPolicy(accountId, "deployer", updated);
				assert.equal(
					(await store.roles.get(accountId, "deployer"))?.trustPolicy,
					updated,
				);
				await rejectsWith(
					store.roles.setTrustPolicy(accountId, "nobody", updated),
					"STORE_NOT_FOUND",
				);
				assert.equal((await store.roles.list(accountId)).length, 1);
				await store.roles.delete(accountId, "deployer");
				assert.equal(await store.roles.get(accountId, "deployer"), undefined);
				await rejectsWith(
					store.roles.delete(accountId, "deployer"),
					"STORE_NOT_FOUND",
				);
			});
		});

		test("inline policies: put replaces, list, delete, cascade with the principal", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({
					name: "root",
					accountId: "123456789012",
				});
				await store.users.create({ accountId, userName: "alice" });
				await store.roles.create({
					accountId,
					roleName: "deployer",
					trustPolicy: TRUST,
				});
				await store.policies.put(accountId, "user", "ALICE", "invoke", POLICY);
				await store.policies.put(
					accountId,
					"role",
					"deployer",
					"invoke",
					POLICY,
				);
				const got = await store.policies.get(
					accountId,
					"user",
					"alice",
					"invoke",
				);
				assert.equal(got?.document, POLICY);
				assert.equal(
					got?.principalName,
					"alice",
					"the principal's own spelling is kept",
				);
				const replaced = JSON.stringify({
					Version: "2012-10-17",
					Statement: [],
				});
				await store.policies.put(
					accountId,
					"user",
					"alice",
					"invoke",
					replaced,
				);
				await store.policies.put(accountId, "user", "alice", "admin", POLICY);
				const list = await store.policies.list(accountId, "user", "alice");
				assert.deepEqual(
					list.map((p) => [p.policyName, p.document]),
					[
						["admin", POLICY],
						["invoke", replaced],
					],
				);
				await rejectsWith(
					store.policies.put(accountId, "user", "nobody", "x", POLICY),
					"STORE_NOT_FOUND",
				);
				await rejectsWith(
					store.policies.put(accountId, "user", "alice", "x", "[1]"),
					"STORE_INVALID",
				);
				await store.policies.delete(accountId, "user", "alice", "admin");
				await rejectsWith(
					store.policies.delete(accountId, "user", "alice", "admin"),
					"STORE_NOT_FOUND",
				);
				await store.users.delete(accountId, "alice");
				assert.deepEqual(
					await store.policies.list(accountId, "user", "alice"),
					[],
				);
				await store.roles.delete(accountId, "deployer");
				assert.equal(
					await store.policies.get(accountId, "role", "deployer", "invoke"),
					undefined,
				);
			});
		});

		test("access keys: create returns the secret, get decrypts it, list, status, delete", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({
					name: "root",
					accountId: "123456789012",
				});
				await store.users.create({ accountId, userName: "alice" });
				const rootKey = await store.accessKeys.create({ accountId });
				const aliceKey = await store.accessKeys.create({
					accountId,
					userName: "Alice",
				});
				assert.match(rootKey.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
				assert.equal(rootKey.secretAccessKey.length, 40);
				assert.equal(rootKey.userName, null);
				assert.equal(aliceKey.userName, "alice");
				assert.equal(rootKey.status, "Active");
				assert.deepEqual(
					await store.accessKeys.get(rootKey.accessKeyId),
					rootKey,
				);
				assert.equal(
					await store.accessKeys.get("AKIAAAAAAAAAAAAAAAAA"),
					undefined,
				);
				assert.equal(await store.accessKeys.get("not-a-key"), undefined);
				assert.deepEqual(
					(await store.accessKeys.list(accountId))
						.map((k) => k.accessKeyId)
						.sort(),
					[rootKey.accessKeyId, aliceKey.accessKeyId].sort(),
				);
				assert.deepEqual(
					(await store.accessKeys.list(accountId, null)).map(
						(k) => k.accessKeyId,
					),
					[rootKey.accessKeyId],
				);
				const listed = await store.accessKeys.list(accountId, "alice");
				assert.deepEqual(
					listed.map((k) => k.accessKeyId),
					[aliceKey.accessKeyId],
				);
				assert.equal(
					"secretAccessKey" in (listed[0] as object),
					false,
					"listings never carry secrets",
				);
				await rejectsWith(
					store.accessKeys.create({ accountId, userName: "nobody" }),
					"STORE_NOT_FOUND",
				);
				await rejectsWith(
					store.accessKeys.create({ accountId: "000000000009" }),
					"STORE_NOT_FOUND",
				);

				await store.accessKeys.setStatus(rootKey.accessKeyId, "Inactive");
				assert.equal(
					(await store.accessKeys.get(rootKey.accessKeyId))?.status,
					"Inactive",
				);
				await rejectsWith(
					store.accessKeys.setStatus("AKIAAAAAAAAAAAAAAAAA", "Active"),
					"STORE_NOT_FOUND",
				);
				await store.accessKeys.delete(rootKey.accessKeyId);
				assert.equal(
					await store.accessKeys.get(rootKey.accessKeyId),
					undefined,
				);
				await rejectsWith(
					store.accessKeys.delete(rootKey.accessKeyId),
					"STORE_NOT_FOUND",
				);

				// Deleting a user revokes its keys at once.
				await store.users.delete(accountId, "alice");
				assert.equal(
					await store.accessKeys.get(aliceKey.accessKeyId),
					undefined,
				);
			});
		});

		test("access keys: importing a given pair, and its conflict", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				const pair = {
					accessKeyId: "AKIAIOSFODNN7EXAMPLE",
					secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
				};
				const key = await store.accessKeys.create({ accountId, ...pair });
				assert.equal(key.accessKeyId, pair.accessKeyId);
				assert.equal(
					(await store.accessKeys.get(pair.accessKeyId))?.secretAccessKey,
					pair.secretAccessKey,
				);
				await rejectsWith(
					store.accessKeys.create({ accountId, ...pair }),
					"STORE_CONFLICT",
				);
				await rejectsWith(
					store.accessKeys.create({ accountId, accessKeyId: "AKIA-bad" }),
					"STORE_INVALID",
				);
				await rejectsWith(
					store.accessKeys.create({ accountId, secretAccessKey: "short" }),
					"STORE_INVALID",
				);
			});
		});

		test("access keys: recordUse is coalesced, visible at once and durable after flush", async () => {
			await withStore(makeStore, async (store, h) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				const key = await store.accessKeys.create({ accountId });
				await store.accessKeys.recordUse(key.accessKeyId, {
					at: 2000,
					scheme: "sigv4",
					service: "lambda",
				});
				await store.accessKeys.recordUse(key.accessKeyId, {
					at: 1000,
					scheme: "acs3",
					service: "fc",
				}); // older: ignored
				const seen = await store.accessKeys.get(key.accessKeyId);
				assert.deepEqual(
					[seen?.lastUsedAt, seen?.lastUsedScheme, seen?.lastUsedService],
					[2000, "sigv4", "lambda"],
				);
				await store.audit.flush();
				if (h.reopen) {
					await store.close();
					const again = await h.reopen();
					h.store = again;
					const [listed] = await again.accessKeys.list(accountId);
					assert.deepEqual(
						[
							listed?.lastUsedAt,
							listed?.lastUsedScheme,
							listed?.lastUsedService,
						],
						[2000, "sigv4", "lambda"],
					);
				}
			});
		});

		test("functions: put creates then updates, code by revision, list without code, delete", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				const v1 = Buffer.from("export const handler = () => 1;");
				const v2 = Buffer.from("export const handler = () => 2;");
				assert.deepEqual(
					await store.functions.put({
						accountId,
						name: "hello",
						config: { runtime: "node", memory: 128 },
						code: v1,
					}),
					{ revision: 1, created: true },
				);
				assert.deepEqual(
					await store.functions.put({
						accountId,
						name: "hello",
						config: { runtime: "node", memory: 256 },
						code: v2,
					}),
					{ revision: 2, created: false },
				);
				// A config-only deploy keeps the code.
				assert.deepEqual(
					await store.functions.put({
						accountId,
						name: "hello",
						config: { runtime: "node", memory: 512 },
					}),
					{ revision: 3, created: false },
				);
				const fn = await store.functions.get(accountId, "hello");
				assert.equal(fn?.revision, 3);
				assert.deepEqual(fn?.config, { runtime: "node", memory: 512 });
				assert.equal(fn?.codeSize, v2.length);
				const current = await store.functions.getCode(accountId, "hello");
				assert.deepEqual(
					[current?.revision, current?.code.toString()],
					[3, v2.toString()],
				);
				assert.equal(current?.sha256, fn?.codeSha256);
				assert.equal(
					(
						await store.functions.getCode(accountId, "hello", 1)
					)?.code.toString(),
					v1.toString(),
				);
				assert.equal(
					await store.functions.getCode(accountId, "hello", 99),
					undefined,
				);
				assert.equal(
					await store.functions.getCode(accountId, "nope"),
					undefined,
				);

				await rejectsWith(
					store.functions.put({
						accountId,
						name: "hello",
						config: {},
						code: v1,
						expectedRevision: 1,
					}),
					"STORE_CONFLICT",
				);
				await rejectsWith(
					store.functions.put({
						accountId,
						name: "fresh",
						config: {},
						code: v1,
						expectedRevision: 1,
					}),
					"STORE_CONFLICT",
				);
				assert.equal(
					(
						await store.functions.put({
							accountId,
							name: "hello",
							config: {},
							code: v1,
							expectedRevision: 3,
						})
					).revision,
					4,
				);
				await rejectsWith(
					store.functions.put({ accountId, name: "nocode", config: {} }),
					"STORE_INVALID",
				);
				await rejectsWith(
					store.functions.put({
						accountId,
						name: "bad name!",
						config: {},
						code: v1,
					}),
					"STORE_INVALID",
				);
				await rejectsWith(
					store.functions.put({
						accountId: "000000000009",
						name: "x",
						config: {},
						code: v1,
					}),
					"STORE_NOT_FOUND",
				);

				await store.functions.put({
					accountId,
					name: "another",
					config: { runtime: "process" },
					code: v1,
				});
				const list = await store.functions.list(accountId);
				assert.deepEqual(
					list.map((f) => f.name),
					["another", "hello"],
				);
				assert.equal(
					"code" in (list[0] as object),
					false,
					"listings carry no code",
				);

				await store.functions.delete(accountId, "hello");
				assert.equal(await store.functions.get(accountId, "hello"), undefined);
				assert.equal(
					await store.functions.getCode(accountId, "hello"),
					undefined,
				);
				await rejectsWith(
					store.functions.delete(accountId, "hello"),
					"STORE_NOT_FOUND",
				);
				// The other function still shares the same bundle content.
				assert.equal(
					(
						await store.functions.getCode(accountId, "another")
					)?.code.toString(),
					v1.toString(),
				);
			});
		});

		test("functions: old revisions beyond the kept window lose their code; oversize code is refused", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				for (let i = 1; i <= 7; i++)
					await store.functions.put({
						accountId,
						name: "f",
						config: {},
						code: Buffer.from(`v${i}`),
					});
				assert.equal(
					await store.functions.getCode(accountId, "f", 1),
					undefined,
				);
				assert.equal(
					(await store.functions.getCode(accountId, "f", 7))?.code.toString(),
					"v7",
				);
				assert.equal(
					(await store.functions.getCode(accountId, "f", 3))?.code.toString(),
					"v3",
				);
				await rejectsWith(
					store.functions.put({
						accountId,
						name: "big",
						config: {},
						code: Buffer.alloc(50 * 1024 * 1024 + 1),
					}),
					"STORE_TOO_LARGE",
				);
			});
		});

		test("functions: the resource policy has its own revision and compare-and-set", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				await store.functions.put({
					accountId,
					name: "f",
					config: {},
					code: Buffer.from("x"),
				});
				assert.deepEqual(await store.functions.getPolicy(accountId, "f"), {
					document: null,
					policyRevision: 0,
				});
				assert.equal(
					await store.functions.putPolicy(accountId, "f", POLICY, 0),
					1,
				);
				await rejectsWith(
					store.functions.putPolicy(accountId, "f", POLICY, 0),
					"STORE_CONFLICT",
				);
				assert.deepEqual(await store.functions.getPolicy(accountId, "f"), {
					document: POLICY,
					policyRevision: 1,
				});
				assert.equal(
					(await store.functions.get(accountId, "f"))?.revision,
					1,
					"a policy change is not a deploy",
				);
				assert.equal(await store.functions.putPolicy(accountId, "f", null), 2);
				assert.equal(
					(await store.functions.getPolicy(accountId, "f"))?.document,
					null,
				);
				await rejectsWith(
					store.functions.putPolicy(accountId, "f", "nope"),
					"STORE_INVALID",
				);
				await rejectsWith(
					store.functions.putPolicy(accountId, "g", POLICY),
					"STORE_NOT_FOUND",
				);
				assert.equal(
					await store.functions.getPolicy(accountId, "g"),
					undefined,
				);
			});
		});

		test("functions: a name is unique across accounts; findByName finds its one holder", async () => {
			await withStore(makeStore, async (store) => {
				const a = await store.accounts.create({ name: "a" });
				const b = await store.accounts.create({ name: "b" });
				const code = Buffer.from("export const handler = () => 1;");
				assert.equal(await store.functions.findByName("shared"), undefined);
				await store.functions.put({
					accountId: a.accountId,
					name: "shared",
					config: {},
					code,
				});
				await assert.rejects(
					store.functions.put({
						accountId: b.accountId,
						name: "shared",
						config: {},
						code,
					}),
					(err: unknown) => {
						assert.ok(isStoreError(err, "STORE_CONFLICT"), String(err));
						assert.match(err.message, /taken by another account/);
						assert.ok(
							!err.message.includes(a.accountId),
							"the holder stays unnamed",
						);
						return true;
					},
				);
				assert.equal(
					await store.functions.get(b.accountId, "shared"),
					undefined,
				);
				// The holder may redeploy; findByName sees its latest revision.
				await store.functions.put({
					accountId: a.accountId,
					name: "shared",
					config: { v: 2 },
				});
				const found = await store.functions.findByName("shared");
				assert.deepEqual(
					[found?.accountId, found?.revision, found?.config],
					[a.accountId, 2, { v: 2 }],
				);
				// Names are exact: another case is another name.
				assert.equal(await store.functions.findByName("SHARED"), undefined);

				// Concurrent first deploys from two accounts: exactly one wins.
				const results = await Promise.allSettled(
					[a, b].map((acct) =>
						store.functions.put({
							accountId: acct.accountId,
							name: "raced",
							config: {},
							code,
						}),
					),
				);
				assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
				const holder = await store.functions.findByName("raced");
				const loser = holder?.accountId === a.accountId ? b : a;
				assert.equal(
					await store.functions.get(loser.accountId, "raced"),
					undefined,
				);

				// Once the holder deletes it, the name is free for the other account.
				await store.functions.delete(a.accountId, "shared");
				assert.equal(await store.functions.findByName("shared"), undefined);
				await store.functions.put({
					accountId: b.accountId,
					name: "shared",
					config: {},
					code,
				});
				assert.equal(
					(await store.functions.findByName("shared"))?.accountId,
					b.accountId,
				);
			});
		});

		test("replay log: first sighting true, replay false, expiry frees the id, scopes are independent", async () => {
			await withStore(makeStore, async (store) => {
				const t0 = 1_700_000_000_000;
				assert.equal(
					await store.replay.firstSighting("hook-a", "msg_1", t0 + 1000, t0),
					true,
					"first sighting",
				);
				assert.equal(
					await store.replay.firstSighting(
						"hook-a",
						"msg_1",
						t0 + 2000,
						t0 + 1,
					),
					false,
					"a replay inside the window",
				);
				assert.equal(
					await store.replay.firstSighting(
						"hook-a",
						"msg_1",
						t0 + 2000,
						t0 + 999,
					),
					false,
					"still inside the window one millisecond before it ends",
				);
				assert.equal(
					await store.replay.firstSighting("hook-b", "msg_1", t0 + 1000, t0),
					true,
					"another scope has its own ids",
				);
				assert.equal(
					await store.replay.firstSighting("hook-a", "msg_2", t0 + 1000, t0),
					true,
					"another id in the same scope",
				);
				// Once the window has passed, the id may be seen again (and starts a new window).
				assert.equal(
					await store.replay.firstSighting(
						"hook-a",
						"msg_1",
						t0 + 5000,
						t0 + 1000,
					),
					true,
					"expired: seen again",
				);
				assert.equal(
					await store.replay.firstSighting(
						"hook-a",
						"msg_1",
						t0 + 5000,
						t0 + 4000,
					),
					false,
					"the new window holds",
				);
				// Concurrent sightings of one id: exactly one is first.
				const racing = await Promise.all(
					Array.from({ length: 10 }, () =>
						store.replay.firstSighting("hook-c", "msg_x", t0 + 1000, t0),
					),
				);
				assert.equal(racing.filter(Boolean).length, 1);
				// Pruning deletes exactly the expired ids and keeps live ones live.
				assert.equal(await store.replay.prune(t0 + 1000), 3);
				assert.equal(
					await store.replay.firstSighting(
						"hook-a",
						"msg_1",
						t0 + 6000,
						t0 + 1001,
					),
					false,
					"a live id survives the prune",
				);
				assert.equal(
					await store.replay.firstSighting(
						"hook-b",
						"msg_1",
						t0 + 6000,
						t0 + 1001,
					),
					true,
					"a pruned id is new again",
				);
				await rejectsWith(
					store.replay.firstSighting("", "msg", t0 + 1, t0),
					"STORE_INVALID",
				);
				await rejectsWith(
					store.replay.firstSighting("s", "x".repeat(10_000), t0 + 1, t0),
					"STORE_INVALID",
				);
			});
		});

		test("replay log: an accepted id is still refused after a restart", async (t) => {
			const h = await makeStore();
			try {
				if (!h.reopen) {
					t.skip("this adapter's harness cannot reopen its data");
					return;
				}
				const now = 1_700_000_000_000;
				assert.equal(
					await h.store.replay.firstSighting("hook", "msg", now + 60_000, now),
					true,
				);
				await h.store.close();
				h.store = await h.reopen();
				assert.equal(
					await h.store.replay.firstSighting(
						"hook",
						"msg",
						now + 60_000,
						now + 1,
					),
					false,
				);
			} finally {
				await h.cleanup();
			}
		});

		test("secrets: put, get decrypted, list without values, update keeps createdAt, delete", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				const value = Buffer.from([0, 1, 2, 255, 254]);
				const info = await store.secrets.put(accountId, "hmac-key", value);
				assert.deepEqual([info.name, info.accountId], ["hmac-key", accountId]);
				assert.deepEqual(await store.secrets.get(accountId, "hmac-key"), value);
				assert.equal(await store.secrets.get(accountId, "nope"), undefined);
				const updated = await store.secrets.put(
					accountId,
					"hmac-key",
					Buffer.from("v2"),
				);
				assert.equal(updated.createdAt, info.createdAt);
				assert.ok(updated.updatedAt >= info.updatedAt);
				assert.equal(
					(await store.secrets.get(accountId, "hmac-key"))?.toString(),
					"v2",
				);
				const list = await store.secrets.list(accountId);
				assert.deepEqual(Object.keys(list[0] as object).sort(), [
					"accountId",
					"createdAt",
					"name",
					"updatedAt",
				]);
				await rejectsWith(
					store.secrets.put(accountId, "bad/name", value),
					"STORE_INVALID",
				);
				await rejectsWith(
					store.secrets.put(accountId, "big", Buffer.alloc(64 * 1024 + 1)),
					"STORE_TOO_LARGE",
				);
				await rejectsWith(
					store.secrets.put("000000000009", "x", value),
					"STORE_NOT_FOUND",
				);
				await store.secrets.delete(accountId, "hmac-key");
				assert.equal(await store.secrets.get(accountId, "hmac-key"), undefined);
				await rejectsWith(
					store.secrets.delete(accountId, "hmac-key"),
					"STORE_NOT_FOUND",
				);
			});
		});

		test("audit: append is buffered, query sees it, the cursor follows, logs are bounded", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				for (let i = 0; i < 10; i++)
					await store.audit.append(auditInput(accountId, i));
				await store.audit.append(auditInput("000000000009", 99));
				const first = await store.audit.query({ accountId, limit: 4 });
				assert.deepEqual(
					first.records.map((r) => r.requestId),
					["req-6", "req-7", "req-8", "req-9"],
					"without a cursor: the newest, oldest first",
				);
				assert.deepEqual(first.records[0]?.detail, { n: 6 });
				const all = await store.audit.query({ accountId, after: 0 });
				assert.equal(all.records.length, 10);
				const even = await store.audit.query({
					accountId,
					functionName: "even",
					after: 0,
					limit: 2,
				});
				assert.deepEqual(
					even.records.map((r) => r.requestId),
					["req-0", "req-2"],
				);
				const more = await store.audit.query({
					accountId,
					functionName: "even",
					after: even.next,
				});
				assert.deepEqual(
					more.records.map((r) => r.requestId),
					["req-4", "req-6", "req-8"],
				);
				const idle = await store.audit.query({
					accountId,
					functionName: "even",
					after: more.next,
				});
				assert.deepEqual([idle.records.length, idle.next], [0, more.next]);
				await store.audit.append(auditInput(accountId, 10));
				const next = await store.audit.query({
					accountId,
					functionName: "even",
					after: more.next,
				});
				assert.deepEqual(
					next.records.map((r) => r.requestId),
					["req-10"],
				);

				await store.audit.append(
					auditInput(accountId, 11, { logs: `${"é".repeat(40_000)}END` }),
				);
				const [big] = (await store.audit.query({ accountId, limit: 1 }))
					.records;
				assert.ok(Buffer.byteLength(big?.logs ?? "") <= 64 * 1024);
				assert.ok(big?.logs.endsWith("éEND"), "the tail of the output is kept");
				assert.ok(!big?.logs.includes("\uFFFD"), "cut on a character boundary");
			});
		});

		test("audit: retention keeps the newest N per account, in the background and on demand", async () => {
			await withStore(
				makeStore,
				async (store) => {
					const { accountId } = await store.accounts.create({ name: "root" });
					for (let i = 0; i < 260; i++)
						await store.audit.append(auditInput(accountId, i));
					for (let i = 0; i < 5; i++)
						await store.audit.append(auditInput("000000000009", i));
					await store.audit.flush();
					const kept = await store.audit.query({
						accountId,
						after: 0,
						limit: 1000,
					});
					assert.ok(
						kept.records.length <= 110,
						`background prune kept ${kept.records.length}`,
					);
					await store.audit.prune();
					const after = await store.audit.query({
						accountId,
						after: 0,
						limit: 1000,
					});
					assert.deepEqual(
						after.records.map((r) => r.requestId),
						Array.from({ length: 100 }, (_, k) => `req-${160 + k}`),
					);
					assert.equal(
						(await store.audit.query({ accountId: "000000000009", after: 0 }))
							.records.length,
						5,
					);
				},
				{ auditRetention: 100 },
			);
		});

		test("jobs: enqueue, claim with a lease, complete with the fencing token", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				const job = await store.jobs.enqueue({
					accountId,
					functionName: "f",
					payload: Buffer.from("{}"),
					headers: { "x-a": "1" },
					notBefore: 1000,
					callbackUrl: "https://cb.example/x",
				});
				assert.deepEqual(
					[job.status, job.attempts, job.maxAttempts, job.nextAttemptAt],
					["queued", 0, 3, 1000],
				);
				await rejectsWith(
					store.jobs.enqueue({
						id: job.id,
						accountId,
						functionName: "f",
						payload: Buffer.alloc(0),
					}),
					"STORE_CONFLICT",
				);
				assert.deepEqual(
					await store.jobs.claim(999, 10, 5000),
					[],
					"not due yet",
				);
				assert.equal(await store.jobs.countQueued({ accountId }), 1);
				const [claimed] = await store.jobs.claim(1000, 10, 5000);
				assert.equal(claimed?.id, job.id);
				assert.deepEqual(
					[claimed?.status, claimed?.attempts, claimed?.leaseUntil],
					["running", 1, 6000],
				);
				assert.ok(claimed?.leaseToken);
				assert.deepEqual(claimed?.headers, { "x-a": "1" });
				assert.equal(claimed?.payload.toString(), "{}");
				assert.equal(await store.jobs.countQueued(), 0);
				assert.deepEqual(
					await store.jobs.claim(2000, 10, 5000),
					[],
					"a leased job is not claimed twice",
				);
				await rejectsWith(
					store.jobs.complete(job.id, "wrong-token", null, 2000),
					"STORE_LEASE_LOST",
				);
				await rejectsWith(
					store.jobs.complete("nope", "t", null, 2000),
					"STORE_NOT_FOUND",
				);
				await store.jobs.complete(
					job.id,
					claimed?.leaseToken as string,
					Buffer.from("ok"),
					2000,
				);
				const done = await store.jobs.get(job.id);
				assert.deepEqual(
					[done?.status, done?.result?.toString(), done?.leaseToken],
					["succeeded", "ok", null],
				);
				await rejectsWith(
					store.jobs.complete(
						job.id,
						claimed?.leaseToken as string,
						null,
						2001,
					),
					"STORE_LEASE_LOST",
				);
				assert.equal(await store.jobs.get("nope"), undefined);
			});
		});

		test("jobs: fail retries until attempts are spent, then dead; a final failure is failed", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				const job = await store.jobs.enqueue({
					accountId,
					functionName: "f",
					payload: Buffer.from("p"),
					maxAttempts: 2,
					notBefore: 0,
				});
				const [a1] = await store.jobs.claim(10, 1, 1000);
				assert.equal(
					await store.jobs.fail(
						job.id,
						a1?.leaseToken as string,
						{ error: "boom", retryAt: 500 },
						10,
					),
					"queued",
				);
				assert.deepEqual(
					await store.jobs.claim(499, 1, 1000),
					[],
					"waits for retryAt",
				);
				const [a2] = await store.jobs.claim(500, 1, 1000);
				assert.equal(a2?.attempts, 2);
				assert.equal(a2?.lastError, "boom");
				assert.equal(
					await store.jobs.fail(
						job.id,
						a2?.leaseToken as string,
						{ error: "boom again", retryAt: 900 },
						510,
					),
					"dead",
				);
				assert.equal((await store.jobs.get(job.id))?.status, "dead");
				await rejectsWith(
					store.jobs.fail(
						job.id,
						a2?.leaseToken as string,
						{ error: "x" },
						520,
					),
					"STORE_LEASE_LOST",
				);

				const final = await store.jobs.enqueue({
					accountId,
					functionName: "f",
					payload: Buffer.from("p"),
					notBefore: 0,
				});
				const [b1] = await store.jobs.claim(10, 1, 1000);
				assert.equal(
					await store.jobs.fail(
						final.id,
						b1?.leaseToken as string,
						{ error: "bad input" },
						10,
					),
					"failed",
				);
				assert.equal((await store.jobs.get(final.id))?.lastError, "bad input");
			});
		});

		test("jobs: an expired lease is requeued (and the old worker fenced off), or dead when spent", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				const job = await store.jobs.enqueue({
					accountId,
					functionName: "f",
					payload: Buffer.from("p"),
					maxAttempts: 2,
					notBefore: 0,
				});
				const [first] = await store.jobs.claim(0, 1, 100);
				assert.deepEqual(await store.jobs.claim(99, 1, 100), []);
				const [second] = await store.jobs.claim(100, 1, 100);
				assert.equal(second?.id, job.id);
				assert.equal(second?.attempts, 2);
				assert.equal(second?.lastError?.includes("lease expired"), true);
				await rejectsWith(
					store.jobs.complete(job.id, first?.leaseToken as string, null, 150),
					"STORE_LEASE_LOST",
				);
				assert.equal(await store.jobs.requeueExpired(150), 0);
				assert.equal(await store.jobs.requeueExpired(200), 1);
				assert.equal(
					(await store.jobs.get(job.id))?.status,
					"dead",
					"two attempts spent",
				);
			});
		});

		test("jobs: payload, headers, callback URL and result come back byte for byte from every read", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
				const headers = {
					kind: "http",
					headers: JSON.stringify(["Hmac", "sha256=abc", "X-Ünï", "☃"]),
				};
				const callbackUrl = "https://cb.example/hook?token=t0k%20en";
				const job = await store.jobs.enqueue({
					accountId,
					functionName: "f",
					payload,
					headers,
					callbackUrl,
					notBefore: 0,
				});
				const same = (j: typeof job | undefined, label: string) => {
					assert.ok(j, label);
					assert.deepEqual(j.payload, payload, label);
					assert.deepEqual(j.headers, headers, label);
					assert.equal(j.callbackUrl, callbackUrl, label);
				};
				same(job, "enqueue");
				same(await store.jobs.get(job.id), "get");
				same((await store.jobs.list({ accountId }))[0], "list");
				const [claimed] = await store.jobs.claim(1, 1, 1000);
				same(claimed, "claim");
				const result = Buffer.from([0, 255, 1, 254]);
				await store.jobs.complete(
					job.id,
					claimed?.leaseToken as string,
					result,
					2,
				);
				assert.deepEqual((await store.jobs.get(job.id))?.result, result);
				assert.deepEqual(
					(await store.jobs.list({ accountId }))[0]?.result,
					result,
				);
				const empty = await store.jobs.enqueue({
					accountId,
					functionName: "f",
					payload: Buffer.alloc(0),
				});
				assert.deepEqual(
					[
						empty.payload.length,
						empty.headers,
						empty.callbackUrl,
						empty.result,
					],
					[0, {}, null, null],
				);
			});
		});

		test("jobs: complete and fail record the callback's outcome; a job without one has none", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				const refused = {
					outcome: "refused",
					target: "http://[::ffff:7f00:1]:9/x",
					address: null,
					httpStatus: null,
					attempts: 0,
					error: "callback to ::ffff:7f00:1 refused: loopback",
					at: 5,
				} as const;
				const failed = {
					outcome: "failed",
					target: "https://cb.example/x?token=…",
					address: "93.184.216.34",
					httpStatus: 302,
					attempts: 1,
					error: "callback answered 302 (redirects are not followed)",
					at: 7,
				} as const;
				const a = await store.jobs.enqueue({
					accountId,
					functionName: "f",
					payload: Buffer.from("a"),
					callbackUrl: "http://[::ffff:7f00:1]:9/x",
					notBefore: 0,
				});
				assert.equal(a.callback, null, "nothing before a delivery");
				const [ca] = await store.jobs.claim(1, 1, 1000);
				await store.jobs.complete(
					a.id,
					ca?.leaseToken as string,
					null,
					5,
					refused,
				);
				assert.deepEqual((await store.jobs.get(a.id))?.callback, refused);
				assert.deepEqual(
					(await store.jobs.list({ accountId }))[0]?.callback,
					refused,
				);

				const b = await store.jobs.enqueue({
					accountId,
					functionName: "f",
					payload: Buffer.from("b"),
					notBefore: 0,
				});
				const [cb] = await store.jobs.claim(6, 1, 1000);
				assert.equal(
					await store.jobs.fail(
						b.id,
						cb?.leaseToken as string,
						{ error: "bad input", callback: failed },
						7,
					),
					"failed",
				);
				assert.deepEqual((await store.jobs.get(b.id))?.callback, failed);

				const c = await store.jobs.enqueue({
					accountId,
					functionName: "f",
					payload: Buffer.from("c"),
					notBefore: 0,
				});
				const [cc] = await store.jobs.claim(8, 1, 1000);
				await store.jobs.complete(c.id, cc?.leaseToken as string, null, 9);
				assert.equal((await store.jobs.get(c.id))?.callback, null);
			});
		});

		test("jobs: concurrent claims never hand out the same job; list pages by id", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({ name: "root" });
				const ids: string[] = [];
				for (let i = 0; i < 60; i++)
					ids.push(
						(
							await store.jobs.enqueue({
								accountId,
								functionName: i % 2 ? "a" : "b",
								payload: Buffer.from(String(i)),
								notBefore: 0,
							})
						).id,
					);
				const batches = await Promise.all(
					Array.from({ length: 12 }, () => store.jobs.claim(1, 7, 10_000)),
				);
				const claimed = batches.flat().map((j) => j.id);
				assert.equal(
					new Set(claimed).size,
					claimed.length,
					"no job claimed twice",
				);
				assert.deepEqual([...claimed].sort(), [...ids].sort());
				const page1 = await store.jobs.list({ accountId, limit: 25 });
				const page2 = await store.jobs.list({
					accountId,
					after: page1.at(-1)?.id as string,
					limit: 50,
				});
				assert.deepEqual(
					[...page1, ...page2].map((j) => j.id),
					ids,
				);
				assert.equal(
					(
						await store.jobs.list({
							accountId,
							functionName: "a",
							status: "running",
						})
					).length,
					30,
				);
				assert.equal(
					(await store.jobs.list({ accountId, status: "queued" })).length,
					0,
				);
			});
		});

		test("restart keeps everything: close, reopen, read", async (t) => {
			const h = await makeStore();
			try {
				if (!h.reopen) {
					t.skip("this adapter's harness cannot reopen its data");
					return;
				}
				const s1 = h.store;
				const { accountId } = await s1.accounts.create({ name: "root" });
				await s1.users.create({ accountId, userName: "alice" });
				await s1.policies.put(accountId, "user", "alice", "p", POLICY);
				const key = await s1.accessKeys.create({
					accountId,
					userName: "alice",
				});
				await s1.functions.put({
					accountId,
					name: "f",
					config: { a: 1 },
					code: Buffer.from("code"),
				});
				await s1.secrets.put(accountId, "s", Buffer.from("secret value"));
				await s1.audit.append(auditInput(accountId, 1));
				const job = await s1.jobs.enqueue({
					accountId,
					functionName: "f",
					payload: Buffer.from("p"),
					notBefore: 0,
				});
				const meta = s1.meta;
				await s1.close();
				await rejectsWith(s1.accounts.list(), "STORE_CLOSED");
				await rejectsWith(
					s1.audit.append(auditInput(accountId, 2)),
					"STORE_CLOSED",
				);
				const s2 = await h.reopen();
				h.store = s2;
				assert.equal(s2.meta.installationId, meta.installationId);
				assert.equal((await s2.accounts.root())?.accountId, accountId);
				assert.equal(
					(await s2.users.get(accountId, "alice"))?.userName,
					"alice",
				);
				assert.equal(
					(await s2.policies.get(accountId, "user", "alice", "p"))?.document,
					POLICY,
				);
				assert.equal(
					(await s2.accessKeys.get(key.accessKeyId))?.secretAccessKey,
					key.secretAccessKey,
				);
				assert.equal(
					(await s2.functions.getCode(accountId, "f"))?.code.toString(),
					"code",
				);
				assert.equal(
					(await s2.secrets.get(accountId, "s"))?.toString(),
					"secret value",
				);
				assert.equal(
					(await s2.audit.query({ accountId })).records[0]?.requestId,
					"req-1",
					"close flushed the buffer",
				);
				assert.equal((await s2.jobs.get(job.id))?.status, "queued");
			} finally {
				await h.cleanup();
			}
		});

		test("jobs: a claimed job survives a crash of its worker and is claimed again after the lease", async (t) => {
			const h = await makeStore();
			try {
				if (!h.reopen) {
					t.skip("this adapter's harness cannot reopen its data");
					return;
				}
				const { accountId } = await h.store.accounts.create({ name: "root" });
				const job = await h.store.jobs.enqueue({
					accountId,
					functionName: "f",
					payload: Buffer.from("p"),
					notBefore: 0,
				});
				const [claimed] = await h.store.jobs.claim(1000, 1, 30_000);
				assert.equal(claimed?.id, job.id);
				await h.store.close(); // the worker "dies": nothing completes the job
				h.store = await h.reopen();
				assert.deepEqual(
					await h.store.jobs.claim(30_999, 1, 30_000),
					[],
					"the lease still holds",
				);
				const [again] = await h.store.jobs.claim(31_000, 1, 30_000);
				assert.deepEqual([again?.id, again?.attempts], [job.id, 2]);
				await h.store.jobs.complete(
					job.id,
					again?.leaseToken as string,
					null,
					31_001,
				);
				assert.equal((await h.store.jobs.get(job.id))?.status, "succeeded");
			} finally {
				await h.cleanup();
			}
		});

		// -- IAM managed policies, groups, boundaries, tags (issue 11) --------------------------

		test("managed policies: ANPA ids, ARNs with paths, case-insensitive names, versions never reused", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({
					name: "root",
					accountId: "123456789012",
				});
				const p = await store.managedPolicies.create({
					accountId,
					policyName: "Invoke",
					document: POLICY,
					path: "/team/",
					description: "invoke anything",
				});
				assert.match(p.policyId, /^ANPA[A-Z0-9]{17}$/);
				assert.equal(p.arn, "arn:aws:iam::123456789012:policy/team/Invoke");
				assert.equal(p.defaultVersionId, "v1");
				assert.equal(p.attachmentCount, 0);
				assert.equal(p.description, "invoke anything");
				assert.deepEqual(
					await store.managedPolicies.get(accountId, "invoke"),
					p,
				);
				await rejectsWith(
					store.managedPolicies.create({
						accountId,
						policyName: "INVOKE",
						document: POLICY,
					}),
					"STORE_CONFLICT",
				);
				await rejectsWith(
					store.managedPolicies.create({
						accountId,
						policyName: "bad",
						document: "[1]",
					}),
					"STORE_INVALID",
				);
				await rejectsWith(
					store.managedPolicies.create({
						accountId: "999999999999",
						policyName: "x",
						document: POLICY,
					}),
					"STORE_NOT_FOUND",
				);
				const v2 = await store.managedPolicies.createVersion(
					accountId,
					"Invoke",
					TRUST,
					false,
				);
				assert.deepEqual([v2.versionId, v2.isDefault], ["v2", false]);
				assert.equal(
					(await store.managedPolicies.get(accountId, "Invoke"))
						?.defaultVersionId,
					"v1",
				);
				const v3 = await store.managedPolicies.createVersion(
					accountId,
					"Invoke",
					POLICY,
					true,
				);
				assert.equal(v3.isDefault, true);
				assert.deepEqual(
					(await store.managedPolicies.listVersions(accountId, "Invoke")).map(
						(v) => [v.versionId, v.isDefault],
					),
					[
						["v3", true],
						["v2", false],
						["v1", false],
					],
				);
				assert.equal(
					(await store.managedPolicies.getVersion(accountId, "Invoke", "v2"))
						?.document,
					TRUST,
				);
				assert.equal(
					await store.managedPolicies.getVersion(accountId, "Invoke", "v9"),
					undefined,
				);
				await rejectsWith(
					store.managedPolicies.deleteVersion(accountId, "Invoke", "v3"),
					"STORE_CONFLICT",
				);
				await store.managedPolicies.deleteVersion(accountId, "Invoke", "v2");
				await rejectsWith(
					store.managedPolicies.deleteVersion(accountId, "Invoke", "v2"),
					"STORE_NOT_FOUND",
				);
				// Versions are numbered on: a deleted number is never handed out again.
				const v4 = await store.managedPolicies.createVersion(
					accountId,
					"Invoke",
					TRUST,
					false,
				);
				assert.equal(v4.versionId, "v4");
				await store.managedPolicies.createVersion(
					accountId,
					"Invoke",
					TRUST,
					false,
				);
				await store.managedPolicies.createVersion(
					accountId,
					"Invoke",
					TRUST,
					false,
				);
				await rejectsWith(
					store.managedPolicies.createVersion(
						accountId,
						"Invoke",
						TRUST,
						false,
					),
					"STORE_TOO_LARGE",
				);
				await store.managedPolicies.setDefaultVersion(
					accountId,
					"Invoke",
					"v1",
				);
				await rejectsWith(
					store.managedPolicies.setDefaultVersion(accountId, "Invoke", "v2"),
					"STORE_NOT_FOUND",
				);
				assert.equal(
					(await store.managedPolicies.get(accountId, "Invoke"))
						?.defaultVersionId,
					"v1",
				);
			});
		});

		test("managed policies: attachments count, cascade with the principal, block the policy's delete", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({
					name: "root",
					accountId: "123456789012",
				});
				await store.users.create({ accountId, userName: "Alice" });
				await store.roles.create({
					accountId,
					roleName: "worker",
					trustPolicy: TRUST,
				});
				await store.managedPolicies.create({
					accountId,
					policyName: "invoke",
					document: POLICY,
				});
				await store.managedPolicies.attach(
					accountId,
					"user",
					"alice",
					"INVOKE",
				);
				// Attaching again is a no-op.
				await store.managedPolicies.attach(
					accountId,
					"user",
					"Alice",
					"invoke",
				);
				await store.managedPolicies.attach(
					accountId,
					"role",
					"worker",
					"invoke",
				);
				assert.equal(
					(await store.managedPolicies.get(accountId, "invoke"))
						?.attachmentCount,
					2,
				);
				assert.deepEqual(
					(
						await store.managedPolicies.listAttached(accountId, "user", "alice")
					).map((p) => p.policyName),
					["invoke"],
				);
				assert.deepEqual(
					await store.managedPolicies.listEntities(accountId, "invoke"),
					[
						{ kind: "user", name: "Alice" },
						{ kind: "role", name: "worker" },
					],
				);
				const docs = await store.managedPolicies.attachedDocuments(
					accountId,
					"role",
					"worker",
				);
				assert.deepEqual(docs, [
					{
						policyName: "invoke",
						arn: "arn:aws:iam::123456789012:policy/invoke",
						versionId: "v1",
						document: POLICY,
					},
				]);
				await store.managedPolicies.createVersion(
					accountId,
					"invoke",
					TRUST,
					true,
				);
				assert.equal(
					(
						await store.managedPolicies.attachedDocuments(
							accountId,
							"role",
							"worker",
						)
					)[0]?.document,
					TRUST,
					"the default version is the one in force",
				);
				await rejectsWith(
					store.managedPolicies.attach(accountId, "user", "nobody", "invoke"),
					"STORE_NOT_FOUND",
				);
				await rejectsWith(
					store.managedPolicies.attach(accountId, "user", "alice", "nothing"),
					"STORE_NOT_FOUND",
				);
				await rejectsWith(
					store.managedPolicies.delete(accountId, "invoke"),
					"STORE_CONFLICT",
				);
				await store.managedPolicies.detach(
					accountId,
					"role",
					"worker",
					"invoke",
				);
				await rejectsWith(
					store.managedPolicies.detach(accountId, "role", "worker", "invoke"),
					"STORE_NOT_FOUND",
				);
				await store.users.delete(accountId, "alice");
				assert.equal(
					(await store.managedPolicies.get(accountId, "invoke"))
						?.attachmentCount,
					0,
				);
				// Two versions remain: IAM's order is to delete the others first.
				await rejectsWith(
					store.managedPolicies.delete(accountId, "invoke"),
					"STORE_CONFLICT",
				);
				await store.managedPolicies.deleteVersion(accountId, "invoke", "v1");
				await store.managedPolicies.delete(accountId, "invoke");
				assert.equal(
					await store.managedPolicies.get(accountId, "invoke"),
					undefined,
				);
				assert.deepEqual(await store.managedPolicies.list(accountId), []);
			});
		});

		test("groups: AGPA ids, members, inline and attached policies, cascades both ways", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({
					name: "root",
					accountId: "123456789012",
				});
				const devs = await store.groups.create({
					accountId,
					groupName: "Devs",
					path: "/eng/",
				});
				assert.match(devs.groupId, /^AGPA[A-Z0-9]{17}$/);
				assert.equal(devs.arn, "arn:aws:iam::123456789012:group/eng/Devs");
				assert.deepEqual(await store.groups.get(accountId, "devs"), devs);
				await rejectsWith(
					store.groups.create({ accountId, groupName: "DEVS" }),
					"STORE_CONFLICT",
				);
				await store.groups.create({ accountId, groupName: "ops" });
				await store.users.create({ accountId, userName: "alice" });
				await store.users.create({ accountId, userName: "bob" });
				await store.groups.addUser(accountId, "devs", "ALICE");
				await store.groups.addUser(accountId, "Devs", "alice");
				await store.groups.addUser(accountId, "devs", "bob");
				await store.groups.addUser(accountId, "ops", "alice");
				await rejectsWith(
					store.groups.addUser(accountId, "devs", "nobody"),
					"STORE_NOT_FOUND",
				);
				await rejectsWith(
					store.groups.addUser(accountId, "nogroup", "alice"),
					"STORE_NOT_FOUND",
				);
				assert.deepEqual(
					(await store.groups.listUsers(accountId, "devs")).map(
						(u) => u.userName,
					),
					["alice", "bob"],
				);
				assert.deepEqual(
					(await store.groups.listGroupsForUser(accountId, "alice")).map(
						(g) => g.groupName,
					),
					["Devs", "ops"],
				);
				await store.groups.putPolicy(accountId, "devs", "invoke", POLICY);
				await store.groups.putPolicy(accountId, "ops", "invoke", TRUST);
				assert.equal(
					(await store.groups.getPolicy(accountId, "devs", "invoke"))?.document,
					POLICY,
				);
				assert.deepEqual(
					(await store.groups.policiesForUser(accountId, "alice")).map(
						(p) => `${p.groupName}/${p.policyName}`,
					),
					["Devs/invoke", "ops/invoke"],
				);
				await rejectsWith(
					store.groups.putPolicy(accountId, "nogroup", "x", POLICY),
					"STORE_NOT_FOUND",
				);
				await store.managedPolicies.create({
					accountId,
					policyName: "shared",
					document: POLICY,
				});
				await store.managedPolicies.attach(
					accountId,
					"group",
					"devs",
					"shared",
				);
				assert.deepEqual(
					(
						await store.managedPolicies.groupDocumentsForUser(accountId, "bob")
					).map((d) => d.arn),
					["arn:aws:iam::123456789012:policy/shared"],
				);
				assert.deepEqual(
					await store.managedPolicies.listEntities(accountId, "shared"),
					[{ kind: "group", name: "Devs" }],
				);
				// Deleting a user drops its memberships.
				await store.users.delete(accountId, "bob");
				assert.deepEqual(
					(await store.groups.listUsers(accountId, "devs")).map(
						(u) => u.userName,
					),
					["alice"],
				);
				await store.groups.removeUser(accountId, "devs", "alice");
				await rejectsWith(
					store.groups.removeUser(accountId, "devs", "alice"),
					"STORE_NOT_FOUND",
				);
				await store.groups.deletePolicy(accountId, "devs", "invoke");
				await rejectsWith(
					store.groups.deletePolicy(accountId, "devs", "invoke"),
					"STORE_NOT_FOUND",
				);
				// Deleting a group drops its members, policies and attachments.
				await store.groups.delete(accountId, "ops");
				assert.deepEqual(
					await store.groups.listGroupsForUser(accountId, "alice"),
					[],
				);
				assert.deepEqual(
					await store.groups.policiesForUser(accountId, "alice"),
					[],
				);
				await store.groups.delete(accountId, "devs");
				assert.equal(
					(await store.managedPolicies.get(accountId, "shared"))
						?.attachmentCount,
					0,
				);
				await rejectsWith(
					store.groups.delete(accountId, "devs"),
					"STORE_NOT_FOUND",
				);
			});
		});

		test("permissions boundaries: one per principal, counted, block the policy's delete, go with the principal", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({
					name: "root",
					accountId: "123456789012",
				});
				await store.users.create({ accountId, userName: "alice" });
				await store.roles.create({
					accountId,
					roleName: "worker",
					trustPolicy: TRUST,
				});
				for (const policyName of ["narrow", "wide"])
					await store.managedPolicies.create({
						accountId,
						policyName,
						document: POLICY,
					});
				assert.equal(
					await store.managedPolicies.getBoundary(accountId, "user", "alice"),
					undefined,
				);
				await store.managedPolicies.putBoundary(
					accountId,
					"user",
					"ALICE",
					"narrow",
				);
				await store.managedPolicies.putBoundary(
					accountId,
					"role",
					"worker",
					"narrow",
				);
				assert.deepEqual(
					await store.managedPolicies.getBoundary(accountId, "user", "alice"),
					{
						policyName: "narrow",
						arn: "arn:aws:iam::123456789012:policy/narrow",
						versionId: "v1",
						document: POLICY,
					},
				);
				const narrow = await store.managedPolicies.get(accountId, "narrow");
				assert.equal(narrow?.permissionsBoundaryUsageCount, 2);
				assert.equal(narrow?.attachmentCount, 0);
				assert.deepEqual(
					await store.managedPolicies.boundaryEntities(accountId, "narrow"),
					[
						{ kind: "user", name: "alice" },
						{ kind: "role", name: "worker" },
					],
				);
				await rejectsWith(
					store.managedPolicies.delete(accountId, "narrow"),
					"STORE_CONFLICT",
				);
				// Replacing: still one boundary per principal.
				await store.managedPolicies.putBoundary(
					accountId,
					"user",
					"alice",
					"wide",
				);
				assert.equal(
					(await store.managedPolicies.getBoundary(accountId, "user", "alice"))
						?.policyName,
					"wide",
				);
				await rejectsWith(
					store.managedPolicies.putBoundary(
						accountId,
						"user",
						"nobody",
						"wide",
					),
					"STORE_NOT_FOUND",
				);
				await rejectsWith(
					store.managedPolicies.putBoundary(accountId, "user", "alice", "none"),
					"STORE_NOT_FOUND",
				);
				await store.managedPolicies.deleteBoundary(accountId, "role", "worker");
				await rejectsWith(
					store.managedPolicies.deleteBoundary(accountId, "role", "worker"),
					"STORE_NOT_FOUND",
				);
				await store.managedPolicies.delete(accountId, "narrow");
				await store.users.delete(accountId, "alice");
				assert.equal(
					(await store.managedPolicies.get(accountId, "wide"))
						?.permissionsBoundaryUsageCount,
					0,
				);
			});
		});

		test("tags: keys unique regardless of case, at most 50 all or nothing, go with the principal", async () => {
			await withStore(makeStore, async (store) => {
				const { accountId } = await store.accounts.create({
					name: "root",
					accountId: "123456789012",
				});
				await store.users.create({ accountId, userName: "alice" });
				await store.roles.create({
					accountId,
					roleName: "worker",
					trustPolicy: TRUST,
				});
				await store.tags.put(accountId, "user", "ALICE", [
					{ key: "team", value: "payments" },
					{ key: "env", value: "" },
				]);
				await store.tags.put(accountId, "user", "alice", [
					{ key: "TEAM", value: "search" },
				]);
				assert.deepEqual(await store.tags.list(accountId, "user", "alice"), [
					{ key: "env", value: "" },
					{ key: "team", value: "search" },
				]);
				assert.deepEqual(
					await store.tags.list(accountId, "role", "worker"),
					[],
				);
				await rejectsWith(
					store.tags.put(accountId, "role", "nobody", [
						{ key: "a", value: "b" },
					]),
					"STORE_NOT_FOUND",
				);
				await rejectsWith(
					store.tags.put(
						accountId,
						"role",
						"worker",
						Array.from({ length: 51 }, (_, i) => ({
							key: `k${i}`,
							value: "v",
						})),
					),
					"STORE_TOO_LARGE",
				);
				assert.deepEqual(
					await store.tags.list(accountId, "role", "worker"),
					[],
				);
				await store.tags.remove(accountId, "user", "alice", ["Team", "absent"]);
				assert.deepEqual(await store.tags.list(accountId, "user", "alice"), [
					{ key: "env", value: "" },
				]);
				await store.users.delete(accountId, "alice");
				await store.users.create({ accountId, userName: "alice" });
				assert.deepEqual(await store.tags.list(accountId, "user", "alice"), []);
			});
		});
	});
}

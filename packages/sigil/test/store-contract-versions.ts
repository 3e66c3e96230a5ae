/**
 * The Store contract for published versions and aliases of functions (store.versions), run by
 * `runStoreContract` on every adapter. A library of tests (no `.test.ts` suffix).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_ALIASES } from "../src/store/limits.ts";
import type { Store } from "../src/store/store.ts";
import { type MakeStore, rejectsWith } from "./store-contract.ts";

async function withFunction(
	makeStore: MakeStore,
	fn: (store: Store, accountId: string) => Promise<void>,
): Promise<void> {
	const h = await makeStore();
	try {
		const { accountId } = await h.store.accounts.create({
			name: "root",
			accountId: "123456789012",
		});
		await h.store.functions.put({
			accountId,
			name: "fn",
			config: { runtime: "node", tag: "one" },
			code: Buffer.from("code one"),
		});
		await fn(h.store, accountId);
	} finally {
		await h.cleanup();
	}
}

export function runVersionContract(makeStore: MakeStore): void {
	test("versions: a snapshot of config and code, numbered 1, 2, …; unchanged publishes return the newest", async () => {
		await withFunction(makeStore, async (store, accountId) => {
			const first = await store.versions.publish({
				accountId,
				name: "fn",
				description: "first",
			});
			assert.equal(first.created, true);
			assert.equal(first.version.version, 1);
			assert.deepEqual(first.version.config, { runtime: "node", tag: "one" });
			assert.equal(first.version.description, "first");
			assert.equal(first.version.fromRevision, 1);
			// Nothing changed: the same version back, nothing new written.
			const again = await store.versions.publish({
				accountId,
				name: "fn",
				description: "other words",
			});
			assert.equal(again.created, false);
			assert.equal(again.version.version, 1);
			assert.equal(again.version.description, "first");
			await store.functions.put({
				accountId,
				name: "fn",
				config: { runtime: "node", tag: "two" },
				code: Buffer.from("code two"),
			});
			// A stale revision pins nothing.
			await rejectsWith(
				store.versions.publish({
					accountId,
					name: "fn",
					description: "",
					expectedRevision: 1,
				}),
				"STORE_CONFLICT",
			);
			const second = await store.versions.publish({
				accountId,
				name: "fn",
				description: "",
				expectedRevision: 2,
			});
			assert.equal(second.version.version, 2);
			// The first version keeps its own code and config after $LATEST moved on, and after
			// enough deploys for the function's revision history to forget revision 1.
			for (let i = 0; i < 7; i++)
				await store.functions.put({
					accountId,
					name: "fn",
					config: { runtime: "node", tag: `later-${i}` },
					code: Buffer.from(`code later ${i}`),
				});
			const code = await store.versions.getCode(accountId, "fn", 1);
			assert.equal(code?.code.toString(), "code one");
			assert.deepEqual((await store.versions.get(accountId, "fn", 1))?.config, {
				runtime: "node",
				tag: "one",
			});
			assert.equal(await store.versions.get(accountId, "fn", 3), undefined);
			const all = await store.versions.list(accountId, "fn", { limit: 10 });
			assert.deepEqual(
				all.map((v) => v.version),
				[1, 2],
			);
			const page = await store.versions.list(accountId, "fn", {
				after: 1,
				limit: 10,
			});
			assert.deepEqual(
				page.map((v) => v.version),
				[2],
			);
			// Another account, or another name, sees nothing.
			assert.equal(
				await store.versions.get("000000000002", "fn", 1),
				undefined,
			);
			await rejectsWith(
				store.versions.publish({
					accountId,
					name: "missing",
					description: "",
				}),
				"STORE_NOT_FOUND",
			);
		});
	});

	test("versions: numbers are never reused after a delete; deleting the function deletes its versions", async () => {
		await withFunction(makeStore, async (store, accountId) => {
			await store.versions.publish({ accountId, name: "fn", description: "" });
			await store.functions.put({
				accountId,
				name: "fn",
				config: { runtime: "node", tag: "two" },
			});
			await store.versions.publish({ accountId, name: "fn", description: "" });
			assert.equal(await store.versions.delete(accountId, "fn", 2), true);
			assert.equal(await store.versions.delete(accountId, "fn", 2), false);
			await store.functions.put({
				accountId,
				name: "fn",
				config: { runtime: "node", tag: "three" },
			});
			const third = await store.versions.publish({
				accountId,
				name: "fn",
				description: "",
			});
			assert.equal(third.version.version, 3);
			await store.functions.delete(accountId, "fn");
			await store.functions.put({
				accountId,
				name: "fn",
				config: { runtime: "node" },
				code: Buffer.from("fresh"),
			});
			assert.deepEqual(
				await store.versions.list(accountId, "fn", { limit: 10 }),
				[],
			);
			assert.equal(await store.versions.getCode(accountId, "fn", 1), undefined);
		});
	});

	test("aliases: point at published versions, weighted routing, revisions, and keep their versions alive", async () => {
		await withFunction(makeStore, async (store, accountId) => {
			await store.versions.publish({ accountId, name: "fn", description: "" });
			await store.functions.put({
				accountId,
				name: "fn",
				config: { runtime: "node", tag: "two" },
			});
			await store.versions.publish({ accountId, name: "fn", description: "" });
			const prod = await store.versions.createAlias({
				accountId,
				name: "fn",
				alias: "prod",
				functionVersion: "1",
				description: "live",
				routing: { version: "2", weight: 0.25 },
			});
			assert.equal(prod.revision, 1);
			assert.deepEqual(prod.routing, { version: "2", weight: 0.25 });
			await rejectsWith(
				store.versions.createAlias({
					accountId,
					name: "fn",
					alias: "prod",
					functionVersion: "2",
					description: "",
				}),
				"STORE_CONFLICT",
			);
			// Names that are versions, unpublished versions, bad weights: refused.
			for (const bad of [
				{ alias: "12", functionVersion: "1" },
				{ alias: "a:b", functionVersion: "1" },
				{ alias: "x".repeat(129), functionVersion: "1" },
				{ alias: "next", functionVersion: "7" },
				{ alias: "next", functionVersion: "01" },
				{ alias: "next", functionVersion: "..%3A1" },
			])
				await rejectsWith(
					store.versions.createAlias({
						accountId,
						name: "fn",
						description: "",
						...bad,
					}),
					"STORE_INVALID",
				);
			await rejectsWith(
				store.versions.createAlias({
					accountId,
					name: "fn",
					alias: "w",
					functionVersion: "1",
					description: "",
					routing: { version: "2", weight: 1.5 },
				}),
				"STORE_INVALID",
			);
			await rejectsWith(
				store.versions.createAlias({
					accountId,
					name: "fn",
					alias: "w",
					functionVersion: "1",
					description: "",
					routing: { version: "1", weight: 0.5 },
				}),
				"STORE_INVALID",
			);
			// Both the alias's version and its routing's are in use.
			await rejectsWith(
				store.versions.delete(accountId, "fn", 1),
				"STORE_CONFLICT",
			);
			await rejectsWith(
				store.versions.delete(accountId, "fn", 2),
				"STORE_CONFLICT",
			);
			await rejectsWith(
				store.versions.updateAlias({
					accountId,
					name: "fn",
					alias: "prod",
					functionVersion: "2",
					expectedRevision: 7,
				}),
				"STORE_CONFLICT",
			);
			const moved = await store.versions.updateAlias({
				accountId,
				name: "fn",
				alias: "prod",
				functionVersion: "2",
				routing: null,
				expectedRevision: 1,
			});
			assert.equal(moved.revision, 2);
			assert.equal(moved.functionVersion, "2");
			assert.equal(moved.routing, undefined);
			assert.equal(moved.description, "live");
			assert.equal(await store.versions.delete(accountId, "fn", 1), true);
			await store.versions.createAlias({
				accountId,
				name: "fn",
				alias: "dev",
				functionVersion: "$LATEST",
				description: "",
			});
			assert.deepEqual(
				(await store.versions.listAliases(accountId, "fn")).map((a) => a.alias),
				["dev", "prod"],
			);
			assert.deepEqual(
				(await store.versions.listAliases(accountId, "fn", "2")).map(
					(a) => a.alias,
				),
				["prod"],
			);
			assert.equal(
				await store.versions.getAlias("000000000002", "fn", "prod"),
				undefined,
			);
			assert.equal(
				await store.versions.deleteAlias(accountId, "fn", "prod"),
				true,
			);
			assert.equal(
				await store.versions.deleteAlias(accountId, "fn", "prod"),
				false,
			);
			await rejectsWith(
				store.versions.updateAlias({ accountId, name: "fn", alias: "prod" }),
				"STORE_NOT_FOUND",
			);
		});
	});

	test("aliases: a function URL of their own, kept across updates, removable", async () => {
		await withFunction(makeStore, async (store, accountId) => {
			await store.versions.createAlias({
				accountId,
				name: "fn",
				alias: "prod",
				functionVersion: "$LATEST",
				description: "",
			});
			const url = {
				authType: "NONE" as const,
				cors: { AllowOrigins: ["https://a.example"] },
				createdAt: 1,
				updatedAt: 2,
			};
			const set = await store.versions.putAliasUrl(
				accountId,
				"fn",
				"prod",
				url,
			);
			assert.deepEqual(set.url, url);
			await store.versions.updateAlias({
				accountId,
				name: "fn",
				alias: "prod",
				description: "still has its URL",
			});
			assert.deepEqual(
				(await store.versions.getAlias(accountId, "fn", "prod"))?.url,
				url,
			);
			const removed = await store.versions.putAliasUrl(
				accountId,
				"fn",
				"prod",
				null,
			);
			assert.equal(removed.url, undefined);
			await rejectsWith(
				store.versions.putAliasUrl(accountId, "fn", "beta", url),
				"STORE_NOT_FOUND",
			);
		});
	});

	test("aliases: at most MAX_ALIASES per function", async () => {
		await withFunction(makeStore, async (store, accountId) => {
			for (let i = 0; i < MAX_ALIASES; i++)
				await store.versions.createAlias({
					accountId,
					name: "fn",
					alias: `a${i}`,
					functionVersion: "$LATEST",
					description: "",
				});
			await rejectsWith(
				store.versions.createAlias({
					accountId,
					name: "fn",
					alias: "one-more",
					functionVersion: "$LATEST",
					description: "",
				}),
				"STORE_TOO_LARGE",
			);
		});
	});

	test("qualifier policies: one per version and per alias, apart from the function's", async () => {
		await withFunction(makeStore, async (store, accountId) => {
			await store.versions.publish({ accountId, name: "fn", description: "" });
			await store.versions.createAlias({
				accountId,
				name: "fn",
				alias: "prod",
				functionVersion: "1",
				description: "",
			});
			const doc = JSON.stringify({ Version: "2012-10-17", Statement: [] });
			assert.deepEqual(
				await store.versions.getPolicy(accountId, "fn", "prod"),
				{
					document: null,
					policyRevision: 0,
				},
			);
			assert.equal(
				await store.versions.putPolicy(accountId, "fn", "prod", doc, 0),
				1,
			);
			await rejectsWith(
				store.versions.putPolicy(accountId, "fn", "prod", doc, 0),
				"STORE_CONFLICT",
			);
			assert.equal(
				(await store.versions.getPolicy(accountId, "fn", "prod"))?.document,
				doc,
			);
			assert.equal(
				(await store.versions.getPolicy(accountId, "fn", "1"))?.document,
				null,
			);
			assert.equal(
				(await store.functions.getPolicy(accountId, "fn"))?.document,
				null,
			);
			assert.equal(
				await store.versions.putPolicy(accountId, "fn", "1", doc),
				1,
			);
			assert.equal(
				await store.versions.getPolicy(accountId, "fn", "2"),
				undefined,
			);
			assert.equal(
				await store.versions.getPolicy(accountId, "fn", "beta"),
				undefined,
			);
			await rejectsWith(
				store.versions.putPolicy(accountId, "fn", "beta", doc),
				"STORE_NOT_FOUND",
			);
			await rejectsWith(
				store.versions.putPolicy(accountId, "fn", "prod", "[1]"),
				"STORE_INVALID",
			);
		});
	});
}

// Adversarial: the cached "does the session's principal still exist under that id?" answer
// (gateway/credentials.ts). Fast because cached; never stale in a way that lets a deleted
// principal's session through on this gateway, nor keeps a namesake's new session out.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CredentialCache } from "../../src/gateway/credentials.ts";
import type { SessionPrincipal } from "../../src/iam/session-token.ts";
import type { Store } from "../../src/store/store.ts";

const ACCT = "123456789012";

/** A store with one table of users and roles (name → id), counting reads. */
function fakeStore() {
	const users = new Map<string, string>();
	const roles = new Map<string, string>();
	let reads = 0;
	let gate: Promise<void> | undefined;
	const store = {
		users: {
			async get(_a: string, name: string) {
				reads++;
				const id = users.get(name);
				await gate;
				return id === undefined ? undefined : { userId: id, userName: name };
			},
		},
		roles: {
			async get(_a: string, name: string) {
				reads++;
				const id = roles.get(name);
				return id === undefined ? undefined : { roleId: id, roleName: name };
			},
		},
		accounts: {
			async get(accountId: string) {
				reads++;
				return accountId === ACCT ? { accountId } : undefined;
			},
		},
	} as unknown as Store;
	return {
		store,
		users,
		roles,
		reads: () => reads,
		hold(p: Promise<void> | undefined) {
			gate = p;
		},
	};
}

const temp = (principalId: string): SessionPrincipal => ({
	kind: "user",
	accountId: ACCT,
	name: "temp",
	principalId,
});

test("answers are cached: one store read per principal per TTL", async () => {
	const f = fakeStore();
	f.users.set("temp", "AIDAOLD");
	const cache = new CredentialCache(f.store);
	for (let i = 0; i < 100; i++)
		assert.equal(await cache.sessionPrincipalExists(temp("AIDAOLD"), 1), true);
	assert.equal(f.reads(), 1);
	assert.equal(
		await cache.sessionPrincipalExists(temp("AIDAOLD"), 6_000),
		true,
	);
	assert.equal(f.reads(), 2, "re-read after the TTL");
});

test("a delete here ends the session at once; the namesake's own sessions pass at once", async () => {
	const f = fakeStore();
	f.users.set("temp", "AIDAOLD");
	const cache = new CredentialCache(f.store);
	assert.equal(await cache.sessionPrincipalExists(temp("AIDAOLD"), 1), true);
	f.users.delete("temp");
	cache.invalidate(); // what IamAdmin.deleteUser calls
	assert.equal(await cache.sessionPrincipalExists(temp("AIDAOLD"), 2), false);
	f.users.set("temp", "AIDANEW");
	// No invalidation on create: the old id's "no" must not stand in the new id's way.
	assert.equal(await cache.sessionPrincipalExists(temp("AIDANEW"), 3), true);
	assert.equal(await cache.sessionPrincipalExists(temp("AIDAOLD"), 3), false);
});

test("invalidatePrincipal drops one role's answers; other names keep theirs", async () => {
	const f = fakeStore();
	f.roles.set("ops", "AROAOPS");
	f.roles.set("dev", "AROADEV");
	const cache = new CredentialCache(f.store);
	const ops = {
		kind: "role",
		accountId: ACCT,
		name: "ops",
		principalId: "AROAOPS",
	} as const;
	const dev = { ...ops, name: "dev", principalId: "AROADEV" };
	assert.equal(await cache.sessionPrincipalExists(ops, 1), true);
	assert.equal(await cache.sessionPrincipalExists(dev, 1), true);
	f.roles.delete("ops");
	cache.invalidatePrincipal(ACCT, "role", "ops");
	const before = f.reads();
	assert.equal(await cache.sessionPrincipalExists(ops, 2), false);
	assert.equal(await cache.sessionPrincipalExists(dev, 2), true);
	assert.equal(f.reads(), before + 1, "only the invalidated name was re-read");
});

test("a lookup racing a delete does not put the deleted principal back in the cache", async () => {
	const f = fakeStore();
	f.users.set("temp", "AIDAOLD");
	const cache = new CredentialCache(f.store);
	let release = () => {};
	f.hold(
		new Promise<void>((r) => {
			release = r;
		}),
	);
	// The read sees the user, then the delete and its invalidation land before it resumes.
	const racing = cache.sessionPrincipalExists(temp("AIDAOLD"), 1);
	f.users.delete("temp");
	cache.invalidate();
	release();
	f.hold(undefined);
	assert.equal(await racing, true, "that request was already in flight");
	assert.equal(await cache.sessionPrincipalExists(temp("AIDAOLD"), 2), false);
});

test("root sessions are bound to their account", async () => {
	const f = fakeStore();
	const cache = new CredentialCache(f.store);
	const root = {
		kind: "account",
		accountId: ACCT,
		name: ACCT,
		principalId: ACCT,
	} as const;
	assert.equal(await cache.sessionPrincipalExists(root, 1), true);
	const other = {
		...root,
		accountId: "999999999999",
		name: "999999999999",
		principalId: "999999999999",
	};
	assert.equal(await cache.sessionPrincipalExists(other, 1), false);
});

test("the cache stays bounded under many names and many ids per name", async () => {
	const f = fakeStore();
	const cache = new CredentialCache(f.store, { max: 100 });
	for (let i = 0; i < 1_000; i++)
		await cache.sessionPrincipalExists(
			{ kind: "user", accountId: ACCT, name: `u${i}`, principalId: "AIDAX" },
			1,
		);
	for (let i = 0; i < 1_000; i++)
		await cache.sessionPrincipalExists(temp(`AIDA${i}`), 1);
	// Indirect but sufficient: a recent answer is still served from the cache.
	const before = f.reads();
	await cache.sessionPrincipalExists(temp("AIDA999"), 2);
	assert.equal(f.reads(), before);
});
